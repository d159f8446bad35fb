"""API keys as pure functions: a key is stored by its digest and never as itself, named in
public by a short id, counted per minute of UTC, and its errors survive nameko's round trip."""

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from nameko.exceptions import deserialize, serialize

from services.gateway import keys
from shared.actor import Actor
from shared.errors import NotFound, ValidationFailed

DISTRICT, STREET, COMMUNITY = "unit_yuhua", "unit_zuojiatang", "unit_jiayuan"
DISTRICT_APP = Actor("district-app", "grid_worker", (DISTRICT, STREET, COMMUNITY))
NOW = datetime(2026, 3, 2, 9, 41, 27, 250_000, tzinfo=UTC)


def issued(actor: Actor = DISTRICT_APP, per_minute: int = 600) -> tuple[str, dict]:
    raw = keys.new_raw_key()
    return raw, keys.key_document(keys.digest(raw), "区综治平台", actor, per_minute, NOW)


def test_a_raw_key_is_prefixed_and_fresh_each_time():
    first, second = keys.new_raw_key(), keys.new_raw_key()

    assert first.startswith("lk_") and len(first) > 40
    assert first != second


def test_the_digest_of_a_key_is_stable_and_its_sha256():
    assert keys.digest("lk_example") == keys.digest("lk_example") == hashlib.sha256(b"lk_example").hexdigest()
    assert keys.digest("lk_example") != keys.digest("lk_examplf")


def test_the_key_id_is_the_first_twelve_characters_of_the_digest():
    key_digest = keys.digest("lk_example")

    assert keys.key_id_of(key_digest) == key_digest[:12]


def test_the_document_is_found_by_the_digest_and_never_holds_the_raw_key():
    raw, doc = issued()

    assert doc["_id"] == keys.digest(raw)
    assert doc["key_id"] == keys.key_id_of(doc["_id"])
    assert raw not in json.dumps(keys.public_view(doc)) and raw not in repr(doc)
    assert raw[len("lk_"):] not in repr(doc)


def test_the_document_holds_the_actor_the_limit_and_an_empty_count_of_this_minute():
    _, doc = issued(per_minute=30)

    assert (doc["who"], doc["role"], doc["jurisdiction"]) == ("district-app", "grid_worker",
                                                              [DISTRICT, STREET, COMMUNITY])
    assert (doc["name"], doc["per_minute"], doc["used"]) == ("区综治平台", 30, 0)
    assert (doc["created_at"], doc["revoked_at"]) == (NOW, None)
    assert doc["window"] == datetime(2026, 3, 2, 9, 41, tzinfo=UTC)


def test_the_actor_of_a_key_is_the_actor_it_was_issued_for():
    _, doc = issued()

    assert keys.actor_of(doc) == DISTRICT_APP


@pytest.mark.parametrize("role", ["mayor", "", "Admin"])
def test_a_role_the_rights_do_not_know_is_refused_naming_the_field(role):
    with pytest.raises(ValidationFailed) as refused:
        issued(Actor("district-app", role, (COMMUNITY,)))

    assert refused.value.fields.keys() == {"role"}


@pytest.mark.parametrize("per_minute", [0, -5, 2.5, True])
def test_a_limit_below_one_request_a_minute_is_refused(per_minute):
    with pytest.raises(ValidationFailed) as refused:
        issued(per_minute=per_minute)

    assert refused.value.fields.keys() == {"per_minute"}


# a moment, the start of its minute in UTC
MINUTES = [
    (NOW, datetime(2026, 3, 2, 9, 41, tzinfo=UTC)),
    (datetime(2026, 3, 2, 9, 41, tzinfo=UTC), datetime(2026, 3, 2, 9, 41, tzinfo=UTC)),
    (datetime(2026, 3, 2, 9, 41, 59, 999_999, tzinfo=UTC), datetime(2026, 3, 2, 9, 41, tzinfo=UTC)),
    (datetime(2026, 3, 2, 17, 41, 5, tzinfo=timezone(timedelta(hours=8))), datetime(2026, 3, 2, 9, 41, tzinfo=UTC)),
    (datetime(2026, 3, 2, 9, 41, 5), datetime(2026, 3, 2, 9, 41, tzinfo=UTC)),
]


@pytest.mark.parametrize(("moment", "minute"), MINUTES, ids=[m.isoformat() for m, _ in MINUTES])
def test_a_moment_is_counted_in_the_utc_minute_it_falls_in(moment, minute):
    counted = keys.minute_of(moment)

    assert counted == minute and counted.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("second", "microsecond", "seconds"), [(0, 0, 60), (27, 250_000, 33), (59, 0, 1),
                                                                 (59, 999_999, 1)])
def test_a_limited_caller_waits_until_the_next_minute_at_least_a_second(second, microsecond, seconds):
    moment = datetime(2026, 3, 2, 9, 41, second, microsecond, tzinfo=UTC)

    assert keys.seconds_to_next_minute(moment) == seconds


def test_a_request_within_the_limit_passes_and_one_over_it_is_limited():
    _, doc = issued(per_minute=5)

    assert keys.within_limit({**doc, "used": 5}, NOW)["used"] == 5
    with pytest.raises(keys.RateLimited) as limited:
        keys.within_limit({**doc, "used": 6}, NOW)

    assert limited.value.retry_after == 33
    assert limited.value.details[0]["field"] == "api_key"
    assert limited.value.details[0]["retry_after"] == 33


def test_the_public_view_hides_the_digest_and_says_whether_the_key_is_revoked():
    _, doc = issued()

    view = keys.public_view(doc)
    revoked = keys.public_view({**doc, "revoked_at": NOW + timedelta(days=1)})

    assert "_id" not in view and doc["_id"] not in json.dumps(view)
    assert view["key_id"] == doc["key_id"]
    assert view["revoked"] is False and revoked["revoked"] is True
    assert view["created_at"] == "2026-03-02T09:41:27.250+00:00"
    assert revoked["revoked_at"] == "2026-03-03T09:41:27.250+00:00"
    json.dumps(view)


def test_a_missing_and_an_unknown_key_read_alike_apart_from_the_reason():
    missing, unknown = keys.Unauthenticated.missing(), keys.Unauthenticated.unknown()

    assert missing.code == unknown.code == "unauthenticated"
    assert unknown.message == "unknown or revoked API key"
    assert [d["field"] for d in missing.details] == [d["field"] for d in unknown.details] == ["api_key"]
    assert missing.details[0]["reason"] == "required"


@pytest.mark.parametrize("error", [keys.Unauthenticated.unknown(), keys.RateLimited.after(17, 600),
                                   keys.KeyNotFound("no API key 0123456789ab",
                                                    [{"field": "key_id", "reason": "not found"}])],
                         ids=lambda error: type(error).__name__)
def test_each_error_comes_back_from_nameko_as_itself(error):
    rebuilt = deserialize(serialize(error))

    assert type(rebuilt) is type(error)
    assert (rebuilt.code, rebuilt.message, rebuilt.message_zh) == (error.code, error.message, error.message_zh)
    assert [d["field"] for d in rebuilt.details] == [d["field"] for d in error.details]
    assert getattr(rebuilt, "retry_after", None) == getattr(error, "retry_after", None)


def test_an_unknown_key_id_is_a_not_found():
    assert issubclass(keys.KeyNotFound, NotFound)
