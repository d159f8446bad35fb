"""The one table from an error's `code` to the HTTP status it is answered with, on the JSON API
and on Open311 (whose clients know only 400, 403, 404 and 500: a conflict or an outage there
is a 400 whose body names the real status). Pure."""

from typing import NamedTuple


class Status(NamedTuple):
    json: int
    open311: int


STATUSES: dict[str, Status] = {
    "invalid": Status(400, 400),
    "not_found": Status(404, 404),
    "conflict": Status(409, 400),
    "invalid_transition": Status(409, 400),
    "forbidden": Status(403, 403),
    "unauthenticated": Status(401, 403),
    "rate_limited": Status(429, 429),
    "unavailable": Status(503, 400),
}
SERVER_ERROR = Status(500, 500)


def status_for(code: str | None) -> Status:
    """The statuses an error of `code` is answered with; 500 for a code nobody expects."""
    return STATUSES.get(code or "", SERVER_ERROR)
