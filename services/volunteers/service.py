"""The volunteers nameko service: support teams, their members, tasks and claims, consultations
and service hours. Thin entrypoints over the desks (`teams_desk`, `tasks_desk`, `hours_desk`)."""

import base64
import logging

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.volunteers import casework, hours_desk, record_sheet, schemas, taskflow, tasks_desk, teams_desk
from services.volunteers.dependencies import SettingsProvider
from services.volunteers.exceptions import NoSuchTeamForDispatch
from services.volunteers.membership import STATUS_LABELS
from services.volunteers.others import People, call
from services.volunteers.repository import JOURNAL, VolunteersStore
from services.volunteers.rights import RIGHTS, admit, sees_wisher
from services.volunteers.settings import Settings
from services.volunteers.views import consultation_view, member_view, task_summary, task_view, team_view
from shared import ops  # the module, not its classes: `nameko run` serves every class it finds
from shared.actor import CurrentActor
from shared.clock import utcnow
from shared.consuming import IdempotentConsumer, consumes, effect_id
from shared.errorlog import ErrorLog
from shared.errors import EXPECTED
from shared.mongo import MongoStore
from shared.privacy import sees_numbers
from shared.requests import once
from shared.rpc import rpc
from shared.timers import configured_timer

log = logging.getLogger(__name__)


