"""`make run` as a new user runs it: programs killed come back, SIGTERM leaves nothing, data stays until `make reset`.

Each test gets its own var folder and ports (LINLI_VAR, LINLI_*_PORT), away from a developer's `make run`.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from shared.stack.places import PORT_DEFAULTS
from shared.stack.ports import free_port, wait_until
from tests.conftest import SECRET, actor_context

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = {"beam.smp": "RabbitMQ", "rabbitmq-server": "RabbitMQ", "erl_child_setup": "RabbitMQ",
            "inet_gethost": "RabbitMQ", "rabbit_disk_monitor": "RabbitMQ", "epmd": "epmd", "ferretdb": "FerretDB",
            "nameko run": "service", "supervisord": "supervisord", "services.hotline.simulator": "hotline simulator"}


class MakeRun:
    """`python -m shared.stack.run` as a process, its output in a file."""

    def __init__(self, var: Path, env: dict):
        self.var, self.env = var, env
        self.output = var.parent / f"make-run-{time.monotonic_ns()}.out"
        with self.output.open("wb") as sink:
            self.process = subprocess.Popen([sys.executable, "-m", "shared.stack.run"], cwd=ROOT, env=env,
                                            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_running(self, timeout: float = 240) -> None:
        def running() -> bool:
            assert self.process.poll() is None, f"make run exited:\n{self.text()}"
            return "Linli is running" in self.text()

        wait_until(running, timeout, "make run")

    def pid_of(self, program: str) -> int:
        answer = subprocess.run([sys.executable, "-m", "supervisor.supervisorctl", "-c",
                                 str(self.var / "supervisord.conf"), "pid", program],
                                capture_output=True, text=True, check=True)
        return int(answer.stdout)

    def stop(self) -> float:
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(180) == 0, self.text()
        return time.monotonic() - started


@pytest.fixture
def run_env(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("AMQP_URI", "MONGO_URI")}
    env.update({name: str(free_port()) for name in [*PORT_DEFAULTS, "LINLI_HOTLINE_SIMULATOR_PORT"]})
    env.update({"LINLI_VAR": str(tmp_path / "var"), "ACTOR_SECRET": SECRET})
    return env


@pytest.fixture
def start_make_run(run_env):
    started = []

    def start() -> MakeRun:
        run = MakeRun(Path(run_env["LINLI_VAR"]), run_env)
        started.append(run)
        run.wait_running()
        return run

    yield start
    for run in started:  # a failed test's make run: SIGTERM, then SIGKILL (supervisord then stops its programs)
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGTERM)
            try:
                run.process.wait(120)
            except subprocess.TimeoutExpired:
                run.process.kill()
                run.process.wait(30)


def rpc_to(env: dict, timeout: float = 60) -> ClusterRpcProxy:
    amqp_uri = f"amqp://guest:guest@127.0.0.1:{env['LINLI_AMQP_PORT']}/"
    return ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=actor_context(), timeout=timeout)


def processes_of(var: Path) -> dict[int, str]:
    """Command lines of the processes whose environment names this var folder (all that make run starts)."""
    marker = f"LINLI_VAR={var}\0".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "environ").read_bytes():
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    return found


def programs_among(processes: dict[int, str]) -> set[str]:
    return {program for command in processes.values() for name, program in PROGRAMS.items() if name in command}


def kill_and_time_the_return(run: MakeRun, program: str, env: dict, process: str | None = None) -> str:
    """SIGKILL the program (or its process of that name); when supervisord had a new one and rosters answered."""
    supervised = run.pid_of(program)
    killed = next(pid for pid, command in processes_of(run.var).items() if process in command) if process \
        else supervised
    os.kill(killed, signal.SIGKILL)
    started = time.monotonic()
    wait_until(lambda: run.pid_of(program) not in (0, supervised), 120, f"{program} restarted", interval=0.1)
    respawned = time.monotonic() - started
    wait_until(lambda: rosters_answer(env), 90, "rosters answering")
    return f"{program} respawned after {respawned:.1f}s, rosters answering after {time.monotonic() - started:.1f}s"


def rosters_answer(env: dict) -> bool:
    with rpc_to(env, timeout=10) as rpc:
        return rpc.rosters.search_people(name="罗小兰") is not None


def test_killed_service_database_and_broker_come_back_and_sigterm_leaves_no_process(run_env, start_make_run):
    run = start_make_run()
    assert programs_among(processes_of(run.var)) == {"FerretDB", "RabbitMQ", "epmd", "service", "supervisord",
                                                     "hotline simulator"}
    with rpc_to(run_env) as rpc:
        rpc.rosters.register_person(name="罗小兰", phone="13807319999", skills=["理发"])
        wait_until(lambda: rpc.hotline.list_tickets(state="signed")["total"] == 4, 60,
                   "the demo platform's tickets synced")
        synced = rpc.hotline.list_tickets()["tickets"]
        served = gateway_serves(rpc, run_env)

    returns = [kill_and_time_the_return(run, "rosters", run_env),
               kill_and_time_the_return(run, "ferretdb", run_env),
               kill_and_time_the_return(run, "rabbitmq", run_env, process="beam.smp")]
    with rpc_to(run_env) as rpc:
        found = rpc.rosters.search_people(name="罗小兰")
    running = sorted(programs_among(processes_of(run.var)))
    stopping = run.stop()

    print(f"\nthe hotline synced the demo platform: {sorted((t['ticket_no'], t['state']) for t in synced)}; "
          f"the gateway: {served}")
    print("after kill -9: " + "; ".join(returns))
    print(f"SIGTERM stopped {', '.join(running)} in {stopping:.1f}s; left: {processes_of(run.var) or 'none'}")
    assert [person["name"] for person in found] == ["罗小兰"]
    assert all(t["case_id"] for t in synced)
    assert "exited: rosters (terminated by SIGKILL; not expected)" in run.text()
    assert "exited: ferretdb (terminated by SIGKILL; not expected)" in run.text()
    assert "exited: rabbitmq" in run.text()
    assert processes_of(run.var) == {}


def test_data_survives_a_restart_and_make_reset_empties_it_once_make_run_stopped(run_env, start_make_run):
    first = start_make_run()
    with rpc_to(run_env) as rpc:
        rpc.rosters.register_person(name="罗小兰", phone="13807319999", skills=["理发"])
    first.stop()

    second = start_make_run()
    with rpc_to(run_env) as rpc:
        found = rpc.rosters.search_people(name="罗小兰")
    refused = make_reset(run_env)
    second.stop()
    emptied = make_reset(run_env)

    print(f"\nsecond run: demo street {'already loaded' if 'already loaded' in second.text() else 'loaded again'}, "
          f"found {[person['name'] for person in found]}; make reset while running: {refused.stderr.strip()}; "
          f"after: {emptied.stdout.strip()}")
    assert "demo street loaded" in first.text()
    assert "demo street already loaded" in second.text()
    assert [person["name"] for person in found] == ["罗小兰"]
    assert refused.returncode != 0 and "make run is running" in refused.stderr
    assert emptied.returncode == 0, emptied.stderr
    assert not (Path(run_env["LINLI_VAR"]) / "data").exists()


def gateway_serves(rpc, env: dict) -> str:
    """The gateway at LINLI_GATEWAY_PORT: its document, and a report made with a key ops issued."""
    base = f"http://127.0.0.1:{env['LINLI_GATEWAY_PORT']}"
    document = requests.get(f"{base}/api/v1/openapi.json", timeout=30)
    assert document.status_code == 200, document.text
    key = rpc.gateway.issue_key(name="e2e", who="district-app", role="admin")["api_key"]
    path = ["雨花区", "左家塘街道", "嘉园社区", "第一网格", "红花坡片区", "金昌花园", "2栋", "1单元"]
    unit = rpc.rosters.locate_unit(path=path)
    made = requests.post(f"{base}/api/v1/cases", headers={"X-API-Key": key}, timeout=30, json={
        "channel": "online", "reporter": {"name": "王大爷"}, "unit_id": unit["unit_id"], "category": "drains",
        "description": "2栋下水道堵塞"})
    assert made.status_code == 201, made.text
    return f"{len(document.json()['paths'])} paths documented, a report answered 201 at {made.headers['Location']}"


def make_reset(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "reset"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
