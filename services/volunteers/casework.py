"""The case steps a team owes a case it was dispatched (accept, progress, resolve, return),
taken through cases' RPC acting as the team, in order, each with a request id derived from the
task so a repeat after a timeout or a restart is the same request. A step is kept on the task
(`case_actions`) in the same write as the task change that owes it, so none is lost when the
process dies; what cases refuses for good (the case moved on meanwhile) is recorded as refused,
what fails for a while (cases down) is tried again with backoff, and parked after the last try."""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from nameko.exceptions import RemoteError

from services.volunteers.repository import VolunteersStore
from services.volunteers.settings import Settings
from shared.actor import Actor
from shared.errors import Conflict, LinliError, remote_code

#: Codes cases answers when a step can never succeed as asked (the case moved on meanwhile).
FINAL = {"invalid", "not_found", "forbidden", "invalid_transition"}


def team_actor(team: Mapping) -> Actor:
    """The team as cases knows it: role `support_team`, `who` the team's id (what a dispatch names
    as the assignee's `party_id`), acting in the team's node."""
    return Actor(team["_id"], "support_team", tuple(team["lineage"]))


def retry_wait(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, 600))


def push(store: VolunteersStore, task: Mapping, send: Callable[..., Any], settings: Settings,
         now: datetime) -> dict:
    """Send the task's owed case steps in order until one fails for a while, then say when to
    look again (its `owed_cases` watch, dropped once nothing is owed); returns the task as it is
    now. `send(method, **arguments)` calls cases as the team."""
    _send_owed(store, task, send, settings, now)
    task = store.tasks.get(task["_id"])
    waiting = [a for a in task.get("case_actions") or () if not (a.get("done_at") or a.get("parked_at"))]
    if not waiting:
        store.owed_cases.drop(task["_id"], task["version"])
    else:
        store.owed_cases.keep(task["_id"], waiting[0].get("next_try_at") or now, task["version"])
    return task


def _send_owed(store: VolunteersStore, task: Mapping, send: Callable[..., Any], settings: Settings,
               now: datetime) -> int:
    settled = 0
    actions = list(task.get("case_actions") or [])
    for index, action in enumerate(actions):
        if action.get("done_at") or action.get("parked_at"):
            continue
        if action.get("next_try_at") and action["next_try_at"] > now:
            return settled
        pending = any(not (a.get("done_at") or a.get("parked_at")) for a in actions[index + 1:])
        try:
            send(action["action"], case_id=task["case_id"], request_id=f"{task['_id']}:{index}", **action["data"])
        except (LinliError, RemoteError) as error:
            code = remote_code(error)
            if code in FINAL or (code == Conflict.code and "busy" not in str(error)):
                store.tasks.mark_case_action(task["_id"], index, {"done_at": now, "refused": _reason(error)}, pending)
                settled += 1
                continue
            _failed(store, task, index, action, error, settings, now, pending)
            return settled
        except Exception as error:  # noqa: BLE001 - cases unreachable: tried again later
            _failed(store, task, index, action, error, settings, now, pending)
            return settled
        store.tasks.mark_case_action(task["_id"], index, {"done_at": now}, pending)
        settled += 1
    return settled


def _failed(store: VolunteersStore, task: Mapping, index: int, action: Mapping, error: BaseException,
            settings: Settings, now: datetime, pending: bool) -> None:
    attempts = int(action.get("attempts", 0)) + 1
    outcome: dict = {"attempts": attempts, "last_error": _reason(error)}
    if attempts >= settings.case_sync_max_attempts:
        outcome["parked_at"] = now
        store.tasks.mark_case_action(task["_id"], index, outcome, pending)
        return
    outcome["next_try_at"] = now + retry_wait(attempts)
    store.tasks.mark_case_action(task["_id"], index, outcome, True)


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:500]

