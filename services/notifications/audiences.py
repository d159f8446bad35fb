"""Who an audience is, asked of rosters and volunteers over RPC (never their databases), page
by page so that a street of thousands is never one answer.

Audience shapes (`notify`'s `to` is a list of them; a person in two is told once):
- `{"people": [person_id, …]}`: those people (rosters `search_people` with `person_ids`; an
  id rosters does not know still gets the message in its inbox);
- `{"node_id": id, "role": code?, "below": true}`: who holds a role (any, without `role`) at
  the node, and below it unless `below` is false (rosters `appointments`);
- `{"residents_of": id}`: people who live at the unit or below it (rosters `search_people`
  with `place_id`);
- `{"team_id": id, "skill": text?}`: a support team's active members (volunteers `list_members`);
- `{"chain_of": unit_id, "levels": n}`: the leaders of the unit's responsible chain, the first
  `n` levels that have any (rosters `responsible_chain`).

A recipient is `{person_id, name, phone}`; the phone (from rosters, asked as this service)
lets SMS reach people who never set preferences."""

from collections.abc import Iterator, Mapping
from typing import Any

from services.notifications.exceptions import OtherServiceUnavailable
from shared.calls import call

PAGE = 200  # what rosters and volunteers answer at most per call
PEOPLE_PAGE = 200  # ids asked of rosters at a time


def kind_of(audience: Mapping) -> str:
    for kind in ("people", "node_id", "residents_of", "team_id", "chain_of"):
        if kind in audience:
            return kind
    raise ValueError(f"not an audience: {sorted(audience)}")


class Directory:
    """Recipients of audiences, asked of rosters and volunteers with this worker's actor."""

    def __init__(self, rosters: Any, volunteers: Any, timeout: float):
        self.rosters, self.volunteers, self.timeout = rosters, volunteers, timeout

    def _ask(self, proxy: Any, service: str, method: str, **kwargs) -> Any:
        given = {k: v for k, v in kwargs.items() if v is not None}
        return call(proxy, service, method, self.timeout, "to", OtherServiceUnavailable, **given)

    def pages(self, audience: Mapping, start: int = 0) -> Iterator[tuple[int, list[dict]]]:
        """(offset of the next page, recipients) from `start` on, until the audience is done."""
        kind = kind_of(audience)
        if kind == "chain_of":
            if start == 0:
                yield 1, self._chain(audience["chain_of"], int(audience.get("levels") or 1))
            return
        offset = start
        while True:
            found = self._page(kind, audience, offset)
            size = PEOPLE_PAGE if kind == "people" else PAGE
            offset += size
            yield offset, found
            if len(found) < size and kind != "people" or kind == "people" and offset >= len(audience["people"]):
                return

    def _page(self, kind: str, audience: Mapping, offset: int) -> list[dict]:
        if kind == "people":
            listed = list(dict.fromkeys(audience["people"][offset:offset + PEOPLE_PAGE]))
            known = {r["person_id"]: _recipient(r) for r in self._ask(
                self.rosters, "rosters", "search_people", person_ids=listed, limit=PAGE)}
            return [known.get(p) or {"person_id": p, "name": "", "phone": None} for p in listed]
        if kind == "node_id":
            rows = self._ask(self.rosters, "rosters", "appointments", node_id=audience["node_id"],
                             role=audience.get("role"), status="appointed",
                             include_descendants=audience.get("below", True), limit=PAGE, offset=offset)
            return [_recipient(r) for r in rows]
        if kind == "residents_of":
            rows = self._ask(self.rosters, "rosters", "search_people", place_id=audience["residents_of"], limit=PAGE,
                             offset=offset)
            return [_recipient(r) for r in rows]
        answer = self._ask(self.volunteers, "volunteers", "list_members", team_id=audience["team_id"],
                           status="active", skill=audience.get("skill"), limit=PAGE, offset=offset)
        return [_recipient(m) for m in answer["members"]]

    def _chain(self, unit_id: str, levels: int) -> list[dict]:
        chain = self._ask(self.rosters, "rosters", "responsible_chain", unit_id=unit_id)
        staffed = [level for level in chain if level["leaders"]][:levels]
        return [_recipient(p) for level in staffed for p in level["leaders"]]


def _recipient(row: Mapping) -> dict:
    return {"person_id": row["person_id"], "name": row.get("name") or "", "phone": row.get("phone")}
