"""Free loopback ports and waiting for a server to answer."""

import socket
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
