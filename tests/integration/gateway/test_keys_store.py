"""API keys on the real database: a key admits the requests of the actor it was issued for until
it is revoked, at most its limit a minute, also when processes with their own clients spend
it at the same moment."""

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway import keys
from services.gateway.repository import GatewayStore
from shared.actor import Actor
from shared.mongo import mongo_client

pytestmark = pytest.mark.integration

DISTRICT, STREET, COMMUNITY = "unit_yuhua", "unit_zuojiatang", "unit_jiayuan"
DISTRICT_APP = Actor("district-app", "grid_worker", (DISTRICT, STREET, COMMUNITY))
NOW = datetime(2026, 3, 2, 9, 41, 27, 250_000, tzinfo=UTC)  # 33 s before the next minute
RACERS, ADMITS_EACH, RACE_LIMIT = 4, 15, 20
RACE_TIMEOUT_SECONDS = 180


@pytest.fixture
def api_keys(gateway_db):
    """The key store on a fresh database (`gateway_db`, from this folder's conftest)."""
    store = GatewayStore(gateway_db, None, {})
    store.ensure_indexes()
    return store.keys


def issue(api_keys, per_minute: int = 600, at: datetime = NOW, actor: Actor = DISTRICT_APP) -> tuple[str, dict]:
    raw = keys.new_raw_key()
    return raw, api_keys.issue(keys.key_document(keys.digest(raw), "区综治平台", actor, per_minute, at))


def test_an_issued_key_admits_its_actor_and_is_stored_only_as_its_digest(api_keys):
    raw, issued = issue(api_keys)

    admitted = api_keys.admit(raw, NOW)

    assert keys.actor_of(admitted) == DISTRICT_APP
    assert (admitted["_id"], admitted["used"]) == (issued["_id"], 1)
    stored = api_keys.coll.find_one({"_id": keys.digest(raw)})
    assert raw not in repr(stored) and raw not in repr(list(api_keys.coll.find({})))


def test_a_revoked_key_is_refused_like_an_unknown_one(api_keys):
    raw, issued = issue(api_keys)
    api_keys.admit(raw, NOW)

    api_keys.revoke(issued["key_id"], NOW + timedelta(seconds=5))

    with pytest.raises(keys.Unauthenticated) as revoked:
        api_keys.admit(raw, NOW + timedelta(seconds=6))
    with pytest.raises(keys.Unauthenticated) as unknown:
        api_keys.admit(keys.new_raw_key(), NOW)
    assert revoked.value.to_dict() == unknown.value.to_dict()
    assert revoked.value.message == "unknown or revoked API key"
    assert [d["field"] for d in revoked.value.details] == ["api_key"]


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_a_request_without_a_key_is_refused_as_unauthenticated(api_keys, raw):
    issue(api_keys)

    with pytest.raises(keys.Unauthenticated) as refused:
        api_keys.admit(raw, NOW)

    assert refused.value.details[0]["field"] == "api_key" and refused.value.details[0]["reason"] == "required"


def test_revoking_twice_keeps_the_first_time_and_the_list_shows_it(api_keys):
    _, issued = issue(api_keys)
    _, other = issue(api_keys, at=NOW + timedelta(seconds=1))

    first = api_keys.revoke(issued["key_id"], NOW + timedelta(minutes=1))
    again = api_keys.revoke(issued["key_id"], NOW + timedelta(minutes=2))

    assert first["revoked_at"] == again["revoked_at"] == NOW + timedelta(minutes=1)
    listed = [keys.public_view(doc) for doc in api_keys.listed()]
    assert [(view["key_id"], view["revoked"]) for view in listed] == [(issued["key_id"], True),
                                                                      (other["key_id"], False)]
    assert all("_id" not in view for view in listed)


def test_revoking_a_key_nobody_issued_names_the_key_id(api_keys):
    with pytest.raises(keys.KeyNotFound) as missing:
        api_keys.revoke("0123456789ab", NOW)

    assert "0123456789ab" in missing.value.message
    assert missing.value.details[0]["field"] == "key_id"


