"""`make run`: broker, database and the services as local processes, demo street loaded.

Uses `AMQP_URI`/`MONGO_URI` when set, else starts RabbitMQ and FerretDB here. Prints the
URIs another system needs, then runs until interrupted and stops everything it started.
"""

# ruff: noqa: E402 - eventlet patches the standard library before anything else imports it
import eventlet

eventlet.monkey_patch()

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from shared.actor import Actor, context_for
from shared.stack import local_stack, stack_from_env
from shared.stack.ports import wait_until

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"rosters": "services.rosters.service", "cases": "services.cases.service"}


def start_service(name: str, env: dict) -> subprocess.Popen:
    config = ROOT / "services" / name / "config.yml"
    return subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config", str(config), SERVICES[name]],
                            env=env, cwd=ROOT, start_new_session=True)


def load_demo_once(amqp_uri: str, secret: str) -> None:
    from services.rosters.demo import load_demo

    context = context_for(Actor("make-run", "admin"), secret)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=30) as rpc:
        wait_until(lambda: rpc.rosters.search_people(limit=1) is not None, 60, "rosters service")
        if rpc.rosters.search_people(name="曾玉琴"):
            print("demo street already loaded")
            return
        units = load_demo(rpc.rosters)
        print(f"demo street loaded: {len(units)} places")


def main() -> None:
    secret = os.environ.get("ACTOR_SECRET", "change-me-in-production")
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    with contextlib.ExitStack() as running:
        stack = stack_from_env() or running.enter_context(local_stack(keep_dir=var))
        env = {**os.environ, "AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ACTOR_SECRET": secret}
        processes = [start_service(name, env) for name in SERVICES]
        running.callback(lambda: [stop(p) for p in processes])
        load_demo_once(stack.amqp_uri, secret)
        (var / "stack.env").write_text(f"AMQP_URI={stack.amqp_uri}\nMONGO_URI={stack.mongo_uri}\n")
        print(f"\nLinli is running ({stack.source}).\n  AMQP_URI={stack.amqp_uri}\n  MONGO_URI={stack.mongo_uri}\n"
              f"  (also in var/stack.env)  Ctrl-C stops everything.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            while all(p.poll() is None for p in processes):
                time.sleep(1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
