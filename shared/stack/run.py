"""`make run`: broker, database and services kept running by supervisord, demo data loaded.

Uses `AMQP_URI`/`MONGO_URI` when both are set (then only the services are supervised), else runs
RabbitMQ and FerretDB here with their data in `var/data` (`$LINLI_VAR/data`), kept from one run to
the next (`make reset` empties it). Prints the URIs another system needs, then runs until Ctrl-C
or SIGTERM, which stop everything it started.
"""

# ruff: noqa: E402 - eventlet patches the standard library before anything else imports it
import eventlet

eventlet.monkey_patch()

import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from shared import plugins
from shared.actor import Actor, context_for
from shared.stack import Stack, stack_from_env
from shared.stack.places import CannotRun, Places, check_ports_free, places_from_env, ports_from_env, run_lock
from shared.stack.programs import Program, broker_and_database, local_uris, services, stand_ins
from shared.stack.supervision import GaveUp, Supervisor

START_TIMEOUT = 180  # seconds for each program to answer; RabbitMQ takes 10-20 s on two cores
DEMO_GROUP = "linli.demo_data"  # name = "package.module:loader", a callable taking a ClusterRpcProxy


def load_demo_data(amqp_uri: str, secret: str) -> None:
    """Each loader the services declare in `linli.demo_data`, called with an RPC proxy; it loads its
    data when missing and says what it did in one line."""
    context = context_for(Actor("make-run", "admin"), secret)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=30) as rpc:
        for loader in plugins.available(DEMO_GROUP).values():
            print(loader.load()(rpc))


def plan(places: Places) -> tuple[Stack, list[Program], dict[str, str]]:
    """The stack's URIs, what to supervise (the services and the stand-ins for outside systems,
    and the broker and database unless given) and the environment pointing at the stand-ins."""
    given = stack_from_env()
    if given:
        places.make()
        extra, pointed = stand_ins(places, os.environ)
        return given, extra + services(given.amqp_uri), pointed
    ports = ports_from_env()
    check_ports_free(ports)
    places.make()
    amqp_uri, mongo_uri = local_uris(ports)
    declared = services(amqp_uri)
    extra, pointed = stand_ins(places, os.environ)
    return Stack(amqp_uri, mongo_uri, "local"), broker_and_database(places, ports) + extra + declared, pointed


def shown(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def supervisorctl() -> Path:
    """supervisorctl of the environment `make run` runs in (the checkout's .venv), not a global one."""
    return Path(sys.executable).parent / "supervisorctl"


def gateway_address(env: Mapping[str, str]) -> str:
    """Where the HTTP gateway listens: `WEB_SERVER_ADDRESS` when set, else loopback at `LINLI_GATEWAY_PORT`."""
    return env.get("WEB_SERVER_ADDRESS") or f"127.0.0.1:{ports_from_env(env)['LINLI_GATEWAY_PORT']}"


def announce(places: Places, stack: Stack, gateway: str) -> None:
    places.stack_env.write_text(f"AMQP_URI={stack.amqp_uri}\nMONGO_URI={stack.mongo_uri}\n")
    where = (f"broker and database here, data in {shown(places.data)} kept between runs" if stack.source == "local"
             else "broker and database from AMQP_URI and MONGO_URI")
    print(f"\nLinli is running ({where}).\n"
          f"  AMQP_URI={stack.amqp_uri}\n  MONGO_URI={stack.mongo_uri}\n  (also in {shown(places.stack_env)})\n"
          f"  HTTP gateway: http://{gateway}/api/v1/docs (OpenAPI), http://{gateway}/open311/v2/discovery.json\n"
          f"  {shown(supervisorctl())} -c {shown(places.supervisor_config)} status   shows the programs; "
          f"logs in {shown(places.logs)}/\n  Ctrl-C stops everything.", flush=True)


def supervise(places: Places, lock: int, secret: str) -> int:
    stack, programs, pointed = plan(places)
    gateway = gateway_address(os.environ)
    env = {**os.environ, **pointed, "AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ACTOR_SECRET": secret,
           "WEB_SERVER_ADDRESS": gateway}
    supervisor = Supervisor.start(places, programs, env, keep_fds=[lock])
    try:
        supervisor.start_programs(programs, START_TIMEOUT)
        load_demo_data(stack.amqp_uri, secret)
        announce(places, stack, gateway)
        code = supervisor.run_until_exit()
        print(f"supervisord exited with {code}; stopping what it left running", file=sys.stderr)
        return 1
    except GaveUp as exc:
        print(f"make run could not start: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping everything make run started...", flush=True)
        supervisor.shutdown()
        print("stopped", flush=True)


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    places = places_from_env()
    try:
        with run_lock(places, "start make run") as lock:
            return supervise(places, lock, os.environ.get("ACTOR_SECRET", "change-me-in-production-actor-key"))
    except CannotRun as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
