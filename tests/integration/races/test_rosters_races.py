"""Rosters' state changes raced by many callers at once through two service processes: one
winner, one history entry, one event and one leader entry per round, however many call."""

import base64
import csv
import io
import time

import pytest

import services.rosters.exceptions  # noqa: F401 - maps PhoneTaken back to its class
from services.rosters.demo import find_place
from tests.integration.races.conftest import CALLERS
from tests.integration.races.racing import EventCounter, deliveries, per, race, report

ROUNDS = 6
UNITS = [f"嘉园社区/金昌花园/{building}/{unit}" for building in ("1栋", "2栋", "3栋") for unit in ("1单元", "2单元")]
TERM = {"term_start": "2026-01-01", "term_end": "2028-12-31"}


def phone(test: int, round_no: int, caller: int = 0) -> str:
    return f"137{test:02d}{caller:02d}{round_no:04d}"


@pytest.fixture
def rosters_db(race_db):
    return race_db[0]


def applicant(ops, street: dict, test: int, round_no: int) -> dict:
    person = ops.rosters.register_person(name=f"候选人{test}-{round_no}", phone=phone(test, round_no))
    return ops.rosters.apply(person_id=person["person_id"], unit_id=find_place(street, UNITS[round_no]),
                             role="unit_leader")


def screened(ops, street: dict, test: int, round_no: int) -> dict:
    appointment = applicant(ops, street, test, round_no)
    return ops.rosters.screen(appointment_id=appointment["appointment_id"], passed=True)


def appointed(ops, street: dict, test: int, round_no: int) -> dict:
    appointment = screened(ops, street, test, round_no)
    return ops.rosters.appoint(appointment_id=appointment["appointment_id"], certificate_no="JY-SETUP", **TERM)


def leader_entries(rosters_db, appointment: dict) -> int:
    unit = rosters_db.units.find_one({"_id": appointment["unit_id"]})
    return sum(1 for e in unit["leaders"] if e["appointment_id"] == appointment["_id"])


def assert_one_winner_per_round(rounds, loser_error: str = "InvalidTransition") -> None:
    assert [r.winners for r in rounds] == [1] * len(rounds)
    assert [set(r.lost_by) for r in rounds] == [{loser_error}] * len(rounds), [r.errors[:1] for r in rounds]
    if loser_error == "InvalidTransition":
        assert all(e.details[0].get("current_state") for r in rounds for e in r.errors)


def test_of_many_callers_screening_one_applicant_exactly_one_wins(ops, callers, street, rosters_db, race_env):
    tap = EventCounter(race_env["AMQP_URI"], "rosters", ["appointment_started", "appointment_ended"])
    rounds, ids = [], []

    for n in range(ROUNDS):
        appointment = applicant(ops, street, 1, n)
        ids.append(appointment["appointment_id"])
        rounds.append(race([c.rosters.screen for c in callers],
                           [{"appointment_id": appointment["appointment_id"], "passed": i % 2 == 0,
                             "note": f"caller {i}"} for i in range(CALLERS)]))

    events = tap.collect(0)
    stored = [rosters_db.appointments.find_one({"_id": i}) for i in ids]
    report("rosters screen (half pass, half reject)", rounds, CALLERS, [0] * ROUNDS,
           f"history={[len(a['history']) for a in stored]}")
    assert_one_winner_per_round(rounds)
    assert [len(a["history"]) for a in stored] == [2] * ROUNDS
    assert [(a["status"], a["history"][-1]["note"]) for a in stored] == [
        (r.answers[0]["status"], r.answers[0]["history"][-1]["note"]) for r in rounds]
    assert events == []


