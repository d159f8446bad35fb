"""Read models of the roster: the responsible chain, coverage gaps, people views."""

from collections.abc import Iterable, Mapping, Sequence

from shared.privacy import mask_id_number, mask_phone


def leader_view(entry: Mapping, unmasked: bool) -> dict:
    return {
        "person_id": entry["person_id"],
        "name": entry["name"],
        "role": entry["role"],
        "phone": entry.get("phone") if unmasked else mask_phone(entry.get("phone")),
    }


def chain_level(unit: Mapping, unmasked: bool) -> dict:
    return {
        "unit_id": unit["_id"],
        "name": unit["name"],
        "level": unit["level"],
        "facts": unit.get("facts") or {},
        "leaders": [leader_view(e, unmasked) for e in unit.get("leaders", [])],
    }


def responsible_chain(unit: Mapping, ancestors: Mapping[str, Mapping], unmasked: bool) -> list[dict]:
    """From the unit up to its community (or the root when above communities), each level
    with its current leaders."""
    chain = [chain_level(unit, unmasked)]
    if unit["level"] == "community":
        return chain
    for ancestor_id in reversed(unit["ancestors"]):
        ancestor = ancestors[ancestor_id]
        chain.append(chain_level(ancestor, unmasked))
        if ancestor["level"] == "community":
            break
    return chain


def coverage_gaps(units: Iterable[Mapping], role: str, role_levels: Sequence[str]) -> list[dict]:
    """Active units at the levels `role` is appointed to that have nobody in that role."""
    return [
        {"unit_id": u["_id"], "name": u["name"], "level": u["level"], "path": u.get("path", [])}
        for u in units
        if u["level"] in role_levels and not u.get("retired")
        and not any(e["role"] == role for e in u.get("leaders", []))
    ]


#: What a person's view leaves out: storage fields, and the places kept for scoping reads.
HIDDEN = ("_id", "version", "places")


def person_view(person: Mapping, unmasked: bool) -> dict:
    view = {k: v for k, v in person.items() if k not in HIDDEN}
    view["person_id"] = person["_id"]
    if not unmasked:
        view["phone"] = mask_phone(person.get("phone"))
        view["id_number"] = mask_id_number(person.get("id_number"))
    return view
