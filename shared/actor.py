"""Who is calling: an actor signed into nameko context data, and the check
"may this actor act on this unit".

A token is a JSON Web Token (PyJWT, HS256) carrying the actor and an expiry (`exp`, default
12 hours after it is issued; 30 s of clock difference are allowed); the secret is shared by the
services and by the systems that are allowed to issue tokens. A `Keyring` names the key a token
was signed with (`kid` in its header), so keys rotate without a moment when tokens fail:
services first accept the new key beside the current one, issuers then sign with it, and the
old key is dropped once its tokens have expired.
"""

import contextlib
import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import jwt
from nameko.extensions import DependencyProvider

import shared.remote  # noqa: F401 - every caller signs with this module: its errors map back to their classes
from shared.errors import Forbidden
from shared.rights import GROUPS

CONTEXT_KEY = "linli_actor"
TOKEN_SECONDS = 12 * 3600  # how long a token issued by `context_for` is valid
CLOCK_LEEWAY = 30  # seconds of clock difference allowed between issuer and service
#: Roles that act on the whole tree, e.g. another district system or ops tooling.
ROOT_ROLES = frozenset(GROUPS["root"])


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

    @property
    def key(self) -> str:
        """Who is calling, as a key that scopes what the caller names (request ids, references):
        the same name from another actor, role or jurisdiction is another thing."""
        return "\0".join((self.who, self.role, self.jurisdiction[-1] if self.jurisdiction else ""))

    def as_dict(self) -> dict:
        return {"who": self.who, "role": self.role, "jurisdiction": list(self.jurisdiction)}


@dataclass(frozen=True)
class Keyring:
    """The key tokens are signed with (`key_id` in their header when it has one) and the older
    keys still accepted, by id. A token without a key id is checked with the signing key."""

    secret: str
    key_id: str | None = None
    accepted: tuple[tuple[str, str], ...] = ()  # (key id, secret) of keys being rotated in or out

    @classmethod
    def from_config(cls, config: Mapping) -> "Keyring":
        """`ACTOR_SECRET` signs (as `ACTOR_KEY_ID` when set); `ACTOR_KEYS` ("id:secret,id:secret"
        or a mapping) are accepted too."""
        secret = str(config.get("ACTOR_SECRET") or "")
        if not secret:
            raise RuntimeError("ACTOR_SECRET is not configured")
        keys = config.get("ACTOR_KEYS") or {}
        if isinstance(keys, str):
            keys = dict(pair.split(":", 1) for pair in keys.split(",") if ":" in pair)
        return cls(secret, str(config.get("ACTOR_KEY_ID") or "") or None,
                   tuple(sorted((str(k), str(v)) for k, v in keys.items())))

    def secret_for(self, key_id: object) -> str:
        if key_id is None or key_id == self.key_id:
            return self.secret
        for known, secret in self.accepted:
            if known == key_id:
                return secret
        raise Forbidden("actor token is signed with a key that is not accepted")


def _ring(key: "str | Keyring") -> Keyring:
    return key if isinstance(key, Keyring) else Keyring(key)


def issue_token(actor: Actor, key: "str | Keyring", lifetime: float = TOKEN_SECONDS) -> str:
    ring, issued = _ring(key), int(time.time())
    headers = {"kid": ring.key_id} if ring.key_id else None
    return jwt.encode({**actor.as_dict(), "iat": issued, "exp": issued + int(lifetime)}, ring.secret,
                      algorithm="HS256", headers=headers)


def read_token(token: object, key: "str | Keyring") -> Actor:
    """The actor of a token, or `Forbidden` when it is missing, malformed, forged, expired or
    signed with a key that is not accepted."""
    return _read(token, _ring(key))[0]


def _read(token: object, ring: Keyring) -> tuple[Actor, float]:
    """(actor, expiry as a Unix time)."""
    if not isinstance(token, str) or not token:
        raise Forbidden("no valid actor in the call's context data")
    try:
        secret = ring.secret_for(jwt.get_unverified_header(token).get("kid"))
        data = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]}, leeway=CLOCK_LEEWAY)
    except jwt.ExpiredSignatureError:
        raise Forbidden("actor token has expired") from None
    except jwt.InvalidSignatureError:
        raise Forbidden("actor signature does not match") from None
    except jwt.InvalidTokenError:
        raise Forbidden("actor token is malformed") from None
    try:
        return Actor(str(data["who"]), str(data["role"]), tuple(data.get("jurisdiction") or ())), float(data["exp"])
    except (KeyError, TypeError, ValueError):
        raise Forbidden("actor token is malformed") from None


@functools.lru_cache(maxsize=4096)
def _verified(token: str, ring: Keyring) -> tuple[Actor, float]:
    """`_read`, remembered: callers send the same token with every call (a forged or
    malformed one raises, and raising is not remembered); its expiry is checked on every use."""
    return _read(token, ring)


def context_for(actor: Actor, key: "str | Keyring", lifetime: float = TOKEN_SECONDS) -> dict[str, str]:
    """Context data to give a `ClusterRpcProxy` so its calls act as `actor`."""
    return {CONTEXT_KEY: issue_token(actor, key, lifetime)}


class ActorAccess:
    """A worker's view of its caller: calling it gives the verified actor."""

    def __init__(self, worker_ctx, keys: "str | Keyring"):
        self.worker_ctx = worker_ctx
        self.keys = _ring(keys)

    def __call__(self) -> Actor:
        token = self.worker_ctx.data.get(CONTEXT_KEY)
        if not isinstance(token, str):
            return read_token(token, self.keys)
        actor, expires = _verified(token, self.keys)
        if time.time() > expires + CLOCK_LEEWAY:
            raise Forbidden("actor token has expired")
        return actor

    @contextlib.contextmanager
    def acting_as(self, actor: Actor, lifetime: float = 300):
        """RPCs made inside the block carry `actor` (a support team accepting a case it was
        dispatched, say); the caller's own token is back afterwards."""
        before = self.worker_ctx.data.get(CONTEXT_KEY)
        self.worker_ctx.data[CONTEXT_KEY] = issue_token(actor, self.keys, lifetime)
        try:
            yield actor
        finally:
            if before is None:
                self.worker_ctx.data.pop(CONTEXT_KEY, None)
            else:
                self.worker_ctx.data[CONTEXT_KEY] = before

    def become_service(self, service_name: str) -> Actor:
        """For work nobody called (timers): the service acts as itself, and the RPCs it
        makes carry that actor."""
        actor = Actor(service_name, "system")
        self.worker_ctx.data[CONTEXT_KEY] = issue_token(actor, self.keys)
        return actor


class CurrentActor(DependencyProvider):
    """Hands each worker an `ActorAccess` for the verified actor of its call."""

    def setup(self) -> None:
        self.keys = Keyring.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> ActorAccess:
        return ActorAccess(worker_ctx, self.keys)
