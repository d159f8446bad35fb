"""Signed actor tokens and the jurisdiction check."""

import base64
import json
import time

import jwt
import pytest

from shared.actor import CONTEXT_KEY, Actor, ActorAccess, issue_token, read_token
from shared.errors import Forbidden

SECRET = "jiayuan-secret"
DISTRICT, STREET, COMMUNITY, ESTATE, UNIT = "unit_yuhua", "unit_zuojiatang", "unit_jiayuan", "unit_jinchang", "unit_2_1"
JINCHANG_2_1 = [DISTRICT, STREET, COMMUNITY, ESTATE, UNIT]


def test_a_token_reads_back_as_the_actor_it_was_issued_for():
    actor = Actor("康早新", "unit_leader", (DISTRICT, STREET, COMMUNITY))

    read = read_token(issue_token(actor, SECRET), SECRET)

    assert read == actor


def test_a_token_signed_with_another_secret_is_forbidden():
    token = issue_token(Actor("康早新", "unit_leader", (COMMUNITY,)), "another-secret")

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
    assert refused.value.details == [{"field": "jurisdiction", "reason": "the target is outside it"}]
