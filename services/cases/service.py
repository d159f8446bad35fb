"""The cases nameko service: thin RPC entrypoints over commands and the reader.

Every declared case command with an input schema (`lifecycle.COMMANDS`) is an RPC. Those
that need more than the case and their own arguments are written out below (triage asks
rosters and the router, accept makes the caller the handler, mark_duplicate reads the
original); the others are made from their declaration at the end of this module."""

from nameko.dependency_providers import Config
from nameko.events import BROADCAST, event_handler
from nameko.rpc import RpcProxy

from services.cases import commands, labels, meetings_desk, schemas
from services.cases.dependencies import CasePolicyProvider
from services.cases.lifecycle import COMMANDS
from services.cases.periods import stats_period
from services.cases.policy import CasePolicy
from services.cases.reports import CaseReader, meeting_view
from services.cases.repository import JOURNAL, CasesStore
from services.cases.rights import RIGHTS
from services.cases.roster import Roster, RosterCache
from shared import ops  # the module, not its classes: `nameko run` serves every class it finds
from shared.actor import CurrentActor
from shared.clock import utcnow
from shared.errorlog import ErrorLog
from shared.errors import EXPECTED
from shared.mongo import MongoStore
from shared.requests import once
from shared.rpc import rpc
from shared.schemas import StrictSchema
from shared.timers import configured_timer

REPORT = schemas.Report()
#: the inputs other systems send over HTTP, documented by the gateway (`input_schemas`)
PUBLISHED_INPUTS = {"Report": schemas.Report, "Search": schemas.Search, "Stats": schemas.Stats}


class CasesService(ops.JournalOps, ops.PublishedInputs):
    name = "cases"
    rights = RIGHTS  # who may call each RPC: checked before anything else
    published_inputs = PUBLISHED_INPUTS

    store: CasesStore = MongoStore(CasesStore, "CASES_DB", journal=JOURNAL)
    actor = CurrentActor()
    rosters = RpcProxy("rosters")
    roster_cache = RosterCache()
    policy: CasePolicy = CasePolicyProvider()
    config = Config()
    error_log = ErrorLog()

    def _reader(self) -> CaseReader:
        return CaseReader(self.store, self.actor(), self.config.get("UNMASK_ROLES", []))

    def audit_repeat(self, command: str, answer: dict) -> None:
        """A repeated command answered from the request log is a read of the case again."""
        if isinstance(answer, dict) and "case_id" in answer:
            self._reader().audit(command, [answer["case_id"]])

    def _roster(self) -> Roster:
        return Roster(self.rosters, self.roster_cache)

    @event_handler("rosters", "unit_changed", handler_type=BROADCAST, reliable_delivery=False)
    def forget_changed_unit(self, event: dict) -> None:
        """Every instance forgets its cached copy of a unit rosters changed: a retired unit
        takes no more reports, a moved one counts its cases where it now is."""
        self.roster_cache.forget(event["payload"]["unit_id"], bool(event["payload"].get("subtree")))

    def _command(self, command: str, data: dict) -> dict:
        """A declared command that needs nothing but the case and its own arguments."""
        request = schemas.for_command(command).load_or_raise(data)
        case = commands.act(self.store, self.actor(), request["case_id"], command, request, self.policy, utcnow)
        return self._reader().view(case, command)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def report(self, **data) -> dict:
        request = REPORT.load_or_raise(data)
        case = commands.report(self.store, self._roster(), self.actor(), request, self.policy, utcnow())
        return self._reader().view(case, "report")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def triage(self, **data) -> dict:
        request = schemas.for_command("triage").load_or_raise(data)
        case = commands.triage(self.store, self._roster(), self.actor(), request, self.policy, utcnow)
        return self._reader().view(case, "triage")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def accept(self, **data) -> dict:
        request = schemas.for_command("accept").load_or_raise(data)
        case = commands.accept(self.store, self.actor(), request, self.policy, utcnow)
        return self._reader().view(case, "accept")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def mark_duplicate(self, **data) -> dict:
        request = schemas.for_command("mark_duplicate").load_or_raise(data)
        case = commands.mark_duplicate(self.store, self.actor(), request, self.policy, utcnow)
        return self._reader().view(case, "mark_duplicate")

    @rpc(expected_exceptions=EXPECTED)
    def get_case(self, **data) -> dict:
        return self._reader().get(schemas.CaseRef().load_or_raise(data)["case_id"])

    @rpc(expected_exceptions=EXPECTED)
    def search(self, **data) -> dict:
        return self._reader().search(schemas.Search().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def stats(self, **data) -> dict:
        query = schemas.Stats().load_or_raise(data)
        today = utcnow().astimezone(self.policy.zone).date()
        first, last = stats_period(query["date_from"], query["date_to"], today)
        return self._reader().stats(self._roster(), query["node_id"], first, last)

    @rpc(expected_exceptions=EXPECTED)
    def labels(self, **data) -> dict:
        """Every code with its Chinese label: categories (and groups), channels, urgencies, states."""
        self.actor()
        StrictSchema().load_or_raise(data)
        return labels.catalogue(self.policy.taxonomy)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def schedule_meeting(self, **data) -> dict:
        request = schemas.ScheduleMeeting().load_or_raise(data)
        return meeting_view(meetings_desk.schedule(self.store, self._roster(), self.actor(), request, self.policy,
                                                   utcnow))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def record_meeting(self, **data) -> dict:
        request = schemas.RecordMeeting().load_or_raise(data)
        return meeting_view(meetings_desk.record(self.store, self.actor(), request, self.policy, utcnow))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def record_payment(self, **data) -> dict:
        request = schemas.RecordPayment().load_or_raise(data)
        return meeting_view(meetings_desk.record_payment(self.store, self.actor(), request, self.policy, utcnow))

    @rpc(expected_exceptions=EXPECTED)
    def get_meeting(self, **data) -> dict:
        meeting_id = schemas.MeetingRef().load_or_raise(data)["meeting_id"]
        meeting = self.store.meetings.get(meeting_id)
        self.actor().require(meeting["lineage"])
        return meeting_view(meeting)

    @configured_timer("OVERDUE_SCAN_SECONDS", default=60)
    def supervise_overdue(self) -> None:
        system = self.actor.become_service(self.name)
        commands.supervise_overdue(self.store, self._roster(), system, self.policy, utcnow)


def _declared_rpc(command: str):
    """The RPC of a declared command that needs nothing but the case and its own arguments."""

    def entrypoint(self, **data) -> dict:
        return self._command(command, data)

    entrypoint.__name__, entrypoint.__qualname__ = command, f"CasesService.{command}"
    entrypoint.__doc__ = f"`{command}` as `lifecycle.COMMANDS` declares it."
    return rpc(expected_exceptions=EXPECTED)(once(entrypoint))


for _name, _declared in COMMANDS.items():
    if _declared.schema is not None and _name not in vars(CasesService):
        setattr(CasesService, _name, _declared_rpc(_name))
