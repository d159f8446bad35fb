"""The rosters nameko service: thin RPC entrypoints over commands and reports."""

from nameko.dependency_providers import Config
from nameko.events import BROADCAST, event_handler

from services.rosters import appointing, browsing, bulk, commands, importing, placekeeping, schemas, starting
from services.rosters.import_jobs import ImportRunner
from services.rosters.import_report import import_report
from services.rosters.labels import labels as all_labels
from services.rosters.reports import Reader
from services.rosters.repository import RostersStore
from services.rosters.rights import RIGHTS
from shared import ops  # the module, not its classes: `nameko run` serves every class it finds
from shared.actor import CurrentActor
from shared.errorlog import ErrorLog
from shared.errors import EXPECTED
from shared.mongo import MongoStore
from shared.requests import once
from shared.rpc import rpc

UNIT = schemas.UnitOut()
APPOINTMENT = schemas.AppointmentOut()
UNIT_REF = schemas.UnitRef()
NO_INPUT = schemas.NoInput()


class RostersService(ops.JournalOps):
    name = "rosters"
    rights = RIGHTS  # who may call each RPC: checked before anything else

    store: RostersStore = MongoStore(RostersStore, "ROSTERS_DB", on_start=starting.start_up)
    actor = CurrentActor()
    config = Config()
    import_runner = ImportRunner()
    error_log = ErrorLog()

    def _reader(self) -> Reader:
        return Reader(self.store, self.actor(), self.config.get("UNMASK_ROLES", []))

    def audit_repeat(self, command: str, answer: dict) -> None:
        """A repeated registration answered from the request log is a read of the person again."""
        if command == "register_person":
            self._reader().audit(command, [answer["person_id"]])

    @event_handler("rosters", "unit_changed", handler_type=BROADCAST, reliable_delivery=False)
    def forget_changed_unit(self, event: dict) -> None:
        """Every instance forgets its cached copy of a unit changed through any instance."""
        self.store.units.forget(event["payload"]["unit_id"], bool(event["payload"].get("subtree")))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def create_unit(self, **data) -> dict:
        return UNIT.dump(commands.create_unit(self.store, self.actor(), schemas.CreateUnit().load_or_raise(data)))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def create_units(self, **data) -> dict:
        return bulk.create_units(self.store, self.actor(), schemas.CreateUnits().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def children(self, **data) -> list[dict]:
        return browsing.children(self._reader(), schemas.Children().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def appointments(self, **data) -> list[dict]:
        return browsing.appointments(self._reader(), schemas.Appointments().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def find_person(self, **data) -> dict:
        return browsing.find_person(self._reader(), schemas.FindPerson().load_or_raise(data)["phone"])

    @rpc(expected_exceptions=EXPECTED)
    def pii_reads(self, **data) -> list[dict]:
        return browsing.pii_reads(self._reader(), schemas.PiiReads().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def labels(self, **data) -> dict:
        """Roles, levels, statuses and reasons for ending with their Chinese labels."""
        self.actor()
        NO_INPUT.load_or_raise(data)
        return all_labels()

    @rpc(expected_exceptions=EXPECTED)
    def get_unit(self, **data) -> dict:
        return UNIT.dump(self._reader().unit(UNIT_REF.load_or_raise(data)["unit_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def locate_unit(self, **data) -> dict:
        return UNIT.dump(self._reader().locate(schemas.Locate().load_or_raise(data)["path"]))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def rename_unit(self, **data) -> dict:
        return UNIT.dump(commands.rename_unit(self.store, self.actor(), schemas.RenameUnit().load_or_raise(data)))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def move_unit(self, **data) -> dict:
        actor, move = self.actor(), schemas.MoveUnit().load_or_raise(data)
        moved = placekeeping.moving(self.store, move["unit_id"], lambda: commands.move_unit(self.store, actor, move))
        return UNIT.dump(moved)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def retire_unit(self, **data) -> dict:
        return UNIT.dump(commands.retire_unit(self.store, self.actor(), schemas.RetireUnit().load_or_raise(data)))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def set_estate_facts(self, **data) -> dict:
        facts = schemas.SetEstateFacts().load_or_raise(data)
        return UNIT.dump(commands.set_estate_facts(self.store, self.actor(), facts))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def register_person(self, **data) -> dict:
        person = appointing.register_person(self.store, self.actor(), schemas.RegisterPerson().load_or_raise(data))
        return self._reader().person(person)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def apply(self, **data) -> dict:
        return APPOINTMENT.dump(appointing.apply(self.store, self.actor(), schemas.Apply().load_or_raise(data)))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def screen(self, **data) -> dict:
        return APPOINTMENT.dump(appointing.screen(self.store, self.actor(), schemas.Screen().load_or_raise(data)))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def appoint(self, **data) -> dict:
        return APPOINTMENT.dump(appointing.appoint(self.store, self.actor(), schemas.Appoint().load_or_raise(data)))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def end_appointment(self, **data) -> dict:
        ended = appointing.end_appointment(self.store, self.actor(), schemas.EndAppointment().load_or_raise(data))
        return APPOINTMENT.dump(ended)

    @rpc(expected_exceptions=EXPECTED)
    def responsible_chain(self, **data) -> list[dict]:
        return self._reader().responsible_chain(UNIT_REF.load_or_raise(data)["unit_id"])

    @rpc(expected_exceptions=EXPECTED)
    def unit_cache_status(self, **data) -> dict:
        """How many units this process holds, and when it last loaded them all (for ops)."""
        self.actor()
        NO_INPUT.load_or_raise(data)
        return self.store.unit_cache_status()

    @rpc(expected_exceptions=EXPECTED)
    @once
    def set_duty(self, **data) -> int:
        return commands.set_duty(self.store, self.actor(), schemas.SetDuty().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def on_duty(self, **data) -> dict | None:
        query = schemas.OnDuty().load_or_raise(data)
        return self._reader().on_duty(query["community_id"], query["date"].isoformat())

    @rpc(expected_exceptions=EXPECTED)
    def coverage_gaps(self, **data) -> list[dict]:
        query = schemas.CoverageGaps().load_or_raise(data)
        return self._reader().coverage_gaps(query["node_id"], query["role"])

    @rpc(expected_exceptions=EXPECTED)
    def search_people(self, **data) -> list[dict]:
        return self._reader().search_people(schemas.SearchPeople().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def import_roster(self, **data) -> dict:
        """Checks and reads the file, then a dry run's report, or the job stored and queued."""
        request = schemas.ImportRoster().load_or_raise(data)
        limits = importing.Limits.from_config(self.config)
        content = importing.decoded(request["content_base64"], limits)
        answer = importing.submit_import(self.store, self.actor(), request, content, limits)
        self.import_runner()  # wakes this process's runner: the job starts at once
        return answer

    @rpc(expected_exceptions=EXPECTED)
    def import_status(self, **data) -> dict:
        actor = self.actor()
        return importing.import_status(self.store, actor, schemas.ImportStatus().load_or_raise(data)["job_id"])

    @rpc(expected_exceptions=EXPECTED)
    def import_report(self, **data) -> dict:
        actor = self.actor()
        return import_report(self.store, actor, schemas.ImportStatus().load_or_raise(data)["job_id"])