def test_a_key_admits_its_limit_a_minute_and_then_says_when_to_retry(api_keys):
    raw, _ = issue(api_keys, per_minute=5)

    outcomes = []
    for n in range(8):
        try:
            outcomes.append(api_keys.admit(raw, NOW + timedelta(seconds=n))["used"])
        except keys.RateLimited as limited:
            outcomes.append(limited.retry_after)

    assert outcomes[:5] == [1, 2, 3, 4, 5]
    assert outcomes[5:] == [33 - 5, 33 - 6, 33 - 7]
    assert all(1 <= seconds <= 60 for seconds in outcomes[5:])


def test_the_next_minute_admits_again_from_a_fresh_count(api_keys):
    raw, _ = issue(api_keys, per_minute=5)
    for _ in range(5):
        api_keys.admit(raw, NOW)
    with pytest.raises(keys.RateLimited):
        api_keys.admit(raw, NOW)

    admitted = api_keys.admit(raw, NOW + timedelta(seconds=33))

    assert admitted["used"] == 1
    assert admitted["window"] == datetime(2026, 3, 2, 9, 42, tzinfo=UTC)


def test_a_request_stamped_with_an_earlier_minute_counts_in_the_current_window(api_keys):
    raw, _ = issue(api_keys, per_minute=5)
    api_keys.admit(raw, NOW + timedelta(minutes=1))

    admitted = api_keys.admit(raw, NOW)  # a gateway whose clock runs behind

    assert admitted["used"] == 2
    assert admitted["window"] == datetime(2026, 3, 2, 9, 42, tzinfo=UTC)


def spend(uri: str, db_name: str, raw: str, now: datetime, count: int, start, results) -> None:
    """One racer: its own client, `count` admits on the key from the moment all racers are ready;
    puts (admitted, each limited request's retry_after) on `results`."""
    client = mongo_client(uri)
    try:
        client.admin.command("ping")
        api_keys = GatewayStore(client[db_name], None, {}).keys
        start.wait(timeout=RACE_TIMEOUT_SECONDS)
        admitted, waits = 0, []
        for _ in range(count):
            try:
                api_keys.admit(raw, now)
                admitted += 1
            except keys.RateLimited as limited:
                waits.append(limited.retry_after)
        results.put((admitted, waits))
    finally:
        client.close()


def race(uri: str, db_name: str, raw: str, now: datetime) -> list[tuple[int, list[int]]]:
    """RACERS processes spend the key at once; their results, in the order they finished."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(RACERS), context.Queue()
    racers = [context.Process(target=spend, args=(uri, db_name, raw, now, ADMITS_EACH, start, results))
              for _ in range(RACERS)]
    for racer in racers:
        racer.start()
    try:
        return [results.get(timeout=RACE_TIMEOUT_SECONDS) for _ in racers]
    finally:
        for racer in racers:
            racer.join(timeout=10)
            if racer.is_alive():
                racer.kill()
                racer.join()


# how long before the race the key was issued: its window is this minute, or must first move to it
ISSUED_BEFORE = [timedelta(0), timedelta(minutes=1), timedelta(hours=2)]


@pytest.mark.parametrize("issued_before", ISSUED_BEFORE, ids=["this-minute", "last-minute", "hours-ago"])
def test_processes_spending_one_key_at_once_get_exactly_its_limit(stack, gateway_db, api_keys, issued_before):
    raw, issued = issue(api_keys, per_minute=RACE_LIMIT, at=NOW - issued_before)

    reported = race(stack.mongo_uri, gateway_db.name, raw, NOW)

    admitted = sum(count for count, _ in reported)
    waits = [seconds for _, racer_waits in reported for seconds in racer_waits]
    stored = api_keys.coll.find_one({"_id": issued["_id"]})
    print(f"{RACERS} processes x {ADMITS_EACH} requests on a key of {RACE_LIMIT} a minute, issued {issued_before} "
          f"before: admitted {admitted}, refused {len(waits)} (Retry-After {sorted(set(waits))})")
    assert (admitted, len(waits)) == (RACE_LIMIT, RACERS * ADMITS_EACH - RACE_LIMIT), reported
    assert set(waits) == {33}
    assert (stored["window"], stored["used"]) == (keys.minute_of(NOW), RACERS * ADMITS_EACH)