def test_of_many_callers_appointing_one_applicant_one_wins_with_one_event_and_one_leader(
        ops, callers, street, rosters_db, race_env):
    tap = EventCounter(race_env["AMQP_URI"], "rosters", ["appointment_started", "unit_changed"])
    rounds, appointments = [], []

    for n in range(ROUNDS):
        appointment = screened(ops, street, 2, n)
        appointments.append(appointment)
        rounds.append(race([c.rosters.appoint for c in callers],
                           [{"appointment_id": appointment["appointment_id"], "certificate_no": f"JY-{n}-{i}", **TERM}
                            for i in range(CALLERS)]))

    events = tap.collect(ROUNDS * 2)
    started = per(events, lambda p: p["appointment_id"], "appointment_started")
    leaders_changed = per([e for e in events if e["payload"].get("change") == "leaders_changed"],
                          lambda p: p["unit_id"], "unit_changed")
    stored = [rosters_db.appointments.find_one({"_id": a["appointment_id"]}) for a in appointments]
    entries = [leader_entries(rosters_db, a) for a in stored]
    report("rosters appoint", rounds, CALLERS, [started[a["appointment_id"]] for a in appointments],
           f"history={[len(a['history']) for a in stored]} leader_entries={entries} "
           f"deliveries={deliveries(events, 'appointment_started')}")
    assert_one_winner_per_round(rounds)
    assert [started[a["appointment_id"]] for a in appointments] == [1] * ROUNDS
    assert [leaders_changed[a["unit_id"]] for a in appointments] == [1] * ROUNDS
    assert [len(a["history"]) for a in stored] == [3] * ROUNDS
    assert entries == [1] * ROUNDS
    assert [a["certificate_no"] for a in stored] == [r.answers[0]["certificate_no"] for r in rounds]
    assert not any(a.get("leaders_pending") for a in stored)


def test_of_many_callers_ending_one_appointment_one_wins_with_one_event_and_the_leader_gone(
        ops, callers, street, rosters_db, race_env):
    tap = EventCounter(race_env["AMQP_URI"], "rosters", ["appointment_ended"])
    reasons = ["term_ended", "resigned", "moved_away", "other"]
    rounds, appointments = [], []

    for n in range(ROUNDS):
        appointment = appointed(ops, street, 3, n)
        appointments.append(appointment)
        rounds.append(race([c.rosters.end_appointment for c in callers],
                           [{"appointment_id": appointment["appointment_id"], "reason": reasons[i % len(reasons)],
                             "note": f"caller {i}"} for i in range(CALLERS)]))

    events = tap.collect(ROUNDS)
    ended = per(events, lambda p: p["appointment_id"], "appointment_ended")
    stored = [rosters_db.appointments.find_one({"_id": a["appointment_id"]}) for a in appointments]
    entries = [leader_entries(rosters_db, a) for a in stored]
    report("rosters end_appointment", rounds, CALLERS, [ended[a["appointment_id"]] for a in appointments],
           f"history={[len(a['history']) for a in stored]} leader_entries={entries} "
           f"deliveries={deliveries(events, 'appointment_ended')}")
    assert_one_winner_per_round(rounds)
    assert [ended[a["appointment_id"]] for a in appointments] == [1] * ROUNDS
    assert [len(a["history"]) for a in stored] == [4] * ROUNDS
    assert entries == [0] * ROUNDS
    assert [a["ended_reason"] for a in stored] == [r.answers[0]["ended_reason"] for r in rounds]


def test_registering_one_phone_many_times_at_once_with_the_same_details_gives_everyone_one_person(
        callers, street, rosters_db):
    rounds = []

    for n in range(ROUNDS):
        rounds.append(race([c.rosters.register_person for c in callers],
                           [{"name": "罗小兰", "phone": phone(4, n), "skills": ["理发"]}] * CALLERS))

    people = [rosters_db.people.count_documents({"phone": phone(4, n)}) for n in range(ROUNDS)]
    report("rosters register_person (same details)", rounds, CALLERS, [0] * ROUNDS, f"people_per_phone={people}")
    assert [r.winners for r in rounds] == [CALLERS] * ROUNDS
    assert [len({a["person_id"] for a in r.answers}) for r in rounds] == [1] * ROUNDS
    assert people == [1] * ROUNDS


