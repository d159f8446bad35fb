"""Free loopback ports, waiting for a server to answer, and stopping one."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - the server is still starting
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} did not answer within {timeout:.0f}s (last error: {last_error})")


def stop_group(process: subprocess.Popen | None, grace: float = 20) -> None:
    """SIGTERM to the process's group (started with `start_new_session`), SIGKILL after `grace`."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
