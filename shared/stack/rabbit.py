"""A private RabbitMQ node from Debian's `rabbitmq-server`: own port, own epmd, own data."""

import os
import shutil
import subprocess
from pathlib import Path

from shared.stack.ports import free_port, stop_group, wait_until

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")


def ensure_installed() -> None:
    """Install Debian's rabbitmq-server when it is missing (needs root and apt)."""
    if SERVER.exists():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "rabbitmq-server"],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )
    # Debian starts the system service on install; this project runs its own nodes.
    subprocess.run(["systemctl", "stop", "rabbitmq-server"], check=False, capture_output=True)


def amqp_answers(uri: str) -> bool:
    import kombu

    with kombu.Connection(uri, connect_timeout=2) as conn:
        conn.connect()
        return True


def server_version(uri: str) -> str:
    import kombu

    with kombu.Connection(uri, connect_timeout=5) as conn:
        conn.connect()
        return conn.connection.server_properties.get("version", "unknown")


def epmd_binary() -> str:
    return shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"


def node_settings(workdir: Path, name: str, port: int, epmd_port: int, dist_port: int) -> dict[str, str]:
    """The environment of a node keeping its config, data and logs in `workdir` (files written here)."""
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    conf = workdir / "rabbitmq.conf"
    conf.write_text(f"loopback_users = none\nlisteners.tcp.default = {port}\n")
    (workdir / "enabled_plugins").write_text("[].\n")
    return {
        "HOME": str(home),
        "RABBITMQ_NODENAME": name,
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "ERL_EPMD_PORT": str(epmd_port),
        "RABBITMQ_CONFIG_FILE": str(conf.with_suffix("")),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(workdir / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(workdir / "mnesia"),
        "RABBITMQ_LOG_BASE": str(workdir / "log"),
        "RABBITMQ_PID_FILE": str(workdir / "rabbit.pid"),
    }


class RabbitNode:
    """One detached RabbitMQ node; `stop()` ends it and its epmd."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.epmd_port = free_port()
        self.name = f"linli{self.port}@localhost"
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        return {**os.environ, **node_settings(self.workdir, self.name, self.port, self.epmd_port, free_port())}

    def start(self, timeout: float = 120) -> str:
        ensure_installed()
        log = open(self.workdir / "server.out", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [str(SERVER)], env=self._env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=self.workdir,
        )

        def ready() -> bool:
            if self.process.poll() is not None:
                tail = (self.workdir / "server.out").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"rabbitmq-server exited with {self.process.returncode}:\n{tail}")
            return amqp_answers(self.uri)

        wait_until(ready, timeout, "RabbitMQ")
        return self.uri

    def stop(self) -> None:
        stop_group(self.process, grace=30)
        if self.process is not None and Path(epmd_binary()).exists():  # nothing to kill when it never started
            subprocess.run([epmd_binary(), "-port", str(self.epmd_port), "-kill"], capture_output=True, check=False)
