"""Appointment steps and registrations that lose a race: the compare-and-set writes nothing,
no event and no leader entry, and the loser is told the state the winner left."""

import copy
from collections.abc import Callable

import pytest

from services.rosters import appointing
from services.rosters.exceptions import InvalidTransition, PhoneTaken
from services.rosters.ids import person_id_for
from services.rosters.import_run import _bring_to_appointed
from shared.actor import Actor
from shared.errors import NotFound

OPS = Actor("ops", "admin")
UNIT = {"_id": "unit_jc2_1", "name": "1单元", "level": "unit", "ancestors": ["unit_jiayuan"],
        "community_id": "unit_jiayuan", "leaders": []}
KANG = {"_id": "person_kang", "name": "康早新", "phone": "13807310004"}


class FakeCollection:
    """Documents by id with the few update operators the commands use. `rival`, when set,
    runs once just before the next update, as another caller who got there first."""

    def __init__(self, *docs: dict):
        self.docs = {d["_id"]: copy.deepcopy(d) for d in docs}
        self.events: list[dict] = []
        self.rival: Callable[[], None] | None = None

    def get(self, doc_id: str, field: str | None = None) -> dict:
        if doc_id not in self.docs:
            raise NotFound(f"no {doc_id}", [{"field": field or "id", "reason": "not found"}])
        return copy.deepcopy(self.docs[doc_id])

    def insert_new(self, doc: dict) -> tuple[dict, bool]:
        if doc["_id"] in self.docs:
            return self.get(doc["_id"]), False
        self.docs[doc["_id"]] = copy.deepcopy(doc)
        return doc, True

    def update(self, doc_id: str, change: dict, events: list[dict] = (), when: dict | None = None) -> bool:
        if self.rival:
            rival, self.rival = self.rival, None
            rival()
        doc = self.docs[doc_id]
        if any(doc.get(k) != v for k, v in (when or {}).items()):
            return False
        doc.update(change.get("$set", {}))
        for key in change.get("$unset", {}):
            doc.pop(key, None)
        for key, value in change.get("$push", {}).items():
            doc.setdefault(key, []).append(value)
        for key, value in change.get("$addToSet", {}).items():
            doc.setdefault(key, []).extend([] if value in doc.get(key, []) else [value])
        for key, values in change.get("$pullAll", {}).items():
            doc[key] = [v for v in doc.get(key, []) if v not in values]
        self.events.extend(events)
        return True


class FakeStore:
    def __init__(self, *appointments: dict):
        self.units = FakeCollection(UNIT)
        self.people = FakeCollection(KANG)
        self.appointments = FakeCollection(*appointments)
        self.person_key = "test-key"


STATUSES = ("applicant", "screened", "appointed")


def appointment(status: str) -> dict:
    history = [{"status": s, "at": "2026-01-01T00:00:00.000+00:00", "by": "ops"}
               for s in STATUSES[:STATUSES.index(status) + 1]]
    return {"_id": "appt_kang", "person_id": "person_kang", "unit_id": "unit_jc2_1", "community_id": "unit_jiayuan",
            "role": "unit_leader", "status": status, "history": history}


APPOINT = {"appointment_id": "appt_kang", "certificate_no": "JY-0004", "term_start": "2026-01-01",
           "term_end": "2028-12-31"}


def test_an_appointment_a_rival_appointed_first_is_an_invalid_transition_naming_appointed():
    store = FakeStore(appointment("screened"))
    store.appointments.rival = lambda: appointing.appoint(store, Actor("rival", "admin"), APPOINT)

    with pytest.raises(InvalidTransition) as lost:
        appointing.appoint(store, OPS, APPOINT)

    assert lost.value.details[0]["current_state"] == "appointed"
    assert [e["type"] for e in store.appointments.events] == ["appointment_started"]
    assert len(store.appointments.docs["appt_kang"]["history"]) == 3
    assert [e["appointment_id"] for e in store.units.docs["unit_jc2_1"]["leaders"]] == ["appt_kang"]
    assert [e["payload"]["change"] for e in store.units.events] == ["leaders_changed"]


