"""Fifty members of one team claiming one task of three places at the same instant, from five
processes (ten members each, every member acting with their own `volunteer` token) through two
volunteers processes: three hold the places, forty-seven wait in the order they came, nobody
twice, one `task_claimed` each. Then two claimants confirm and the third does not: the timer
releases that claim once its time to confirm has passed and promotes the first member waiting,
and the waiting list moves up by one, in order."""

import contextlib
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import actor_context
from tests.integration.races.conftest import ROOT, start_instances, stop
from tests.integration.races.racing import FIGURES, EventCounter

MEMBERS = 50
CLAIMERS = 5  # processes, MEMBERS // CLAIMERS members each
HEADCOUNT = 3
ROUNDS = 3
#: A claim not confirmed this long is released: longer than fifty claims at once take here (about
#: five seconds on two cores), so that no claim expires before the race is over and looked at.
CONFIRM_SECONDS = 12
SCAN_SECONDS = 0.5  # how often the volunteers processes look for such claims
START_MARGIN_SECONDS = 0.3  # from telling the claimers the start time to the start


@pytest.fixture(scope="module")
def volunteers_env(race_env):
    env = {**race_env, "VOLUNTEERS_DB": f"{race_env['CASES_DB']}vol", "CLAIM_CONFIRM_SECONDS": str(CONFIRM_SECONDS),
           "CLAIM_SCAN_SECONDS": str(SCAN_SECONDS), "REMINDER_SCAN_SECONDS": "3600"}
    yield env
    client = mongo_client(env["MONGO_URI"])
    client.drop_database(env["VOLUNTEERS_DB"])
    client.close()


@pytest.fixture(scope="module")
def volunteers_instances(volunteers_env, rosters_instances):
    processes = start_instances("volunteers", volunteers_env)
    yield processes
    stop(processes)


@pytest.fixture(scope="module")
def team(ops, street, volunteers_instances) -> dict:
    return ops.volunteers.create_team(node_id=find_place(street, "嘉园社区"), name="嘉园党员志愿服务队", kind="party",
                                      skills=["法律咨询"], categories=["drains"])


@pytest.fixture(scope="module")
def members(ops, team) -> list[dict]:
    """`MEMBERS` people registered in rosters, applied to the team and screened in."""
    joined = []
    for n in range(MEMBERS):
        phone = f"1367700{n:04d}"
        ops.rosters.register_person(name=f"党员{n:02d}", phone=phone, party_member=True)
        applied = ops.volunteers.apply_member(team_id=team["team_id"], phone=phone)
        joined.append(ops.volunteers.screen_member(member_id=applied["member_id"], passed=True))
    assert {m["status"] for m in joined} == {"active"}
    return joined


class Claimers:
    """`CLAIMERS` processes, each holding its members' proxies, released together each round."""

    def __init__(self, amqp_uri: str, person_ids: list[str]):
        share = len(person_ids) // CLAIMERS
        self.processes = [subprocess.Popen(
            [sys.executable, "-W", "ignore", "-m", "tests.integration.races.claimer", amqp_uri,
             *person_ids[i * share:(i + 1) * share]], cwd=ROOT, text=True, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE) for i in range(CLAIMERS)]
        for process in self.processes:
            assert process.stdout.readline() == "ready\n", "a claimer did not get ready"

    def claim(self, task_id: str) -> dict:
        """Every member claims `task_id` at one instant; their places, errors, and the seconds
        from the start to the last answer."""
        order = json.dumps({"task_id": task_id, "start": time.time() + START_MARGIN_SECONDS}) + "\n"
        for process in self.processes:
            process.stdin.write(order)
            process.stdin.flush()
        results = [json.loads(process.stdout.readline()) for process in self.processes]
        return {"places": [p for r in results for p in r["places"]],
                "errors": [e for r in results for e in r["errors"]], "took": max(r["took"] for r in results)}

    def close(self) -> None:
        for process in self.processes:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write("\n")
                process.stdin.flush()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def claimers(volunteers_env, members):
    started = Claimers(volunteers_env["AMQP_URI"], [m["person_id"] for m in members])
    yield started
    started.close()


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def actions(task: dict, *names: str) -> list[dict]:
    return [e for e in task["history"] if e["action"] in names]


def open_talk(ops, team: dict, n: int) -> dict:
    starts = datetime.now(UTC) + timedelta(days=3)
    return ops.volunteers.open_task(team_id=team["team_id"], kind="legal_talk", title=f"民法典进社区第{n + 1}讲",
                                    headcount=HEADCOUNT, starts_at=starts.isoformat(),
                                    ends_at=(starts + timedelta(hours=2)).isoformat())


def assert_raced_fairly(task: dict, outcome: dict, everyone: set[str]) -> None:
    """Three places, the rest waiting in the order they came, nobody twice; what each member
    was told agrees with what is stored."""
    claimants = [c["person_id"] for c in task["claimants"]]
    waiting = [w["person_id"] for w in task["waiting"]]
    assert outcome["errors"] == []
    assert (len(claimants), len(waiting)) == (HEADCOUNT, MEMBERS - HEADCOUNT)
    assert len(set(claimants + waiting)) == MEMBERS and set(claimants + waiting) == everyone
    assert task["state"] == "claimed"
    assert [w["position"] for w in task["waiting"]] == list(range(1, MEMBERS - HEADCOUNT + 1))
    since = [moment(w["since"]) for w in task["waiting"]]
    assert since == sorted(since), "the waiting list is not in the order the members came"
    assert max(moment(c["claimed_at"]) for c in task["claimants"]) <= since[0]
    told = {p["person_id"]: p for p in outcome["places"]}
    assert {p for p, place in told.items() if place["held"] == "claimants"} == set(claimants)
    assert [told[p]["position"] for p in waiting] == list(range(1, MEMBERS - HEADCOUNT + 1))
    assert len(actions(task, "claim")) == HEADCOUNT and len(actions(task, "wait")) == MEMBERS - HEADCOUNT
    assert {e["person_id"]: e["position"] for e in actions(task, "wait")} == {
        w["person_id"]: w["position"] for w in task["waiting"]}


