"""The cases nameko service: thin RPC entrypoints over commands and the reader."""

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.cases import commands, meetings_desk, schemas
from services.cases.dependencies import CaseRules
from services.cases.reports import Reader, meeting_view
from services.cases.repository import JOURNAL, CasesStore
from services.cases.roster import Roster, RosterCache
from shared.actor import CurrentActor
from shared.clock import utcnow
from shared.errorlog import ErrorLog
from shared.errors import EXPECTED
from shared.mongo import MongoStore
from shared.requests import once
from shared.rpc import rpc
from shared.timers import configured_timer

#: Commands that need nothing but the case and their own arguments.
PLAIN_COMMANDS = {
    "self_resolve": schemas.Result(), "escalate": schemas.WithNote(), "dispatch": schemas.Dispatch(),
    "return_case": schemas.Reason(), "progress": schemas.Progress(), "mediate": schemas.Mediate(),
    "resolve": schemas.Result(), "evaluate": schemas.Evaluate(), "suspend": schemas.Reason(),
    "resume": schemas.WithNote(), "request_extension": schemas.RequestExtension(),
    "decide_extension": schemas.DecideExtension(),
}
REPORT = schemas.Report()


class CasesService:
    name = "cases"

    store: CasesStore = MongoStore(CasesStore, "CASES_DB", journal=JOURNAL)
    actor = CurrentActor()
    rosters = RpcProxy("rosters")
    roster_cache = RosterCache()
    rules = CaseRules()
    config = Config()
    error_log = ErrorLog()

    def _reader(self) -> Reader:
        return Reader(self.store, self.actor(), self.config.get("UNMASK_ROLES", []))

    def audit_repeat(self, command: str, answer: dict) -> None:
        """A repeated command answered from the request log is a read of the case again."""
        if isinstance(answer, dict) and "case_id" in answer:
            self._reader().audit(command, [answer["case_id"]])

    def _roster(self) -> Roster:
        return Roster(self.rosters, self.roster_cache)

    def _command(self, command: str, data: dict) -> dict:
        request = PLAIN_COMMANDS[command].load_or_raise(data)
        case = commands.act(self.store, self.actor(), request["case_id"], command, request, self.rules.rules, utcnow)
        return self._reader().view(case, command)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def report(self, **data) -> dict:
        case = commands.report(self.store, self._roster(), self.actor(), REPORT.load_or_raise(data),
                               self.rules.rules, utcnow())
        return self._reader().view(case, "report")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def triage(self, **data) -> dict:
        request = schemas.Triage().load_or_raise(data)
        case = commands.triage(self.store, self._roster(), self.actor(), request, self.rules.rules, self.rules.route,
                               utcnow)
        return self._reader().view(case, "triage")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def accept(self, **data) -> dict:
        case = commands.accept(self.store, self.actor(), schemas.WithNote().load_or_raise(data), self.rules.rules,
                               utcnow)
        return self._reader().view(case, "accept")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def mark_duplicate(self, **data) -> dict:
        request = schemas.MarkDuplicate().load_or_raise(data)
        case = commands.mark_duplicate(self.store, self.actor(), request, self.rules.rules, utcnow)
        return self._reader().view(case, "mark_duplicate")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def self_resolve(self, **data) -> dict:
        return self._command("self_resolve", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def escalate(self, **data) -> dict:
        return self._command("escalate", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def dispatch(self, **data) -> dict:
        return self._command("dispatch", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def return_case(self, **data) -> dict:
        return self._command("return_case", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def progress(self, **data) -> dict:
        return self._command("progress", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def mediate(self, **data) -> dict:
        return self._command("mediate", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def resolve(self, **data) -> dict:
        return self._command("resolve", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def evaluate(self, **data) -> dict:
        return self._command("evaluate", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def suspend(self, **data) -> dict:
        return self._command("suspend", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def resume(self, **data) -> dict:
        return self._command("resume", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def request_extension(self, **data) -> dict:
        return self._command("request_extension", data)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def decide_extension(self, **data) -> dict:
        return self._command("decide_extension", data)

    @rpc(expected_exceptions=EXPECTED)
    def get_case(self, **data) -> dict:
        return self._reader().get(schemas.CaseRef().load_or_raise(data)["case_id"])

    @rpc(expected_exceptions=EXPECTED)
    def search(self, **data) -> dict:
        return self._reader().search(schemas.Search().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def stats(self, **data) -> dict:
        query = schemas.Stats().load_or_raise(data)
        return self._reader().stats(self._roster(), query["node_id"], query["date_from"], query["date_to"])

    @rpc(expected_exceptions=EXPECTED)
    @once
    def schedule_meeting(self, **data) -> dict:
        request = schemas.ScheduleMeeting().load_or_raise(data)
        return meeting_view(meetings_desk.schedule(self.store, self._roster(), self.actor(), request, self.rules.rules,
                                            utcnow))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def record_meeting(self, **data) -> dict:
        request = schemas.RecordMeeting().load_or_raise(data)
        return meeting_view(meetings_desk.record(self.store, self.actor(), request, utcnow()))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def record_payment(self, **data) -> dict:
        request = schemas.RecordPayment().load_or_raise(data)
        return meeting_view(meetings_desk.record_payment(self.store, self.actor(), request, utcnow()))

    @rpc(expected_exceptions=EXPECTED)
    def get_meeting(self, **data) -> dict:
        meeting = self.store.meetings.get(schemas.MeetingRef().load_or_raise(data)["meeting_id"])
        self.actor().require(meeting["lineage"])
        return meeting_view(meeting)

    @configured_timer("OVERDUE_SCAN_SECONDS", default=60)
    def supervise_overdue(self) -> None:
        system = self.actor.become_service(self.name)
        commands.supervise_overdue(self.store, self._roster(), system, self.rules.rules, utcnow)
