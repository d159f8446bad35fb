"""Appointments through their steps: each step announced once, the unit's leaders following
the status; a step the status does not allow is refused and writes nothing; of two callers
taking a step at once the one who loses the compare-and-set is decided again from the status
the winner left."""

from collections import Counter

import pytest

from services.rosters.demo import find_place
from services.rosters.exceptions import InvalidTransition
from shared.actor import Actor
from tests.service.rosters.conftest import before_next, kept, process
from tests.service.rosters.making import PLACE, actor_at, applicant, appointment_in, take


def two_callers(street) -> tuple[Actor, Actor]:
    """刘红 (网格长 of 第一网格) and 曾玉琴 (书记 of 嘉园社区): both may act on the appointment."""
    return actor_at(street, "刘红", "grid_leader", "第一网格"), actor_at(street, "曾玉琴", "secretary", "嘉园社区")


def leader_names(service, street, place=PLACE) -> list[str]:
    return [leader["name"] for leader in service.responsible_chain(unit_id=find_place(street, place))[0]["leaders"]]


def test_an_applicant_screened_appointed_and_ended_is_announced_once_per_step_and_leads_only_while_appointed(
        store, street, broker, service_as):
    service = service_as()
    appointment = applicant(store, street)
    assert leader_names(service, street) == []  # the unit is in the cache from now on

    take(store, appointment["_id"], "screen")
    appointed = take(store, appointment["_id"], "appoint")
    leaders_while_appointed = leader_names(service, street)
    ended = take(store, appointment["_id"], "end")

    assert leaders_while_appointed == ["罗小兰"]
    assert leader_names(service, street) == []
    assert appointed["status"] == "appointed" and ended["status"] == "ended"
    assert [h["status"] for h in store.appointments.get(appointment["_id"])["history"]] == [
        "applicant", "screened", "appointed", "ended"]
    assert broker.types() == Counter(appointment_started=1, appointment_ended=1, unit_changed=2)
    assert [e["payload"]["change"] for e in broker.of("unit_changed")] == ["leaders_changed", "leaders_changed"]
    started, ended_event = broker.of("appointment_started")[0], broker.of("appointment_ended")[0]
    assert started["payload"] == {"appointment_id": appointment["_id"], "person_id": appointment["person_id"],
                                  "unit_id": find_place(street, PLACE), "community_id": appointment["community_id"],
                                  "role": "unit_leader"}
    assert ended_event["payload"] == {**started["payload"], "reason": "moved_away"}
    assert store.appointments.with_leaders_pending() == []


def test_an_applicant_who_fails_screening_is_ended_with_the_reason_and_nothing_is_announced(store, street, broker):
    appointment = applicant(store, street)

    rejected = take(store, appointment["_id"], "reject")

    assert (rejected["status"], rejected["ended_reason"]) == ("ended", "screening_failed")
    assert broker.published == []


# status reached, step
REFUSED = [("applicant", "appoint"), ("screened", "screen"), ("appointed", "screen"), ("appointed", "appoint"),
           ("ended", "screen"), ("ended", "appoint"), ("ended", "end")]


@pytest.mark.parametrize(("status", "step"), REFUSED, ids=[f"{step}-when-{status}" for status, step in REFUSED])
def test_a_step_its_status_does_not_allow_is_refused_naming_the_status_and_writes_nothing(
        store, street, broker, db, status, step):
    appointment = appointment_in(status, store, street)
    before, announced = kept(db), len(broker.published)

    with pytest.raises(InvalidTransition) as refused:
        take(store, appointment["_id"], step)

    assert refused.value.details[0]["current_state"] == status
    assert kept(db) == before
    assert len(broker.published) == announced


# where the other caller's appoint lands: before this caller's write is decided (its compare-and-set
# then matches nothing), or between this caller reading the version and claiming it (the journal's clash)
WHERE = {"before-the-write": lambda store: (store.appointments, "update"),
         "before-the-claim": lambda store: (store.appointments.journal, "commit")}


@pytest.mark.parametrize("where", list(WHERE))
def test_of_two_callers_appointing_one_applicant_the_loser_is_told_the_status_and_nothing_of_it_is_written(
        store, street, broker, db, clock, where):
    appointment = appointment_in("screened", store, street)
    liu_hong, zeng = two_callers(street)
    other = process(db, broker, clock)  # another instance of the service
    before_next(*WHERE[where](store),
                lambda: take(other, appointment["_id"], "appoint", liu_hong, certificate_no="JY-0002"))

    with pytest.raises(InvalidTransition) as lost:
        take(store, appointment["_id"], "appoint", zeng)

    assert lost.value.details[0]["current_state"] == "appointed"
    stored = store.appointments.get(appointment["_id"])
    assert [(h["status"], h["by"]) for h in stored["history"][1:]] == [("screened", "ops"), ("appointed", "刘红")]
    assert stored["certificate_no"] == "JY-0002"
    assert len(broker.of("appointment_started")) == 1
    assert [entry["name"] for entry in store.units.get(appointment["unit_id"])["leaders"]] == ["罗小兰"]
    assert sorted(k for k in db["journal_steps"].docs if appointment["_id"] in k) == [
        f"appointments:{appointment['_id']}:{stored['version']}"]


def test_ending_an_applicant_another_caller_just_screened_is_taken_from_the_screened_status(
        store, street, broker, db, clock):
    appointment = applicant(store, street)
    liu_hong, zeng = two_callers(street)
    other = process(db, broker, clock)
    before_next(store.appointments, "update", lambda: take(other, appointment["_id"], "screen", liu_hong))

    ended = take(store, appointment["_id"], "end", zeng)

    assert [(h["status"], h["by"]) for h in ended["history"]] == [
        ("applicant", "ops"), ("screened", "刘红"), ("ended", "曾玉琴")]
    assert store.appointments.get(appointment["_id"])["status"] == "ended"
    assert broker.published == []  # never appointed: nothing to announce


def test_a_step_repeated_with_its_request_id_after_its_answer_was_lost_is_recognised_and_changes_nothing(
        store, street, broker, db):
    appointment = appointment_in("screened", store, street)
    first = take(store, appointment["_id"], "appoint", request_id="r-appoint-1")
    before = kept(db)

    again = take(store, appointment["_id"], "appoint", request_id="r-appoint-1")

    assert again["status"] == "appointed" and again["history"] == first["history"]
    assert kept(db) == before
    assert len(broker.of("appointment_started")) == 1
