"""A writer process that really dies part way through a step (SIGKILL, no clean-up), for the
crash tests: `python -m tests.integration.cases.crashing_writer AMQP MONGO DB CASE_ID STAGE`,
STAGE being `write` (dies after recording the step, before writing the case), `publish`
(after writing the case, before publishing), `count` (after publishing, before counting) or
`release` (after counting, before taking the step off its pending list)."""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from services.cases import commands  # noqa: E402
from services.cases.dependencies import CaseRules  # noqa: E402
from services.cases.repository import CasesStore  # noqa: E402
from shared.actor import Actor  # noqa: E402
from shared.clock import utcnow  # noqa: E402
from shared.mongo import EventPublisher, mongo_client  # noqa: E402
from shared.outbox import Outbox  # noqa: E402


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


class DyingCases:
    """The cases collection, except that writing a case kills the process."""

    def __init__(self, cases):
        self.cases = cases

    def __getattr__(self, name):
        return die if name in ("bulk_write", "update_one", "insert_many") else getattr(self.cases, name)


def main(amqp_uri: str, mongo_uri: str, db_name: str, case_id: str, stage: str) -> None:
    db = mongo_client(mongo_uri)[db_name]
    store = CasesStore(db, Outbox(db, EventPublisher(amqp_uri, "cases", {})), {})
    journal = store.journal
    if stage == "write":
        journal.cases = DyingCases(journal.cases)
    elif stage == "publish":
        journal.publish = die
    elif stage == "count":
        journal._count = die
    else:
        journal._release = die
    rules = CaseRules()
    rules.container = type("Container", (), {"config": {}})()
    rules.setup()
    commands.accept(store, Actor("张警官", "admin"), {"case_id": case_id}, rules.rules, utcnow)
    print("the step finished without dying", file=sys.stderr)
    sys.exit(3)


if __name__ == "__main__":
    main(*sys.argv[1:6])
