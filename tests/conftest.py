"""Session fixtures: a real broker and database for integration and e2e tests.
Unit tests never touch these; the stack starts only when a test asks for it.
"""

import contextlib
import inspect
import os
from pathlib import Path

import pytest
from nameko.rpc import Rpc

from shared.actor import Actor, context_for
from shared.ids import new_id
from shared.stack import docker_available, local_stack, stack_from_env
from shared.stack.resolve import Stack

SECRET = "test-secret-for-the-actor-tokens-0123"
COMPOSE_FILE = Path(__file__).parent / "docker-compose.yml"


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(COMPOSE_FILE)


@pytest.fixture(scope="session")
def stack(request):
    """Environment URIs, else Docker (pytest-docker), else local RabbitMQ + FerretDB processes."""
    with contextlib.ExitStack() as cleanup:
        found = stack_from_env()
        if found is None and docker_available():
            services = request.getfixturevalue("docker_services")
            ip = request.getfixturevalue("docker_ip")
            found = Stack(f"amqp://guest:guest@{ip}:{services.port_for('rabbitmq', 5672)}/",
                          f"mongodb://{ip}:{services.port_for('mongodb', 27017)}/", "docker")
        if found is None:
            found = cleanup.enter_context(local_stack())
        versions = found.versions()
        print(f"\n[stack] source={found.source} rabbitmq={versions['rabbitmq']} mongodb={versions['mongodb']}")
        request.config.stash[STACK_KEY] = (found, versions)
        yield found


STACK_KEY = pytest.StashKey()


def pytest_terminal_summary(terminalreporter, config):
    found = config.stash.get(STACK_KEY, None)
    if found:
        stack_, versions = found
        terminalreporter.write_line(
            f"stack: {stack_.source}: RabbitMQ {versions['rabbitmq']} at {stack_.amqp_uri}, "
            f"MongoDB-compatible {versions['mongodb']} at {stack_.mongo_uri}")


def service_config(stack: Stack, **extra) -> dict:
    return {
        "AMQP_URI": stack.amqp_uri,
        "MONGO_URI": stack.mongo_uri,
        "ACTOR_SECRET": SECRET,
        "UNMASK_ROLES": ["secretary", "grid_worker", "duty_officer", "admin", "system:notifications"],
        "OUTBOX_SWEEP_SECONDS": 0.5,
        **extra,
    }


@contextlib.contextmanager
def service_processes_env(stack: Stack, name: str, **extra: str):
    """The environment of `nameko run` service processes on the session's stack, with their own
    rosters, cases, volunteers, notifications and hotline databases (`<name>r`, `<name>c`,
    `<name>v`, `<name>n`, `<name>h`), dropped afterwards."""
    from shared.mongo import mongo_client

    env = {**os.environ, "AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ACTOR_SECRET": SECRET,
           "ROSTERS_DB": f"{name}r", "CASES_DB": f"{name}c", "VOLUNTEERS_DB": f"{name}v",
           "NOTIFICATIONS_DB": f"{name}n", "HOTLINE_DB": f"{name}h", "OUTBOX_SWEEP_SECONDS": "0.5", **extra}
    yield env
    client = mongo_client(stack.mongo_uri)
    client.drop_database(env["ROSTERS_DB"])
    client.drop_database(env["CASES_DB"])
    client.drop_database(env["VOLUNTEERS_DB"])
    client.drop_database(env["NOTIFICATIONS_DB"])
    client.drop_database(env["HOTLINE_DB"])
    client.close()


def rpc_names(service_cls: type) -> set[str]:
    """The names of a service class's `@rpc` entrypoints, its own and those it inherits."""
    return {name for name, method in inspect.getmembers(service_cls, inspect.isfunction)
            if any(isinstance(e, Rpc) for e in getattr(method, "nameko_entrypoints", ()))}


def actor_context(who: str = "ops", role: str = "admin", jurisdiction: tuple[str, ...] = ()) -> dict:
    return context_for(Actor(who, role, jurisdiction), SECRET)


@pytest.fixture
def database_name():
    return new_id("test").replace("_", "")
