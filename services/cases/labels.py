"""Every code the cases RPCs take or give, with the label people read (中文), so a front end
needs no copy of the source: categories (with their group), channels, urgencies, states and places."""

from collections.abc import Mapping

from services.cases.lifecycle import STATE_LABELS
from services.cases.taxonomy import CHANNELS, PLACES, URGENCIES, Taxonomy


def catalogue(taxonomy: Taxonomy) -> dict:
    """`{categories: [{code, label, group}], channels, urgencies, states, places: [{code, label}]}`,
    each in the order it is configured or declared (urgencies most relaxed first)."""
    return {
        "categories": [{"code": code, "label": label, "group": taxonomy.groups.get(code)}
                       for code, label in taxonomy.categories.items()],
        "channels": _listed(CHANNELS),
        "urgencies": _listed(URGENCIES),
        "states": _listed(STATE_LABELS),
        "places": _listed(PLACES),
    }


def _listed(labels: Mapping[str, str]) -> list[dict]:
    return [{"code": code, "label": label} for code, label in labels.items()]
