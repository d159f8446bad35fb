"""The stack as `make run` keeps it (supervisord restarting whatever dies), in a folder of its
own on free ports, and the faults: `kill -9` of a program's whole process tree, then the time
until supervisord has it running again and until both services answer."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from shared.stack.places import PORT_DEFAULTS
from shared.stack.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
STARTED_LINE = "Linli is running"


@dataclass
class Fault:
    program: str
    under_load: bool
    respawned_after: float | None = None  # seconds until supervisord reported a new process running
    serving_after: float | None = None  # seconds until rosters and cases both answered again


@dataclass
class SupervisedStack:
    folder: Path
    amqp_uri: str
    mongo_uri: str
    process: subprocess.Popen

    def ctl(self, *words: str) -> str:
        command = [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(self.folder / "supervisord.conf"),
                   *words]
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()

    def pid(self, program: str) -> int:
        text = self.ctl("pid", program)
        return int(text) if text.isdigit() else 0

    def statuses(self) -> dict[str, str]:
        return {line.split()[0]: line.split()[1] for line in self.ctl("status").splitlines() if line.split()}


@contextlib.contextmanager
def supervised_stack(env: dict[str, str]) -> Iterator[SupervisedStack]:
    """`python -m shared.stack.run` (what `make run` runs) with its own folder and ports; SIGTERM
    stops it all at the end, and the folder is removed."""
    folder = Path(tempfile.mkdtemp(prefix="linli-chaos-"))
    ports = {name: str(free_port()) for name in PORT_DEFAULTS}
    log = open(folder / "make-run.out", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "shared.stack.run"], cwd=ROOT, text=True,
                               env={**os.environ, **env, **ports, "LINLI_VAR": str(folder)},
                               stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    try:
        wait_for_line(process, STARTED_LINE, 300)
        eventlet.spawn(lambda: process.stdout.read())  # keep draining what it prints later
        uris = dict(line.split("=", 1) for line in (folder / "stack.env").read_text().split())
        yield SupervisedStack(folder, uris["AMQP_URI"], uris["MONGO_URI"], process)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(240)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_line(process: subprocess.Popen, wanted: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        if wanted in line:
            return
        if time.monotonic() > deadline:
            break
    raise RuntimeError(f"make run did not print {wanted!r} (exit code {process.poll()})")


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants, deepest first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    order, stack = [], [pid]
    while stack:
        current = stack.pop()
        order.append(current)
        stack.extend(children.get(current, []))
    return order[::-1]


def kill_program(stack: SupervisedStack, program: str, under_load: bool, serving: Callable[[], bool],
                 timeout: float = 180) -> Fault:
    """`kill -9` of the program and everything it started; then wait for supervisord to run a new
    one and for the services to answer."""
    fault, old = Fault(program, under_load), stack.pid(program)
    for pid in process_tree(old):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    while time.monotonic() - killed_at < timeout:
        if fault.respawned_after is None and stack.pid(program) not in (0, old) and \
                stack.statuses().get(program) == "RUNNING":
            fault.respawned_after = time.monotonic() - killed_at
        if fault.respawned_after is not None and serving():
            fault.serving_after = time.monotonic() - killed_at
            break
        time.sleep(0.2)
    return fault


def services_answer(amqp_uri: str, context: dict) -> bool:
    """Both services answer a read within a few seconds, through a fresh connection."""
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=3) as rpc:
            return rpc.rosters.search_people(limit=1) is not None and rpc.cases.search(limit=1)["total"] >= 0
    except Exception:  # noqa: BLE001 - not yet
        return False
