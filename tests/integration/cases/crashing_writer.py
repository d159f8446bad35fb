"""A writer process that really dies part way through a step (SIGKILL, no clean-up), for the
crash tests: `python -m tests.integration.cases.crashing_writer AMQP MONGO DB CASE_OR_UNIT STAGE
COMMAND [REQUEST_ID]`. COMMAND is `accept` or `evaluate` (a later step of the case; the
evaluation is satisfied) or `report` (a new case at the unit). STAGE is `write` (dies before
writing the case), `publish` (after writing the case, before publishing), `count` (after
publishing, before counting) or `release` (after counting, before releasing the step)."""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from services.cases import commands  # noqa: E402
from services.cases.policy import CasePolicy  # noqa: E402
from services.cases.repository import JOURNAL, CasesStore  # noqa: E402
from services.cases.roster import Roster, RosterCache  # noqa: E402
from shared.actor import Actor, context_for  # noqa: E402
from shared.clock import utcnow  # noqa: E402
from shared.journal import Journal  # noqa: E402
from shared.mongo import EventPublisher, mongo_client  # noqa: E402
from tests.conftest import SECRET  # noqa: E402


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


class DyingCases:
    """The cases collection, except that writing a case kills the process."""

    def __init__(self, cases):
        self.cases = cases

    def __getattr__(self, name):
        return die if name in ("bulk_write", "update_one", "insert_many") else getattr(self.cases, name)


class DyingDatabase:
    """The database, except that its cases collection dies when written."""

    def __init__(self, db):
        self.db = db

    def __getitem__(self, name):
        return DyingCases(self.db[name]) if name == "cases" else self.db[name]


def main(amqp_uri: str, mongo_uri: str, db_name: str, target: str, stage: str, command: str,
         request_id: str | None = None) -> None:
    db = mongo_client(mongo_uri)[db_name]
    journal = Journal(db, EventPublisher(amqp_uri, "cases", {}), **JOURNAL)
    store = CasesStore(db, journal, {})
    if stage == "write":
        journal.writer.db = DyingDatabase(db)
    elif stage == "publish":
        journal.publish = die
    elif stage == "count":
        journal.counters.add = die
    else:
        journal.ledger.release = die
    policy = CasePolicy.from_config({})
    actor = Actor("张警官", "admin")
    if command == "accept":
        commands.accept(store, actor, {"case_id": target, "request_id": request_id}, policy, utcnow)
    elif command == "evaluate":
        verdict = {"case_id": target, "satisfied": True, "request_id": request_id}
        commands.act(store, actor, target, "evaluate", verdict, policy, utcnow)
    else:
        cache = RosterCache.detached()
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context_for(actor, SECRET), timeout=10) as rpc:
            report = {"channel": "visit", "reporter": {"name": "王大爷", "phone": "13900001111"}, "unit_id": target,
                      "category": "drains", "description": "2栋下水道堵塞", "urgency": "normal", "place": "shared",
                      "photos": []}
            commands.report(store, Roster(rpc.rosters, cache), actor, report, policy, utcnow())
    print("the step finished without dying", file=sys.stderr)
    sys.exit(3)


if __name__ == "__main__":
    main(*sys.argv[1:8])