def confirm(amqp_uri: str, person_id: str, task_id: str) -> dict:
    """The member confirms their claim, with their own `volunteer` token."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=actor_context(person_id, "volunteer"),
                         timeout=20) as proxy:
        return proxy.volunteers.confirm_claim(task_id=task_id)


def released_and_promoted(ops, amqp_uri: str, raced: dict) -> tuple[dict, float]:
    """Two claimants confirm, the third does not: the task once its claim is released, and the
    seconds from that claim to its release."""
    first, second, third = raced["claimants"]
    for claimant in (first, second):
        confirmed = confirm(amqp_uri, claimant["person_id"], raced["task_id"])
        assert next(c for c in confirmed["claimants"] if c["person_id"] == claimant["person_id"])["confirmed_at"]
    after = {}

    def released() -> bool:
        after.update(ops.volunteers.get_task(task_id=raced["task_id"]))
        return bool(actions(after, "release"))

    wait_until(released, CONFIRM_SECONDS + 15, "the unconfirmed claim released", interval=0.1)
    [release] = actions(after, "release")
    return after, (moment(release["at"]) - moment(third["claimed_at"])).total_seconds()


def assert_promoted_in_order(raced: dict, after: dict) -> None:
    first, second, third = raced["claimants"]
    head, *rest = raced["waiting"]
    [release], [promote] = actions(after, "release"), actions(after, "promote")
    assert (release["person_id"], release["why"], release["actor"]["role"]) == (third["person_id"], "expired", "system")
    assert promote["person_id"] == head["person_id"]
    assert after["history"][-2:] == [release, promote]
    assert [c["person_id"] for c in after["claimants"]] == [first["person_id"], second["person_id"], head["person_id"]]
    promoted = after["claimants"][-1]
    assert promoted["confirmed_at"] is None and moment(promoted["promoted_from_waiting"]) == moment(head["since"])
    assert [w["person_id"] for w in after["waiting"]] == [w["person_id"] for w in rest]
    assert [w["position"] for w in after["waiting"]] == list(range(1, MEMBERS - HEADCOUNT))
    assert third["person_id"] not in [w["person_id"] for w in after["waiting"]]


def test_fifty_members_claiming_one_task_at_once_three_hold_it_and_the_rest_wait_in_order(
        ops, team, members, claimers, volunteers_env):
    amqp_uri = volunteers_env["AMQP_URI"]
    everyone = {m["person_id"] for m in members}
    tap = EventCounter(amqp_uri, "volunteers", ["task_claimed", "task_released"])
    tasks, took, to_release = [], [], []

    for n in range(ROUNDS):
        task = open_talk(ops, team, n)
        outcome = claimers.claim(task["task_id"])
        raced = ops.volunteers.get_task(task_id=task["task_id"])
        took.append(outcome["took"])
        print(f"\n[race] round {n + 1}: {MEMBERS} claims in {outcome['took']:.2f}s "
              f"({MEMBERS / outcome['took']:.0f} claims/s)")
        assert outcome["took"] < CONFIRM_SECONDS - 2, f"the race took {outcome['took']:.1f}s: claims expired in it"
        assert_raced_fairly(raced, outcome, everyone)
        after, seconds = released_and_promoted(ops, amqp_uri, raced)
        to_release.append(seconds)
        assert_promoted_in_order(raced, after)
        promoted = confirm(amqp_uri, after["claimants"][-1]["person_id"], task["task_id"])  # ends the chain of releases
        assert promoted["next_expiry"] is None and len(actions(promoted, "release")) == 1
        tasks.append(task["task_id"])

    events = {e["event_id"]: e for e in tap.collect(ROUNDS * (MEMBERS + 2), grace=1)}.values()
    claimed = Counter((e["payload"]["task_id"], e["payload"].get("waiting"), bool(e["payload"].get("promoted")))
                      for e in events if e["type"] == "task_claimed")
    released = Counter((e["payload"]["task_id"], e["payload"]["why"]) for e in events if e["type"] == "task_released")
    line = (f"volunteers claim_task: rounds={ROUNDS} members={MEMBERS} processes={CLAIMERS} headcount={HEADCOUNT} "
            f"race_seconds={[round(t, 2) for t in took]} claims_per_second={[round(MEMBERS / t) for t in took]} "
            f"confirm_seconds={CONFIRM_SECONDS} release_after_seconds={[round(s, 2) for s in to_release]} "
            f"task_claimed={[sum(n for (t, *_), n in claimed.items() if t == task) for task in tasks]}")
    FIGURES.append(line)
    print(f"\n[race] {line}")
    for task in tasks:
        assert claimed[(task, False, False)] == HEADCOUNT
        assert claimed[(task, True, False)] == MEMBERS - HEADCOUNT
        assert claimed[(task, False, True)] == 1
    assert released == Counter({(task, "expired"): 1 for task in tasks})
    assert all(CONFIRM_SECONDS <= s <= CONFIRM_SECONDS + SCAN_SECONDS + 2 for s in to_release), to_release
