"""Integration fixtures: real service containers on the real broker and database."""

import contextlib

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.mongo import mongo_client
from tests.conftest import actor_context, service_config

pytestmark = pytest.mark.integration


@pytest.fixture
def mongo(stack):
    client = mongo_client(stack.mongo_uri)
    yield client
    client.close()


@pytest.fixture
def rpc_as(stack):
    """`rpc_as(role=..., jurisdiction=...)` gives a cluster proxy acting as that actor."""
    with contextlib.ExitStack() as proxies:

        def open_proxy(who="ops", role="admin", jurisdiction=(), timeout=20):
            config = service_config(stack)
            proxy = ClusterRpcProxy(config, context_data=actor_context(who, role, tuple(jurisdiction)),
                                    timeout=timeout)
            return proxies.enter_context(proxy)

        yield open_proxy
