"""supervisord in the foreground, keeping `make run`'s programs running.

supervisor (supervisord.org) rather than circus or honcho: it is mature, pure Python without
dependencies, restarts a process that dies (autorestart) and backs off when one keeps failing
(1 s, 2 s, 3 s... up to `startretries`), stops everything in reverse priority order with
SIGTERM then SIGKILL, and `.venv/bin/supervisorctl -c var/supervisord.conf` lets ops look and act.
circus needs pyzmq and tornado; honcho runs a Procfile without restarting anything.
"""

import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from shared.stack.places import Places
from shared.stack.programs import Program
from shared.stack.supervisor_config import render_config

PR_SET_PDEATHSIG = 1


class GaveUp(RuntimeError):
    """A program did not answer in time, or failed to start `startretries` times in a row (FATAL)."""


class Supervisor:
    """A running supervisord and its XML-RPC interface."""

    def __init__(self, places: Places, process: subprocess.Popen, password: str):
        self.places, self.process, self.password = places, process, password

    @classmethod
    def start(cls, places: Places, programs: Iterable[Program], env: Mapping[str, str],
              keep_fds: Iterable[int] = ()) -> "Supervisor":
        """supervisord in its own session (Ctrl-C reaches `make run`, which stops it), ending with its parent."""
        places.logs.mkdir(parents=True, exist_ok=True)
        password = secrets.token_hex(16)
        places.supervisor_config.touch()
        places.supervisor_config.chmod(0o600)  # it holds the password of the control socket
        places.supervisor_config.write_text(render_config(places, programs, os.geteuid() == 0, password))
        libc = ctypes.CDLL(None, use_errno=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(places.supervisor_config)],
            env=dict(env), pass_fds=tuple(keep_fds), start_new_session=True,
            preexec_fn=lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM))
        supervisor = cls(places, process, password)
        try:
            supervisor.wait_for(lambda: supervisor.rpc.supervisor.getState()["statename"] == "RUNNING", 30,
                                "supervisord")
        except BaseException:
            supervisor.shutdown()
            raise
        return supervisor

    @property
    def rpc(self) -> xmlrpc.client.ServerProxy:
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport("linli", self.password, f"unix://{self.places.supervisor_socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def start_programs(self, programs: Iterable[Program], timeout: float) -> None:
        """Start by priority, those of one priority together, each waited for until it answers."""
        programs = list(programs)
        for priority in sorted({program.priority for program in programs}):
            batch = [program for program in programs if program.priority == priority]
            for program in batch:
                self.rpc.supervisor.startProcess(program.name, False)
            for program in batch:
                try:
                    self.wait_for(lambda program=program: self.answers(program), timeout, program.name)
                except TimeoutError as exc:
                    raise GaveUp(f"{exc}; the end of its log:\n{self.log_tail(program.name)}") from None

    def answers(self, program: Program) -> bool:
        """Whether the program answers yet; one that gave up starting ends the wait with its log."""
        if self.rpc.supervisor.getProcessInfo(program.name)["statename"] == "FATAL":
            raise GaveUp(f"{program.name} gave up starting; the end of its log:\n{self.log_tail(program.name)}")
        return program.ready()

    def wait_for(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        deadline, last_error = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited with {self.process.returncode} (see {self.places.logs})")
            try:
                if check():
                    return
            except GaveUp:
                raise
            except Exception as exc:  # noqa: BLE001 - the program is still starting
                last_error = exc
            time.sleep(0.5)
        raise TimeoutError(f"{what} did not answer within {timeout:.0f}s (last error: {last_error})")

    def log_tail(self, name: str, size: int = 2000) -> str:
        log = self.places.logs / f"{name}.log"
        return log.read_text(errors="replace")[-size:] if log.exists() else "(no log)"

    def run_until_exit(self) -> int:
        while self.process.poll() is None:
            time.sleep(1)
        return self.process.returncode

    def shutdown(self, timeout: float = 180) -> None:
        """Stop every program (reverse priority, SIGTERM then SIGKILL after its stopwaitsecs), then supervisord.

        Whatever is still in supervisord's session afterwards (it was killed, or gave up waiting) is killed.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        for pid in processes_in_session(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def processes_in_session(session: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session:
            found.append(int(stat.parent.name))
    return found