def test_registering_one_phone_many_times_at_once_with_different_names_registers_one_and_refuses_the_rest(
        callers, street, rosters_db):
    rounds = []

    for n in range(ROUNDS):
        rounds.append(race([c.rosters.register_person for c in callers],
                           [{"name": f"居民{i}", "phone": phone(5, n)} for i in range(CALLERS)]))

    stored = [list(rosters_db.people.find({"phone": phone(5, n)})) for n in range(ROUNDS)]
    report("rosters register_person (different names)", rounds, CALLERS, [0] * ROUNDS,
           f"people_per_phone={[len(s) for s in stored]}")
    assert_one_winner_per_round(rounds, "PhoneTaken")
    assert all(e.details[0]["field"] == "phone" for r in rounds for e in r.errors)
    assert [len(s) for s in stored] == [1] * ROUNDS
    assert [s[0]["name"] for s in stored] == [r.answers[0]["name"] for r in rounds]


IMPORT_HEADERS = ["姓名", "手机号", "职务", "网格", "片区", "小区", "楼栋", "单元", "聘书编号", "任期开始", "任期结束"]


def roster_file(round_no: int) -> tuple[str, list[str]]:
    """Two leaders for two units of 金昌花园, new people every round: (base64 CSV, phones)."""
    phones = [phone(6, round_no, row) for row in (1, 2)]
    rows = [[f"导入{round_no}-{row}", phones[row - 1], "单元长", "第一网格", "红花坡片区", "金昌花园", building,
             "2单元", f"JY-I{round_no}{row}", TERM["term_start"], TERM["term_end"]]
            for row, building in ((1, "1栋"), (2, "3栋"))]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([IMPORT_HEADERS, *rows])
    return base64.b64encode(buffer.getvalue().encode("utf-8-sig")).decode(), phones


def finished(caller, job: dict) -> dict:
    """The import job once the service has run it."""
    deadline = time.monotonic() + 60
    while job["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
        job = caller.rosters.import_status(job_id=job["job_id"])
    return job


def test_importing_one_file_many_times_at_once_appoints_each_row_once(callers, street, rosters_db, race_env):
    tap = EventCounter(race_env["AMQP_URI"], "rosters", ["appointment_started"])
    community_id = find_place(street, "嘉园社区")
    callers = callers[:10]
    rounds, phones = [], []

    for n in range(ROUNDS - 1):
        content, round_phones = roster_file(n)
        phones.append(round_phones)
        rounds.append(race([c.rosters.import_roster for c in callers],
                           [{"community_id": community_id, "filename": "roster.csv", "content_base64": content}]
                           * len(callers)))
        rounds[-1].answers = [finished(callers[0], job) for job in rounds[-1].answers]  # each call queues a job

    events = tap.collect(2 * len(rounds))
    started = per(events, lambda p: p["appointment_id"], "appointment_started")
    people = [[rosters_db.people.find_one({"phone": p}) for p in round_phones] for round_phones in phones]
    stored = [list(rosters_db.appointments.find({"person_id": {"$in": [p["_id"] for p in ps]}})) for ps in people]
    imported = [sum(a["imported"] for a in r.answers) for r in rounds]
    report("rosters import_roster (one 2-row file)", rounds, len(callers),
           [sum(started[a["_id"]] for a in s) for s in stored],
           f"rows_imported/round={imported} appointments/round={[len(s) for s in stored]} "
           f"history={[[len(a['history']) for a in s] for s in stored]}")
    assert [r.winners for r in rounds] == [len(callers)] * len(rounds)
    assert all(r.answers[0]["errors"] == [] for r in rounds)
    assert imported == [2] * len(rounds)
    assert [[rosters_db.people.count_documents({"phone": p}) for p in ps] for ps in phones] == [[1, 1]] * len(rounds)
    assert [[[h["status"] for h in a["history"]] for a in s] for s in stored] == [
        [["applicant", "screened", "appointed"]] * 2] * len(rounds)
    assert [[started[a["_id"]] for a in s] for s in stored] == [[1, 1]] * len(rounds)
    assert [[leader_entries(rosters_db, a) for a in s] for s in stored] == [[1, 1]] * len(rounds)
