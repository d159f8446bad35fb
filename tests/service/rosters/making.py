"""Appointments brought to the status a test needs through the commands themselves, on the
demo street's 金昌花园 1栋 2单元 (no unit leader there yet)."""

from datetime import date

from services.rosters import appointing
from services.rosters.demo import find_place
from services.rosters.repository import RostersStore
from shared.actor import Actor
from tests.service.rosters.conftest import OPS

PLACE = "嘉园社区/金昌花园/1栋/2单元"
LUO = {"name": "罗小兰", "phone": "13807319999", "id_number": None, "party_member": False, "occupation": "理发师",
       "skills": ["理发"], "interests": [], "home_unit_id": None}
#: Each step as its RPC hands it to the command once validated: (command, arguments).
STEPS = {
    "screen": (appointing.screen, {"passed": True, "note": "面谈通过"}),
    "reject": (appointing.screen, {"passed": False, "note": "未通过面谈"}),
    "appoint": (appointing.appoint, {"certificate_no": "JY-9999", "work_id": "W9999",
                                     "term_start": date(2026, 1, 1), "term_end": date(2028, 12, 31)}),
    "end": (appointing.end_appointment, {"reason": "moved_away", "note": "搬去长沙县"}),
}
#: The steps that bring a new applicant to each status.
PATH = {"applicant": [], "screened": ["screen"], "appointed": ["screen", "appoint"],
        "ended": ["screen", "appoint", "end"]}


def actor_at(street: dict[str, str], who: str, role: str, place: str) -> Actor:
    """An actor whose jurisdiction is `place` of the demo street."""
    return Actor(who, role, (find_place(street, place),))


def applicant(store: RostersStore, street: dict[str, str], place: str = PLACE) -> dict:
    """罗小兰, registered and applying to be the unit leader of `place`."""
    person = appointing.register_person(store, OPS, LUO)
    return appointing.apply(store, OPS, {"person_id": person["_id"], "unit_id": find_place(street, place),
                                         "role": "unit_leader"})


def take(store: RostersStore, appointment_id: str, step: str, actor: Actor = OPS, **changes) -> dict:
    """One step, as its RPC would run it."""
    command, arguments = STEPS[step]
    return command(store, actor, {"appointment_id": appointment_id, **arguments, **changes})


def appointment_in(status: str, store: RostersStore, street: dict[str, str]) -> dict:
    appointment = applicant(store, street)
    for step in PATH[status]:
        appointment = take(store, appointment["_id"], step)
    assert appointment["status"] == status
    return appointment
