"""The Chinese labels front ends show for rosters' codes: roles, levels, appointment statuses
and reasons for ending, so that no front end needs the source (glossary: DOMAIN.md). Levels
and statuses are worded as in `shared.terms_zh`, which the error messages use too."""

from services.rosters.appointments import FLOW
from services.rosters.tree import DEFAULT_ROLES, LEVEL_RANK
from shared.terms_zh import LEVELS, STATES

ROLES = {
    "secretary": "书记", "duty_officer": "值班人员", "grid_leader": "网格长", "grid_worker": "网格员",
    "zone_leader": "片长", "group_leader": "组长", "alley_steward": "小巷管家",
    "building_leader": "楼栋长", "unit_leader": "单元长",
}
END_REASONS = {
    "term_ended": "任期届满", "resigned": "辞职", "dismissed": "免职", "moved_away": "迁出",
    "deceased": "去世", "screening_failed": "未通过审核", "other": "其他",
}


def labels() -> dict:
    """Every code with its label: levels from the top of the tree down (with `rank`), roles
    with the levels they are appointed to by default, statuses in the order they are reached."""
    return {
        "levels": [{"code": level, "label": LEVELS[level], "rank": rank} for level, rank in LEVEL_RANK.items()],
        "roles": [{"code": role, "label": ROLES.get(role, role), "levels": levels}
                  for role, levels in DEFAULT_ROLES.items()],
        "statuses": [{"code": status, "label": STATES[status]} for status in FLOW],
        "end_reasons": [{"code": reason, "label": label} for reason, label in END_REASONS.items()],
    }
