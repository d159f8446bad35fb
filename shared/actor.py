"""Who is calling: an actor signed into nameko context data, and the check
"may this actor act on this unit".

A token is `base64url(json).base64url(hmac-sha256)`; the secret is shared by the
services and by the systems that are allowed to issue tokens.
"""

import base64
import functools
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

import shared.remote  # noqa: F401 - every caller signs with this module: its errors map back to their classes
from shared.errors import Forbidden

CONTEXT_KEY = "linli_actor"
#: Roles that act on the whole tree, e.g. another district system or ops tooling.
ROOT_ROLES = frozenset({"system", "admin"})


@dataclass(frozen=True)
class Actor:
    who: str
    role: str
    jurisdiction: tuple[str, ...] = field(default_factory=tuple)  # unit ids, root first

    def may_act_on(self, lineage: Sequence[str]) -> bool:
        """True when the unit whose lineage (ancestor ids then its own) is given lies
        inside this actor's jurisdiction."""
        if self.role in ROOT_ROLES:
            return True
        return bool(self.jurisdiction) and self.jurisdiction[-1] in lineage

    def require(self, lineage: Sequence[str]) -> None:
        if not self.may_act_on(lineage):
            # the refusal names nothing of the target: a caller outside learns no id or place
            raise Forbidden(f"{self.who} ({self.role}) may not act outside their jurisdiction",
                            [{"field": "jurisdiction", "reason": "the target is outside it"}])

    def as_dict(self) -> dict:
        return {"who": self.who, "role": self.role, "jurisdiction": list(self.jurisdiction)}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(body: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def issue_token(actor: Actor, secret: str) -> str:
    body = _b64(json.dumps(actor.as_dict(), sort_keys=True, ensure_ascii=False).encode())
    return f"{body}.{_sign(body, secret)}"


def read_token(token: object, secret: str) -> Actor:
    """The actor of a token, or `Forbidden` when it is missing, malformed or forged."""
    if not isinstance(token, str) or token.count(".") != 1:
        raise Forbidden("no valid actor in the call's context data")
    body, signature = token.split(".")
    if not hmac.compare_digest(signature, _sign(body, secret)):
        raise Forbidden("actor signature does not match")
    try:
        data = json.loads(_unb64(body))
        return Actor(str(data["who"]), str(data["role"]), tuple(data.get("jurisdiction") or ()))
    except (ValueError, KeyError, TypeError):
        raise Forbidden("actor token is malformed") from None


@functools.lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> Actor:
    """`read_token`, remembered: callers send the same token with every call (a forged or
    malformed one raises, and raising is not remembered)."""
    return read_token(token, secret)


def context_for(actor: Actor, secret: str) -> dict[str, str]:
    """Context data to give a `ClusterRpcProxy` so its calls act as `actor`."""
    return {CONTEXT_KEY: issue_token(actor, secret)}


class ActorAccess:
    """A worker's view of its caller: calling it gives the verified actor."""

    def __init__(self, worker_ctx, secret: str):
        self.worker_ctx = worker_ctx
        self.secret = secret

    def __call__(self) -> Actor:
        token = self.worker_ctx.data.get(CONTEXT_KEY)
        if isinstance(token, str):
            return _verified(token, self.secret)
        return read_token(token, self.secret)

    def become_service(self, service_name: str) -> Actor:
        """For work nobody called (timers): the service acts as itself, and the RPCs it
        makes carry that actor."""
        actor = Actor(service_name, "system")
        self.worker_ctx.data[CONTEXT_KEY] = issue_token(actor, self.secret)
        return actor


class CurrentActor(DependencyProvider):
    """Hands each worker an `ActorAccess` for the verified actor of its call."""

    def setup(self) -> None:
        self.secret = str(self.container.config.get("ACTOR_SECRET", ""))
        if not self.secret:
            raise RuntimeError("ACTOR_SECRET is not configured")

    def get_dependency(self, worker_ctx) -> ActorAccess:
        return ActorAccess(worker_ctx, self.secret)
