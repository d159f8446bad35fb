"""Bad input to every gateway RPC (the table is checked against the service class): a
structured error naming the field, and no key issued, revoked or changed."""

import pytest

from services.gateway.service import GatewayService
from shared.errors import LinliError
from tests.conftest import rpc_names

BAD = [
    ("issue_key", {"who": "app", "role": "admin"}, "name"),
    ("issue_key", {"name": " ", "who": "app", "role": "admin"}, "name"),
    ("issue_key", {"name": "app", "role": "admin"}, "who"),
    ("issue_key", {"name": "app", "who": "app", "role": "mayor"}, "role"),
    ("issue_key", {"name": "app", "who": "app", "role": "secretary"}, "node_id"),
    ("issue_key", {"name": "app", "who": "app", "role": "secretary", "node_id": "unit_nowhere"}, "node_id"),
    ("issue_key", {"name": "app", "who": "app", "role": "admin", "per_minute": 0}, "per_minute"),
    ("issue_key", {"name": "app", "who": "app", "role": "admin", "per_minute": "600"}, "per_minute"),
    ("issue_key", {"name": "app", "who": "app", "role": "admin", "public_reads": True}, "public_reads"),
    ("issue_key", {"name": "app", "who": "app", "role": "secretary", "node_id": "unit_jiayuan", "public_reads": True},
     "public_reads"),
    ("issue_key", {"name": "app", "who": "notifications", "role": "system"}, "role"),
    ("issue_key", {"name": "app", "who": "app", "role": "admin", "colour": "red"}, "colour"),
    ("issue_key", {"name": "app\x00", "who": "app", "role": "admin"}, "name"),
    ("revoke_key", {}, "key_id"),
    ("revoke_key", {"key_id": "nosuchkey"}, "key_id"),
    ("revoke_key", {"key_id": "k" * 41}, "key_id"),
    ("list_keys", {"limit": 5}, "limit"),
]


def test_the_table_covers_every_gateway_rpc():
    assert {rpc for rpc, _, _ in BAD} == rpc_names(GatewayService)


@pytest.mark.parametrize(("rpc", "data", "field"), BAD, ids=[f"{r}-{f}" for r, _, f in BAD])
def test_bad_input_is_refused_naming_its_field_and_changes_nothing(gateway, rpc, data, field):
    gateway.issue()
    before = gateway.worker().list_keys()
    with pytest.raises(LinliError) as refused:
        getattr(gateway.worker(), rpc)(**data)
    assert field in [d["field"] for d in refused.value.details]
    assert gateway.worker().list_keys() == before
