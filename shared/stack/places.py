"""Where `make run` keeps its files (`var/`, or `LINLI_VAR`) and which fixed ports it listens on.

The ports are the standard ones plus ten, so they are the same at every run and clash neither
with a system RabbitMQ or MongoDB nor with the random ports of the tests.
"""

import contextlib
import errno
import fcntl
import hashlib
import os
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORT_DEFAULTS = {"LINLI_AMQP_PORT": 5682, "LINLI_MONGO_PORT": 27027, "LINLI_EPMD_PORT": 4379,
                 "LINLI_RABBIT_DIST_PORT": 25682, "LINLI_GATEWAY_PORT": 8010}
UNIX_SOCKET_PATH_MAX = 100


class CannotRun(Exception):
    """`make run` or `make reset` cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Places:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "log"

    @property
    def rabbit_dir(self) -> Path:
        return self.data / "rabbitmq"

    @property
    def ferret_dir(self) -> Path:
        return self.data / "ferretdb"

    @property
    def supervisor_config(self) -> Path:
        return self.root / "supervisord.conf"

    @property
    def stack_env(self) -> Path:
        return self.root / "stack.env"

    @property
    def lock(self) -> Path:
        return self.root / "run.lock"

    @property
    def supervisor_socket(self) -> Path:
        """`var/supervisor.sock`, or a short path in /tmp when that is too long for a unix socket."""
        socket_path = self.root / "supervisor.sock"
        if len(str(socket_path)) <= UNIX_SOCKET_PATH_MAX:
            return socket_path
        return Path(tempfile.gettempdir()) / f"linli-{hashlib.sha1(bytes(self.root)).hexdigest()[:12]}.sock"

    def make(self) -> None:
        for folder in (self.root, self.logs, self.rabbit_dir, self.ferret_dir):
            folder.mkdir(parents=True, exist_ok=True)


def places_from_env(env: Mapping[str, str] = os.environ) -> Places:
    return Places(Path(env.get("LINLI_VAR") or ROOT / "var").resolve())


def ports_from_env(env: Mapping[str, str] = os.environ) -> dict[str, int]:
    """Each LINLI_*_PORT from the environment, else its default."""
    ports = {}
    for name, default in PORT_DEFAULTS.items():
        value = env.get(name) or str(default)
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise CannotRun(f"{name}={value} is not a port number")
        ports[name] = int(value)
    return ports


def check_ports_free(ports: Mapping[str, int]) -> None:
    for name, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise CannotRun(f"port {port} ({name}) is taken on 127.0.0.1 (see `ss -ltnp 'sport = {port}'`); "
                                f"stop what holds it or choose another one: {name}=... make run") from None


@contextlib.contextmanager
def run_lock(places: Places, action: str) -> Iterator[int]:
    """Hold `var/run.lock` for the block (and for any process given its descriptor), or refuse."""
    places.root.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(places.lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "?"
            raise CannotRun(f"cannot {action}: make run is running with {places.root} (pid {holder}); "
                            f"stop it first (Ctrl-C or `kill {holder}`)") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield descriptor
    finally:
        os.close(descriptor)
