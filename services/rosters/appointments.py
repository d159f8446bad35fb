"""Appointments of volunteer leaders: applicant → screened → appointed → ended (with reason)."""

from collections.abc import Mapping

from services.rosters.exceptions import InvalidTransition
from shared.errors import field_error

FLOW: dict[str, dict[str, str]] = {
    "applicant": {"screen": "screened", "reject": "ended", "end": "ended"},
    "screened": {"appoint": "appointed", "end": "ended"},
    "appointed": {"end": "ended"},
    "ended": {},
}


def next_status(current: str, action: str) -> str:
    allowed = FLOW[current]
    if action not in allowed:
        raise InvalidTransition(
            f"cannot {action} an appointment that is {current}",
            [{"field": "status", "reason": f"is {current}; allowed: {', '.join(allowed) or 'nothing'}",
              "current_state": current}],
        )
    return allowed[action]


def check_role(role: str, unit: Mapping, community: Mapping) -> None:
    """The role must be configured for the community and fit the unit's level."""
    roles = community["config"]["roles"]
    if role not in roles:
        raise field_error("role", f"not a role of community {community['name']}: {role}")
    if unit["level"] not in roles[role]:
        raise field_error("role", f"a {role} is appointed to a {' or '.join(roles[role])}, not a {unit['level']}")


def leader_entry(appointment: Mapping, person: Mapping) -> dict:
    """What a unit keeps of a current appointment (built the same way every time)."""
    return {
        "appointment_id": appointment["_id"],
        "person_id": person["_id"],
        "name": person["name"],
        "role": appointment["role"],
        "phone": person.get("phone"),
    }
