"""The consumer probe on the real broker and database: as a container in the test process, or as
`nameko run` processes; the cases service's events published as its outbox relay publishes them."""

import subprocess
import sys
from pathlib import Path

import kombu
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.events import envelope
from shared.mongo import EventPublisher
from shared.stack.ports import stop_group, wait_until
from tests.conftest import service_config, service_processes_env
from tests.integration.consumer.probe import HANDLER, ConsumerProbe

ROOT = Path(__file__).resolve().parents[3]
QUEUE = f"evt-cases-case_dispatched--{ConsumerProbe.name}.{HANDLER}"
#: Short waits, so that three failures and a park take a fraction of a second.
FAST = {"CONSUMER_RETRY_FIRST_SECONDS": 0.05, "CONSUMER_POLL_SECONDS": 0.2}


def dispatched(**probe) -> dict:
    """A `case_dispatched` envelope as the cases service writes it; `probe` steers the handler."""
    payload = {"case_id": "case_0192f1c2a3b4", "unit": "金昌花园 2栋 1单元",
               "assignee": {"kind": "community", "name": "嘉园社区"}, "probe": probe}
    return envelope("case_dispatched", payload, {"who": "张警官", "role": "admin"})


@pytest.fixture
def probe_db(mongo, database_name):
    yield mongo[f"{database_name}probe"]
    mongo.drop_database(f"{database_name}probe")


@pytest.fixture
def no_leftover_queue(stack):
    """The probe's queue starts and ends the test absent, so no event of another test reaches it."""
    _delete_queue(stack.amqp_uri)
    yield
    _delete_queue(stack.amqp_uri)


def _delete_queue(amqp_uri: str) -> None:
    with kombu.Connection(amqp_uri) as connection, connection.channel() as channel:
        channel.queue_delete(QUEUE)


@pytest.fixture
def probe_config(stack, probe_db):
    return service_config(stack, PROBE_DB=probe_db.name, **FAST)


@pytest.fixture
def start_probe(container_factory, probe_config, no_leftover_queue):
    """`start_probe()` starts a probe container (again) and returns it; all are stopped before
    their queue is deleted."""
    started = []

    def start():
        container = container_factory(ConsumerProbe, probe_config)
        container.start()
        started.append(container)
        return container

    yield start
    for container in started:
        container.stop()


@pytest.fixture
def publish(stack):
    """Publishes an envelope to `cases.events` with publisher confirms, as the cases relay does."""
    publisher = EventPublisher(stack.amqp_uri, "cases", {})
    yield publisher
    publisher.close()


@pytest.fixture
def probe_rpc(stack):
    with ClusterRpcProxy(service_config(stack), timeout=20) as proxy:
        yield proxy[ConsumerProbe.name]


class ProbeProcesses:
    """`nameko run` processes of the probe on one database; each `start` waits until its consumer is on the queue."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir = env, log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, **extra_env: str) -> subprocess.Popen:
        log = open(self.log_dir / f"probe-{len(self.processes)}.log", "wb")  # noqa: SIM115 - kept by the process
        process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "tests/integration/consumer/probe.yml",
             "tests.integration.consumer.probe:ConsumerProbe"], cwd=ROOT, env={**self.env, **extra_env},
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=log)
        self.processes.append(process)
        running = sum(p.poll() is None for p in self.processes)
        wait_until(lambda: consumers(self.env["AMQP_URI"]) >= running, 60, "the probe process's consumer")
        return process

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.log_dir.glob("probe-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            stop_group(process, grace=20)


def consumers(amqp_uri: str) -> int:
    with kombu.Connection(amqp_uri) as connection, connection.channel() as channel:
        return channel.queue_declare(QUEUE, passive=True).consumer_count


@pytest.fixture
def probe_processes(stack, probe_db, no_leftover_queue, tmp_path):
    env = {"PROBE_DB": probe_db.name, **{key: str(value) for key, value in FAST.items()}}
    with service_processes_env(stack, probe_db.name, **env) as process_env:
        processes = ProbeProcesses(process_env, tmp_path)
        yield processes
        processes.stop_all()


def effects_per_event(probe_db) -> dict[str, int]:
    counted: dict[str, int] = {}
    for effect in probe_db["effects"].find({}):
        counted[effect["event_id"]] = counted.get(effect["event_id"], 0) + 1
    return counted


def runs_of(probe_db, event_id: str) -> int:
    return (probe_db["runs"].find_one({"_id": event_id}) or {}).get("n", 0)


def record_of(probe_db, event_id: str) -> dict | None:
    return probe_db["consumed_events"].find_one({"_id": f"{HANDLER}:{event_id}"})

