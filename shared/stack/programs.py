"""The processes `make run` supervises: epmd, RabbitMQ, FerretDB and each service, with data under `var/data`.

The services are those the installed project declares in the entry-point group `linli.services`;
beside them, the local stand-ins for outside systems declared in `linli.stand_ins` (a platform
simulator, say), unless the environment already points the services at the real system.
"""

import importlib.util
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from pathlib import Path

from shared import plugins
from shared.stack import ferret, rabbit
from shared.stack.places import ROOT, CannotRun, Places

SERVICE_GROUP = "linli.services"  # name (the nameko service name) = "package.module:ServiceClass"
#: name = "package.module:function", `function(port, data_dir) -> {"command": [...], "environment":
#: {...}}` (what the services need to reach it); the module's `DEFAULT_PORT`, or `LINLI_<NAME>_PORT`.
STAND_IN_GROUP = "linli.stand_ins"
NODE_NAME = "linli@localhost"  # RabbitMQ keeps its data per node name: it never changes between runs


@dataclass(frozen=True)
class Program:
    """One supervised process: how to start it, when it counts as started and how to tell it answers."""

    name: str
    command: list[str]
    priority: int  # started in this order, stopped in the reverse one
    ready: Callable[[], bool]
    environment: Mapping[str, str] = field(default_factory=dict)
    directory: Path = ROOT
    startsecs: int = 5  # an exit sooner than this is a failed start, retried after 1 s, 2 s, 3 s...
    stopwaitsecs: int = 30  # then SIGKILL


def local_uris(ports: Mapping[str, int]) -> tuple[str, str]:
    return (f"amqp://guest:guest@127.0.0.1:{ports['LINLI_AMQP_PORT']}/",
            f"mongodb://127.0.0.1:{ports['LINLI_MONGO_PORT']}/")


def broker_and_database(places: Places, ports: Mapping[str, int]) -> list[Program]:
    """epmd, the RabbitMQ node and FerretDB, installing or building what is missing."""
    rabbit.ensure_installed()
    amqp_uri, mongo_uri = local_uris(ports)
    epmd_port = ports["LINLI_EPMD_PORT"]
    node = rabbit.node_settings(places.rabbit_dir, NODE_NAME, ports["LINLI_AMQP_PORT"], epmd_port,
                                ports["LINLI_RABBIT_DIST_PORT"])
    return [
        Program("epmd", [rabbit.epmd_binary(), "-address", "127.0.0.1", "-port", str(epmd_port)], 100,
                lambda: port_answers(epmd_port), startsecs=1, stopwaitsecs=5),
        Program("rabbitmq", [str(rabbit.SERVER)], 200, lambda: rabbit.amqp_answers(amqp_uri),
                environment=node, directory=places.rabbit_dir, startsecs=10, stopwaitsecs=60),
        Program("ferretdb", [str(ferret.build()), "-listen", f"127.0.0.1:{ports['LINLI_MONGO_PORT']}",
                             "-data", str(places.ferret_dir)], 200, lambda: ferret.mongo_answers(mongo_uri),
                startsecs=3, stopwaitsecs=20),
    ]


def services(amqp_uri: str) -> list[Program]:
    """Each declared service as `nameko run`, as ops start it; it answers once its RPC queue has a consumer."""
    declared = plugins.available(SERVICE_GROUP)
    if not declared:
        raise CannotRun(f"no service is declared in the entry-point group {SERVICE_GROUP}: "
                        "install the project first (make install)")
    return [
        Program(name, [sys.executable, "-m", "nameko", "run", "--config", str(config_of(entry)), entry.value], 300,
                lambda name=name: rpc_consumed(amqp_uri, name))
        for name, entry in declared.items()
    ]


def stand_ins(places: Places, env: Mapping[str, str]) -> tuple[list[Program], dict[str, str]]:
    """Each declared stand-in as a program, and the environment that points the services at
    it; a stand-in whose environment the caller set already (a real system) is not started."""
    programs, pointed = [], {}
    for name, entry in plugins.available(STAND_IN_GROUP).items():
        make = entry.load()
        port = int(env.get(f"LINLI_{name.upper()}_PORT") or sys.modules[make.__module__].DEFAULT_PORT)
        spec = make(port, str(places.data))
        if all(env.get(key) for key in spec["environment"]):
            continue
        programs.append(Program(name, list(spec["command"]), 250, lambda port=port: port_answers(port), startsecs=2,
                                stopwaitsecs=10))
        pointed.update(spec["environment"])
    return programs, pointed


def config_of(entry: EntryPoint) -> Path:
    """The `config.yml` beside the module of a declared service, found without importing that module."""
    spec = importlib.util.find_spec(entry.module)
    if spec is None or spec.origin is None:
        raise CannotRun(f"the service {entry.name} is declared as {entry.value}, which is not installed")
    config = Path(spec.origin).parent / "config.yml"
    if not config.exists():
        raise CannotRun(f"the service {entry.name} has no {config}")
    return config


def port_answers(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def rpc_consumed(amqp_uri: str, service: str) -> bool:
    import kombu

    with kombu.Connection(amqp_uri, connect_timeout=2) as conn:
        declared = conn.default_channel.queue_declare(queue=f"rpc-{service}", passive=True)
        return declared.consumer_count > 0
