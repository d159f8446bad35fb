"""The HTTP gateway: the services' operations for systems that speak HTTP rather than AMQP, as
a JSON API with its OpenAPI document (`json_api`) and as Open311 GeoReport v2 (`open311_api`).

Each request names its caller by API key; the key's actor is what the services see, through
the same signed token every RPC carries, so each service's own rights and masking apply. The
services' RPC proxies are shared by all requests (one reply queue per process over a bounded
pool of connections), never a new connection per request. Ops issue, list and revoke keys
over RPC."""

import logging

from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway import json_api, keys, open311_api, pages  # modules: `nameko run` serves every class it finds
from services.gateway.answers import has_code
from services.gateway.openapi import PUBLISHING
from services.gateway.repository import GatewayStore
from services.gateway.rights import RIGHTS
from services.gateway.schemas import IssueKey, KeyRef
from shared.actor import ROOT_ROLES, Actor, CurrentActor
from shared.calls import call
from shared.clock import utcnow
from shared.errors import EXPECTED, Conflict, LinliError, NotFound, ValidationFailed
from shared.mongo import MongoStore
from shared.resilience import Unavailable
from shared.rights import GROUP_OF
from shared.rpc import rpc
from shared.ttlcache import TTLCache

log = logging.getLogger(__name__)
#: what the services publish for the gateway (input schemas, labels), asked again after this long
PUBLISHED_SECONDS = 300
#: the role groups a key for public reads may act as: they read at their node, phone numbers masked
PUBLIC_GROUPS = ("leaders", "handlers")


class GatewayService(json_api.JsonApi, open311_api.Open311Api, pages.Pages):
    name = "gateway"
    rights = RIGHTS  # who may call each RPC (the key RPCs): checked before anything else
    published = TTLCache(PUBLISHED_SECONDS, 10)  # per process: cases' input schemas, the labels

    store: GatewayStore = MongoStore(GatewayStore, "GATEWAY_DB")
    actor = CurrentActor()
    cases = RpcProxy("cases")
    rosters = RpcProxy("rosters")
    notifications = RpcProxy("notifications")
    config = Config()

    def _timeout(self) -> float:
        return float(self.config.get("OTHERS_TIMEOUT_SECONDS", 10))

    def _caller(self, request: Request, public: bool) -> Actor:
        """The actor of the request's API key (`X-API-Key`, or `api_key` in the query or form),
        its request counted; for a `public` read without a key, the actor of the key ops marked
        for public reads."""
        raw = request.headers.get("X-API-Key") or request.args.get("api_key") or request.form.get("api_key")
        if not raw and public:
            return keys.actor_of(self.store.keys.admit_public(utcnow()))
        return keys.actor_of(self.store.keys.admit(raw, utcnow()))

    def _call(self, request: Request, service: str, method: str, field: str, public: bool = False, **arguments):
        """`service.method(**arguments)` as the request's caller (its request counted once)."""
        return self._ask(self._caller(request, public), service, method, field, **arguments)

    def _ask(self, caller: Actor, service: str, method: str, field: str, **arguments):
        """`service.method(**arguments)` as `caller`; `Unavailable` naming `field` when the
        service does not answer in time."""
        with self.actor.acting_as(caller):
            return call(self._proxy(service), service, method, self._timeout(), field, Unavailable, **arguments)

    def _proxy(self, service: str) -> RpcProxy:
        return {"cases": self.cases, "rosters": self.rosters, "notifications": self.notifications}[service]

    def _published(self, service: str, method: str) -> dict:
        """What a service publishes for every caller (cases' `input_schemas` and `labels`,
        rosters' `labels`), asked as the gateway itself."""
        found = self.published.get(f"{service}.{method}")
        if found is None:
            found = self._ask(Actor(self.name, "system"), service, method, service)
            self.published.put(f"{service}.{method}", found)
        return found

    def _inputs(self) -> dict:
        """The inputs of every service the JSON API calls with a body or a query string."""
        return {name: schema for service in PUBLISHING
                for name, schema in self._published(service, "input_schemas").items()}

    def _labels(self) -> dict:
        return self._published("cases", "labels")

    # keys, for ops over RPC

    @rpc(expected_exceptions=EXPECTED)
    def issue_key(self, **data) -> dict:
        """A key for a calling system; the raw key is in this answer only."""
        request = IssueKey().load_or_raise(data)
        jurisdiction: tuple[str, ...] = ()
        if request["node_id"]:
            jurisdiction = self._lineage(request["node_id"])
        elif request["role"] not in ROOT_ROLES:
            raise ValidationFailed("a key for a role below root needs its place",
                                   [{"field": "node_id", "reason": "required unless the role is root"}])
        if request["public_reads"]:
            self._check_public(request["role"])
        raw = keys.new_raw_key()
        actor = Actor(request["who"], request["role"], jurisdiction)
        doc = self.store.keys.issue(keys.key_document(keys.digest(raw), request["name"], actor,
                                                      request["per_minute"], utcnow(),
                                                      public_reads=request["public_reads"]))
        return {**keys.public_view(doc), "api_key": raw}

    def _check_public(self, role: str) -> None:
        """A key for public reads reads as a leader or a handler (who see phone numbers masked),
        and there is one at a time: keyless reads must not depend on which is found first."""
        if GROUP_OF.get(role) not in PUBLIC_GROUPS:
            raise ValidationFailed("a key for public reads acts as a leader or a handler, at its node", [
                {"field": "public_reads", "reason": f"only for the roles of {' and '.join(PUBLIC_GROUPS)}"}])
        if self.store.keys.public_in_force():
            raise Conflict("a key for public reads is in force; revoke it first",
                           [{"field": "public_reads", "reason": "another key for public reads is in force"}])

    def _lineage(self, node_id: str) -> tuple[str, ...]:
        """The unit's ids from the root down to it, as rosters has them; `NotFound` naming `node_id`."""
        try:
            unit = call(self.rosters, "rosters", "get_unit", self._timeout(), "node_id", Unavailable, unit_id=node_id)
        except (LinliError, RemoteError) as error:
            if has_code(error, "not_found"):
                raise NotFound(f"no unit {node_id}", [{"field": "node_id", "reason": "not found"}]) from None
            raise
        return (*unit.get("ancestors", []), unit["unit_id"])

    @rpc(expected_exceptions=EXPECTED)
    def revoke_key(self, **data) -> dict:
        return keys.public_view(self.store.keys.revoke(KeyRef().load_or_raise(data)["key_id"], utcnow()))

    @rpc(expected_exceptions=EXPECTED)
    def list_keys(self, **data) -> dict:
        if data:
            raise ValidationFailed("list_keys takes no arguments",
                                   [{"field": name, "reason": "unknown field"} for name in data])
        return {"keys": [keys.public_view(doc) for doc in self.store.keys.listed()]}