class VolunteersService(ops.JournalOps, ops.ConsumerOps):
    name = "volunteers"
    rights = RIGHTS  # who may call each RPC: checked before anything else

    store: VolunteersStore = MongoStore(VolunteersStore, "VOLUNTEERS_DB", journal=JOURNAL)
    consumer = IdempotentConsumer("VOLUNTEERS_DB")
    actor = CurrentActor()
    rosters = RpcProxy("rosters")
    cases = RpcProxy("cases")
    settings: Settings = SettingsProvider()
    config = Config()
    error_log = ErrorLog()

    def _people(self) -> People:
        return People(self.rosters, float(self.config.get("OTHERS_TIMEOUT_SECONDS", 10)))

    def _unmasked(self) -> bool:
        actor = self.actor()
        return sees_numbers(actor.role, self.settings.unmask_roles, actor.who)

    def _send_as(self, team: dict):
        """`send(method, **arguments)`: a cases RPC acting as the team."""
        timeout = float(self.config.get("OTHERS_TIMEOUT_SECONDS", 10))

        def send(method: str, **arguments):
            with self.actor.acting_as(casework.team_actor(team)):
                return call(self.cases, "cases", method, timeout, "case_id", **arguments)

        return send

    def _owe_the_case(self, task: dict) -> dict:
        """Send what the task owes its case now; what fails is left to the timer."""
        if task.get("case_pending"):
            team = self.store.teams.get(task["team_id"])
            task = casework.push(self.store, task, self._send_as(team), self.settings, utcnow())
        return task

    def _task(self, task: dict) -> dict:
        """The task's view; its consultations are read only when its history records one."""
        noted = any(e.get("action") == "consultation" for e in task.get("history") or ())
        shown = bool(task.get("wish")) and sees_wisher(self.actor(), task, self.settings.unmask_roles)
        if shown:
            self.store.pii_reads.record(self.actor().as_dict(), "task", [f"wish:{task['_id']}"])
        return task_view(task, shown, self.store.consultations.of_task(task["_id"]) if noted else [])

    # teams and members

    @rpc(expected_exceptions=EXPECTED)
    @once
    def create_team(self, **data) -> dict:
        request = schemas.CreateTeam().load_or_raise(data)
        return team_view(teams_desk.create_team(self.store, self._people(), self.actor(), request, utcnow()))

    @rpc(expected_exceptions=EXPECTED)
    def get_team(self, **data) -> dict:
        team = self.store.teams.get(schemas.TeamRef().load_or_raise(data)["team_id"])
        self.actor()  # any role may read a team; its members are listed by `list_members`
        return team_view(team)

    @rpc(expected_exceptions=EXPECTED)
    def list_teams(self, **data) -> dict:
        query = schemas.ListTeams().load_or_raise(data)
        self.actor()  # the teams are a public directory: who serves where, with what skills
        where: dict = {}
        if query.get("node_id"):
            where["lineage"] = query["node_id"]
        if query.get("category"):
            where["categories"] = query["category"]
        if query.get("skill"):
            where["skills"] = query["skill"]
        total, teams = self.store.teams.listed(where, [("name", 1), ("_id", 1)], query["limit"], query["offset"])
        return {"total": total, "teams": [team_view(t) for t in teams]}

    @rpc(expected_exceptions=EXPECTED)
    @once
    def apply_member(self, **data) -> dict:
        request = schemas.ApplyMember().load_or_raise(data)
        member = teams_desk.apply_member(self.store, self._people(), self.actor(), request, utcnow())
        return self._member(member, "apply_member")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def screen_member(self, **data) -> dict:
        request = schemas.ScreenMember().load_or_raise(data)
        return self._member(teams_desk.screen_member(self.store, self.actor(), request, utcnow()), "screen_member")

    @rpc(expected_exceptions=EXPECTED)
    @once
    def set_member_status(self, **data) -> dict:
        request = schemas.SetMemberStatus().load_or_raise(data)
        member = teams_desk.set_member_status(self.store, self.actor(), request, utcnow())
        return self._member(member, "set_member_status")

    @rpc(expected_exceptions=EXPECTED)
    def list_members(self, **data) -> dict:
        query = schemas.ListMembers().load_or_raise(data)
        team = self.store.teams.get(query["team_id"])
        admit("list_members", self.actor(), team)
        where: dict = {"team_id": team["_id"]}
        if query.get("status"):
            where["status"] = query["status"]
        if query.get("skill"):
            where["skills"] = query["skill"]
        total, members = self.store.members.listed(where, [("name", 1), ("_id", 1)], query["limit"], query["offset"])
        unmasked = self._unmasked()
        if unmasked:
            self.store.pii_reads.record(self.actor().as_dict(), "list_members", [m["person_id"] for m in members])
        return {"total": total, "members": [member_view(m, unmasked) for m in members]}

    def _member(self, member: dict, rpc_name: str) -> dict:
        unmasked = self._unmasked()
        if unmasked:
            self.store.pii_reads.record(self.actor().as_dict(), rpc_name, [member["person_id"]])
        return member_view(member, unmasked)

    def audit_repeat(self, command: str, answer: dict) -> None:
        """A repeated command answered from the request log is a read of the member again."""
        if isinstance(answer, dict) and answer.get("member_id") and self._unmasked():
            self.store.pii_reads.record(self.actor().as_dict(), command, [answer["person_id"]])

    # tasks and claims

    @rpc(expected_exceptions=EXPECTED)
    @once
    def open_task(self, **data) -> dict:
        request = schemas.OpenTask().load_or_raise(data)
        return self._task(tasks_desk.open_task(self.store, self._people(), self.actor(), request, self.settings,
                                               utcnow()))

    @rpc(expected_exceptions=EXPECTED)
    def get_task(self, **data) -> dict:
        task = self.store.tasks.get(schemas.TaskRef().load_or_raise(data)["task_id"])
        team = self.store.teams.get(task["team_id"])
        admit("get_task", self.actor(), team, status_of=teams_desk.status_of(self.store))
        return self._task(task)

    @rpc(expected_exceptions=EXPECTED)
    def list_tasks(self, **data) -> dict:
        query = schemas.ListTasks().load_or_raise(data)
        actor = self.actor()
        where: dict = {}
        if query.get("team_id"):
            admit("list_tasks", actor, self.store.teams.get(query["team_id"]),
                  status_of=teams_desk.status_of(self.store))
            where["team_id"] = query["team_id"]
        else:
            RIGHTS.require("list_tasks", actor)
            if actor.role == "support_team":
                where["team_id"] = actor.who
            elif actor.role == "volunteer":
                teams = [m["team_id"] for m in self.store.members.coll.find({"person_id": actor.who,
                                                                             "status": "active"})]
                where["team_id"] = {"$in": teams}
            elif actor.role not in ("system", "admin"):
                where["lineage"] = actor.jurisdiction[-1] if actor.jurisdiction else "\0nowhere"
        if query.get("node_id"):
            where.setdefault("lineage", query["node_id"])
        for key in ("state", "case_id"):
            if query.get(key):
                where[key] = query[key]
        if query.get("mine"):
            where["claimants.person_id"] = actor.who
        total, tasks = self.store.tasks.listed(where, [("starts_at", 1), ("_id", 1)], query["limit"], query["offset"])
        return {"total": total, "tasks": [task_summary(t) for t in tasks]}

    @rpc(expected_exceptions=EXPECTED)
    @once
    def claim_task(self, **data) -> dict:
        request = schemas.Claim().load_or_raise(data)
        task = tasks_desk.claim(self.store, self.actor(), request, self.settings, utcnow)
        return self._task(self._owe_the_case(task))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def confirm_claim(self, **data) -> dict:
        request = schemas.ClaimRef().load_or_raise(data)
        return self._task(tasks_desk.confirm(self.store, self.actor(), request, utcnow))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def withdraw_claim(self, **data) -> dict:
        request = schemas.Withdraw().load_or_raise(data)
        return self._task(tasks_desk.withdraw(self.store, self.actor(), request, self.settings, utcnow))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def start_task(self, **data) -> dict:
        request = schemas.StartTask().load_or_raise(data)
        actor = self.actor()
        task = tasks_desk.run_step(self.store, actor, "start_task", request,
                                   lambda t, now: taskflow.start(t, actor.as_dict(), request.get("note"), now), utcnow)
        return self._task(self._owe_the_case(task))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def finish_task(self, **data) -> dict:
        request = schemas.FinishTask().load_or_raise(data)
        actor = self.actor()
        task = tasks_desk.run_step(
            self.store, actor, "finish_task", request,
            lambda t, now: taskflow.finish(t, actor.as_dict(), request["outcome"], request.get("result"),
                                           request.get("reason"), now), utcnow)
        return self._task(self._owe_the_case(task))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def cancel_task(self, **data) -> dict:
        request = schemas.CancelTask().load_or_raise(data)
        actor = self.actor()
        task = tasks_desk.run_step(self.store, actor, "cancel_task", request,
                                   lambda t, now: taskflow.cancel(t, actor.as_dict(), request["reason"], now), utcnow)
        return self._task(self._owe_the_case(task))

    @rpc(expected_exceptions=EXPECTED)
    @once
    def record_consultation(self, **data) -> dict:
        request = schemas.RecordConsultation().load_or_raise(data)
        consultation = tasks_desk.record_consultation(self.store, self.actor(), request, utcnow)
        self._owe_the_case(self.store.tasks.get(consultation["task_id"]))
        return consultation_view(consultation)

    # service hours

    @rpc(expected_exceptions=EXPECTED)
    @once
    def log_hours(self, **data) -> dict:
        request = schemas.LogHours().load_or_raise(data)
        return hours_desk.log_hours(self.store, self.actor(), request, self.settings, utcnow)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def verify_hours(self, **data) -> dict:
        request = schemas.VerifyHours().load_or_raise(data)
        return hours_desk.verify_hours(self.store, self.actor(), request, utcnow)

    @rpc(expected_exceptions=EXPECTED)
    def hours_report(self, **data) -> dict:
        query = schemas.HoursQuery().load_or_raise(data)
        records = hours_desk.records_for(self.store, self.actor(), query, "hours_report")
        return hours_desk.report(records, query["date_from"], query["date_to"])

    @rpc(expected_exceptions=EXPECTED)
    def hours_export(self, **data) -> dict:
        query = schemas.HoursQuery().load_or_raise(data)
        records = hours_desk.records_for(self.store, self.actor(), query, "hours_export")
        summary = hours_desk.report(records, query["date_from"], query["date_to"])
        subject = (self.store.teams.get(query["team_id"])["name"] if query.get("team_id")
                   else records[0]["name"] if records else query["person_id"])
        title = f"志愿服务记录 {subject} {summary['date_from']} 至 {summary['date_to']}"
        content = record_sheet.workbook(title, records, summary)
        return {"filename": f"service-record-{summary['date_from']}-{summary['date_to']}.xlsx",
                "content_base64": base64.b64encode(content).decode(), "rows": len(records), **summary}

    # labels and ops

    @rpc(expected_exceptions=EXPECTED)
    def labels(self, **data) -> dict:
        """Task states and kinds, member statuses, with their Chinese labels."""
        self.actor()
        schemas.Nothing().load_or_raise(data)
        return {"task_states": [{"code": c, "label": label} for c, label in taskflow.STATE_LABELS.items()],
                "task_kinds": [{"code": c, "label": label} for c, label in taskflow.KINDS.items()],
                "member_statuses": [{"code": c, "label": label} for c, label in STATUS_LABELS.items()]}

    # events and timers

    @consumes("cases", "case_dispatched")
    def on_case_dispatched(self, event: dict) -> dict:
        """A case dispatched to a support team opens one task for it, however often the event
        arrives; a dispatch to a team volunteers does not know is parked (replayable once it exists)."""
        payload = event["payload"]
        assignee = (payload.get("detail") or {}).get("assignee") or {}
        if assignee.get("kind") != "support_team":
            return {"skipped": "not dispatched to a support team"}
        team = self._dispatched_team(assignee, payload)
        task_id = effect_id("task", event)
        existing = self.store.tasks.find(task_id)
        if existing is not None:
            return {"task_id": task_id, "opened": False}
        system = self.actor.become_service(self.name)
        case = self._send_as(team)("get_case", case_id=payload["case_id"])
        task = tasks_desk.open_case_task(self.store, team, case, task_id, self.settings, system.as_dict(), utcnow())
        return {"task_id": task["_id"], "opened": True}

    def _dispatched_team(self, assignee: dict, payload: dict) -> dict:
        if assignee.get("party_id"):
            team = self.store.teams.find(assignee["party_id"])
        else:
            named = [t for t in self.store.teams.coll.find({"name": assignee.get("name")})
                     if t["node_id"] in payload.get("lineage", [])]
            team = named[0] if len(named) == 1 else None
        if team is None:
            raise NoSuchTeamForDispatch(f"case {payload.get('case_id')} was dispatched to an unknown support team",
                                        [{"field": "assignee", "reason": "no such support team here"}])
        return team

    @configured_timer("CLAIM_SCAN_SECONDS", default=5)
    def release_expired_claims(self) -> None:
        system = self.actor.become_service(self.name)
        tasks_desk.release_expired(self.store, system.as_dict(), self.settings, utcnow)

    @configured_timer("REMINDER_SCAN_SECONDS", default=60)
    def send_reminders(self) -> None:
        system = self.actor.become_service(self.name)
        tasks_desk.send_reminders(self.store, system.as_dict(), self.settings, utcnow)

    @configured_timer("CASE_SYNC_SECONDS", default=5)
    def sync_cases(self) -> None:
        """Send what tasks owe their cases and could not send at once (cases down, a restart)."""
        self.actor.become_service(self.name)
        for watch in self.store.owed_cases.due(utcnow()):
            task = self.store.tasks.find(watch["_id"])
            if task is not None:
                task = casework.push(self.store, task, self._send_as(self.store.teams.get(task["team_id"])),
                                     self.settings, utcnow())