def test_the_winner_of_an_appointment_adds_the_leader_and_clears_the_pending_mark():
    store = FakeStore(appointment("screened"))

    appointed = appointing.appoint(store, OPS, APPOINT)

    stored = store.appointments.docs["appt_kang"]
    assert appointed["status"] == stored["status"] == "appointed"
    assert "leaders_pending" not in stored
    assert store.units.docs["unit_jc2_1"]["leaders"] == [{"appointment_id": "appt_kang", "person_id": "person_kang",
                                                          "name": "康早新", "role": "unit_leader",
                                                          "phone": "13807310004"}]


def test_ending_an_appointment_a_rival_ended_first_writes_nothing_and_names_ended():
    store = FakeStore(appointment("screened"))
    appointing.appoint(store, OPS, APPOINT)
    store.appointments.events.clear()
    store.appointments.rival = lambda: appointing.end_appointment(
        store, Actor("rival", "admin"), {"appointment_id": "appt_kang", "reason": "resigned", "note": ""})

    with pytest.raises(InvalidTransition) as lost:
        appointing.end_appointment(store, OPS, {"appointment_id": "appt_kang", "reason": "moved_away", "note": ""})

    assert lost.value.details[0]["current_state"] == "ended"
    assert store.appointments.docs["appt_kang"]["ended_reason"] == "resigned"
    assert [e["type"] for e in store.appointments.events] == ["appointment_ended"]
    assert store.units.docs["unit_jc2_1"]["leaders"] == []


def test_a_step_still_allowed_after_a_rivals_step_is_taken_from_the_new_state():
    store = FakeStore(appointment("applicant"))
    store.appointments.rival = lambda: appointing.screen(
        store, Actor("rival", "admin"), {"appointment_id": "appt_kang", "passed": True, "note": "合格"})

    ended = appointing.end_appointment(store, OPS, {"appointment_id": "appt_kang", "reason": "resigned", "note": ""})

    assert [h["status"] for h in ended["history"]] == ["applicant", "screened", "ended"]
    assert store.appointments.events == []


def test_registering_a_known_phone_with_the_same_details_returns_that_person():
    store = FakeStore()
    details = {"name": "罗小兰", "phone": "13807319999", "skills": ["理发"], "home_unit_id": None}
    first = appointing.register_person(store, OPS, details)

    again = appointing.register_person(store, OPS, dict(details))

    assert again["_id"] == first["_id"] == person_id_for(store.person_key, "13807319999")
    assert [p["_id"] for p in store.people.docs.values() if p["phone"] == "13807319999"] == [first["_id"]]


def test_registering_a_known_phone_with_other_details_is_a_conflict_naming_the_phone():
    store = FakeStore()
    appointing.register_person(store, OPS, {"name": "罗小兰", "phone": "13807319999"})

    with pytest.raises(PhoneTaken) as taken:
        appointing.register_person(store, OPS, {"name": "罗晓兰", "phone": "13807319999"})

    assert taken.value.code == "conflict"
    assert taken.value.details[0]["field"] == "phone"
    assert "name" in taken.value.details[0]["reason"] and "13807319999" not in taken.value.message


def test_an_import_that_finds_its_row_appointed_by_another_import_meanwhile_reports_it_unchanged():
    store = FakeStore(appointment("screened"))
    store.appointments.rival = lambda: appointing.appoint(store, Actor("other-import", "admin"), APPOINT)
    terms = {k: APPOINT[k] for k in ("certificate_no", "term_start", "term_end")} | {"work_id": None}

    outcome = _bring_to_appointed(store, OPS, store.appointments.get("appt_kang"), terms)

    assert outcome == "unchanged"
    assert [e["type"] for e in store.appointments.events] == ["appointment_started"]
