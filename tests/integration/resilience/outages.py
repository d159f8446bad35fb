"""What the resilience tests do to services from outside: raw messages, the parking queue,
queue depths, services as `nameko run` processes, and a server killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import kombu
from nameko.rpc import get_rpc_exchange

from shared.parking import parked_queue
from shared.stack.ports import stop_group, wait_until

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Parked:
    headers: dict
    body: bytes
    properties: dict


def publish_raw(amqp_uri: str, routing_key: str, body: bytes, **properties) -> None:
    """A message straight onto the RPC exchange, as a careless client or a broken tool might send it."""
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(body, exchange=get_rpc_exchange({}), routing_key=routing_key,
                                content_encoding=properties.pop("content_encoding", "binary"), **properties)


def take_parked(amqp_uri: str, service: str) -> list[Parked]:
    """Every message now in `<service>.parked`, taken off the queue."""
    taken = []
    with kombu.Connection(amqp_uri) as conn:
        queue = parked_queue(service)(conn.default_channel)
        queue.declare()
        while (message := queue.get(no_ack=True)) is not None:
            taken.append(Parked(message.headers, message.body, message.properties))
    return taken


def queue_depth(amqp_uri: str, name: str) -> int:
    with kombu.Connection(amqp_uri) as conn:
        return conn.default_channel.queue_declare(name, passive=True).message_count


class ReplyQueue:
    """A caller's reply queue on the RPC exchange, to see whether a refused request was answered."""

    def __init__(self, amqp_uri: str):
        self.routing_key = f"reply-{uuid.uuid4()}"
        self.conn = kombu.Connection(amqp_uri)
        self.queue = kombu.Queue(self.routing_key, exchange=get_rpc_exchange({}), routing_key=self.routing_key,
                                 exclusive=True)(self.conn.default_channel)
        self.queue.declare()

    def reply(self, timeout: float = 5) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.queue.get(no_ack=True)
            if message is not None:
                return message.decode()
            time.sleep(0.05)
        return None

    def close(self) -> None:
        self.conn.release()


class ServiceProcess:
    """`nameko run --config services/<name>/config.yml services.<name>.service`, its log in a file."""

    def __init__(self, name: str, env: dict, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", f"services/{name}/config.yml",
             f"services.{name}.service"], cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"))  # noqa: SIM115 - closed with the process

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_group(self.process, grace=20)


def kill_hard(server) -> None:
    """SIGKILL to a `RabbitNode`'s or `FerretServer`'s whole process group: no goodbye to clients."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(10)


def wait_for(check, timeout: float, what: str) -> None:
    wait_until(check, timeout, what, interval=0.1)
