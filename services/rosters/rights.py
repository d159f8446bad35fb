"""Who may call each rosters RPC, by role group (see `shared.rights`); every rule holds inside
the caller's jurisdiction, which each RPC checks against the unit or person it names."""

from shared.rights import ANY, EVERYONE, OFFICIALS, ROOT, STAFF, Rights, by_groups

_SECRETARY = by_groups(root=ANY, staff=ANY)  # the community office: 书记, 值班, 专职网格员

RIGHTS = Rights("rosters", {
    "create_unit": _SECRETARY,
    "create_units": _SECRETARY,
    "rename_unit": _SECRETARY,
    "move_unit": _SECRETARY,
    "retire_unit": _SECRETARY,
    "set_estate_facts": _SECRETARY,
    "register_person": _SECRETARY,
    "apply": OFFICIALS,
    "screen": STAFF,
    "appoint": STAFF,
    "end_appointment": STAFF,
    "set_duty": STAFF,
    "import_roster": STAFF,
    "import_status": STAFF,
    "import_report": STAFF,
    "pii_reads": STAFF,
    "get_unit": EVERYONE,
    "locate_unit": EVERYONE,
    "children": EVERYONE,
    "responsible_chain": EVERYONE,
    "on_duty": EVERYONE,
    "labels": EVERYONE,
    "coverage_gaps": OFFICIALS,
    "appointments": OFFICIALS,
    "search_people": OFFICIALS,
    "find_person": OFFICIALS,
    "unit_cache_status": ROOT,
    "journal_state": ROOT,
})
