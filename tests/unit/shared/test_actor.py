"""Signed actor tokens and the jurisdiction check."""

import base64
import json
import time

import jwt
import pytest

from shared.actor import CONTEXT_KEY, Actor, ActorAccess, Keyring, issue_token, read_token
from shared.errors import Forbidden

SECRET = "jiayuan-secret-for-tests-0123456789"
DISTRICT, STREET, COMMUNITY, ESTATE, UNIT = "unit_yuhua", "unit_zuojiatang", "unit_jiayuan", "unit_jinchang", "unit_2_1"
JINCHANG_2_1 = [DISTRICT, STREET, COMMUNITY, ESTATE, UNIT]


def test_a_token_reads_back_as_the_actor_it_was_issued_for():
    actor = Actor("康早新", "unit_leader", (DISTRICT, STREET, COMMUNITY))

    read = read_token(issue_token(actor, SECRET), SECRET)

    assert read == actor


def test_a_token_signed_with_another_secret_is_forbidden():
    token = issue_token(Actor("康早新", "unit_leader", (COMMUNITY,)), "another-secret-of-another-issuer-0123")

    with pytest.raises(Forbidden, match="signature"):
        read_token(token, SECRET)


def test_a_token_whose_body_was_changed_is_forbidden():
    token = issue_token(Actor("康早新", "unit_leader", (COMMUNITY,)), SECRET)
    header, _, signature = token.split(".")
    claims = {"who": "康早新", "role": "admin", "exp": int(time.time()) + 3600}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    with pytest.raises(Forbidden):
        read_token(f"{header}.{body}.{signature}", SECRET)


def test_a_token_that_expired_is_forbidden_even_once_remembered():
    long_ago = jwt.encode({"who": "康早新", "role": "admin", "exp": 978307200}, SECRET, algorithm="HS256")  # 2001
    soon = issue_token(Actor("康早新", "unit_leader", (COMMUNITY,)), SECRET, lifetime=-31)  # past the leeway
    access = ActorAccess(type("Ctx", (), {"data": {CONTEXT_KEY: soon}})(), SECRET)

    with pytest.raises(Forbidden, match="expired"):
        read_token(long_ago, SECRET)
    with pytest.raises(Forbidden, match="expired"):
        access()


def test_a_token_without_an_expiry_is_forbidden():
    forever = jwt.encode({"who": "康早新", "role": "admin"}, SECRET, algorithm="HS256")

    with pytest.raises(Forbidden, match="malformed"):
        read_token(forever, SECRET)


@pytest.mark.parametrize("token", [None, "", "no-dot-at-all", "a.b.c", 42])
def test_a_missing_or_malformed_token_is_forbidden(token):
    with pytest.raises(Forbidden):
        read_token(token, SECRET)


def test_a_correctly_signed_body_that_is_not_an_actor_is_forbidden():
    token = jwt.encode({"who": "x", "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")

    with pytest.raises(Forbidden, match="malformed"):
        read_token(token, SECRET)


def test_an_admin_may_act_anywhere():
    admin = Actor("ops", "admin")

    assert admin.may_act_on(JINCHANG_2_1)
    assert admin.may_act_on([])


def test_a_system_actor_may_act_anywhere():
    assert Actor("district-system", "system").may_act_on(["unit_beihu"])


def test_an_actor_may_act_on_units_whose_lineage_holds_the_last_id_of_their_jurisdiction():
    leader = Actor("曾玉琴", "secretary", (DISTRICT, STREET, COMMUNITY))

    assert leader.may_act_on(JINCHANG_2_1)
    assert leader.may_act_on([DISTRICT, STREET, COMMUNITY])


def test_an_actor_may_not_act_above_or_beside_their_jurisdiction():
    leader = Actor("曾玉琴", "secretary", (DISTRICT, STREET, COMMUNITY))

    assert not leader.may_act_on([DISTRICT, STREET])
    assert not leader.may_act_on(["unit_beihu", "unit_beihu_street", "unit_lianfu"])


def test_only_the_last_jurisdiction_id_counts():
    leader = Actor("康早新", "unit_leader", (COMMUNITY, UNIT))

    assert not leader.may_act_on([DISTRICT, STREET, COMMUNITY, ESTATE, "unit_2_2"])


def test_an_actor_without_jurisdiction_may_act_nowhere():
    assert not Actor("康早新", "unit_leader").may_act_on(JINCHANG_2_1)


def test_a_refusal_outside_the_jurisdiction_names_nothing_of_the_target():
    leader = Actor("何涛", "zone_leader", ("unit_lianfu",))

    with pytest.raises(Forbidden) as refused:
        leader.require(JINCHANG_2_1)

    assert not any(unit_id in str(refused.value.to_dict()) for unit_id in JINCHANG_2_1)
    assert refused.value.details == [{"field": "jurisdiction", "reason": "the target is outside it",
                                      "reason_zh": "管辖范围（jurisdiction）不包含要操作的对象"}]


OLD_KEY, NEW_KEY = "jiayuan-key-2025-" + "x" * 16, "jiayuan-key-2026-" + "y" * 16


def test_a_token_signed_with_a_key_being_rotated_in_is_accepted_beside_the_current_one():
    service = Keyring.from_config({"ACTOR_SECRET": OLD_KEY, "ACTOR_KEY_ID": "2025", "ACTOR_KEYS": f"2026:{NEW_KEY}"})
    issuer = Keyring(NEW_KEY, "2026")
    actor = Actor("康早新", "unit_leader", (COMMUNITY,))

    assert read_token(issue_token(actor, issuer), service) == actor
    assert read_token(issue_token(actor, Keyring(OLD_KEY, "2025")), service) == actor
    assert jwt.get_unverified_header(issue_token(actor, issuer))["kid"] == "2026"


def test_a_token_whose_key_was_dropped_or_never_known_is_forbidden():
    service = Keyring(NEW_KEY, "2026")

    with pytest.raises(Forbidden, match="not accepted"):
        read_token(issue_token(Actor("康早新", "unit_leader", (COMMUNITY,)), Keyring(OLD_KEY, "2025")), service)


def test_a_token_without_a_key_id_is_checked_with_the_signing_key():
    actor = Actor("康早新", "unit_leader", (COMMUNITY,))

    assert read_token(issue_token(actor, NEW_KEY), Keyring(NEW_KEY, "2026")) == actor
    with pytest.raises(Forbidden, match="signature"):
        read_token(issue_token(actor, OLD_KEY), Keyring(NEW_KEY, "2026", (("2025", OLD_KEY),)))
