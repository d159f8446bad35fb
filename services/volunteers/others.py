"""What volunteers asks the other services over RPC, with a timeout: people and places from
rosters (never their database), and the case steps a team takes through cases."""

from collections.abc import Mapping
from typing import Any

from nameko.exceptions import RemoteError

from services.volunteers.exceptions import OtherServiceUnavailable
from shared import calls
from shared.errors import LinliError, NotFound, field_error, remote_code


def call(proxy: Any, service: str, method: str, timeout: float, field: str, **kwargs) -> Any:
    """One RPC; `OtherServiceUnavailable` naming `field` when it is not answered in time."""
    return calls.call(proxy, service, method, timeout, field, OtherServiceUnavailable, **kwargs)


def not_found(error: BaseException) -> bool:
    return isinstance(error, (LinliError, RemoteError)) and remote_code(error) == NotFound.code


class People:
    """People and places as rosters keeps them, asked as the caller (so rosters' own rights and
    jurisdiction apply)."""

    def __init__(self, proxy: Any, timeout: float = 10):
        self.proxy = proxy
        self.timeout = timeout

    def by_phone(self, phone: str, field: str = "phone") -> Mapping:
        try:
            return call(self.proxy, "rosters", "find_person", self.timeout, field, phone=phone)
        except (LinliError, RemoteError) as error:
            if not_found(error):
                raise field_error(field, "not in the roster: register the person in rosters first") from None
            raise

    def node(self, unit_id: str, field: str = "node_id") -> Mapping:
        try:
            return call(self.proxy, "rosters", "get_unit", self.timeout, field, unit_id=unit_id)
        except (LinliError, RemoteError) as error:
            if not_found(error):
                raise field_error(field, "no such unit in the roster") from None
            raise


def lineage_of(unit: Mapping) -> list[str]:
    return [*unit.get("ancestors", []), unit["unit_id"]]
