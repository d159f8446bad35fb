"""Pick the broker and database: environment, Docker, or local processes."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.stack.ferret import FerretServer
from shared.stack.rabbit import RabbitNode


@dataclass(frozen=True)
class Stack:
    amqp_uri: str
    mongo_uri: str
    source: str  # "environment", "docker" or "local"

    def versions(self) -> dict[str, str]:
        from shared.stack import ferret, rabbit

        return {"rabbitmq": rabbit.server_version(self.amqp_uri), "mongodb": ferret.server_version(self.mongo_uri)}


def stack_from_env() -> Stack | None:
    amqp, mongo = os.environ.get("AMQP_URI"), os.environ.get("MONGO_URI")
    return Stack(amqp, mongo, "environment") if amqp and mongo else None


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    for command in (["docker", "info"], ["docker", "compose", "version"]):
        try:
            if subprocess.run(command, capture_output=True, timeout=15).returncode != 0:
                return False
        except (OSError, subprocess.TimeoutExpired):
            return False
    return True


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """RabbitMQ and FerretDB as private processes in a temporary folder; everything ends with the block.

    `make run` keeps its own between runs instead (shared.stack.programs).
    """
    workdir = Path(tempfile.mkdtemp(prefix="linli-stack-"))
    (workdir / "rabbit").mkdir()
    (workdir / "ferret").mkdir()
    rabbit, ferret = RabbitNode(workdir / "rabbit"), FerretServer(workdir / "ferret")
    try:
        ferret.start()
        rabbit.start()
        yield Stack(rabbit.uri, ferret.uri, "local")
    finally:
        rabbit.stop()
        ferret.stop()
        shutil.rmtree(workdir, ignore_errors=True)
