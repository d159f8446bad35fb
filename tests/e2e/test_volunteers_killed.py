"""Support teams under `kill -9`: members claim case tasks from four clients that retry with
the same request id after a timeout, while the volunteers process is killed and started again,
and cases is down for a while so the team's acceptances wait. Afterwards: every claim is on its
task once, every case is accepted by the team exactly once, nothing is owed any more."""

import os
import signal
import threading
import time

from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place, load_demo
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop

TASKS = 24
CLIENTS = 4
QUICK = {"CASE_SYNC_SECONDS": "0.5", "OTHERS_TIMEOUT_SECONDS": "2", "CLAIM_SCAN_SECONDS": "0.5"}


def volunteers_ready(rpc) -> bool:
    return rpc.volunteers.labels() is not None


def cases_ready(rpc) -> bool:
    return rpc.cases.labels() is not None


def kill(process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def claim_until_answered(config: dict, person_id: str, task_ids: list[str], answers: dict, seconds: float) -> None:
    """One member's client: each claim sent with its request id until it is answered, as a
    client that meets a timeout or a dead service does."""
    deadline = time.monotonic() + seconds
    for task_id in task_ids:
        while time.monotonic() < deadline:
            try:
                with ClusterRpcProxy(config, context_data=actor_context(person_id, "volunteer"), timeout=4) as rpc:
                    answers[task_id] = rpc.volunteers.claim_task(task_id=task_id, request_id=f"claim:{task_id}")
                break
            except Exception:  # noqa: BLE001 - a timeout or a killed process: the same request again
                time.sleep(0.3)


def test_claims_and_the_cases_they_accept_survive_kill_9_of_volunteers_and_an_outage_of_cases(cluster_env):
    env = {**cluster_env, **QUICK}
    config = {"AMQP_URI": env["AMQP_URI"]}
    rosters = run_service("rosters", env, lambda rpc: rpc.rosters.labels() is not None)
    cases = run_service("cases", env, cases_ready)
    volunteers = run_service("volunteers", env, volunteers_ready)
    try:
        with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
            places = load_demo(ops.rosters)
            jiayuan, unit = find_place(places, "嘉园社区"), find_place(places, "金昌花园/2栋/1单元")
            team = ops.volunteers.create_team(node_id=jiayuan, name='爱"嘉"团', kind="legal", skills=["法律咨询"])
            members = enlist(ops, team["team_id"], unit)
            case_ids = [dispatched_case(ops.cases, unit, team, n) for n in range(TASKS)]
            wait_until(lambda: ops.volunteers.list_tasks(team_id=team["team_id"], limit=200)["total"] == TASKS,
                       60, "a task for every dispatched case")
            tasks = ops.volunteers.list_tasks(team_id=team["team_id"], limit=200)["tasks"]

        stop(cases)  # the team's acceptances must wait for cases to come back
        answers: dict[str, dict] = {}
        shares = [[t["task_id"] for t in tasks[n::CLIENTS]] for n in range(CLIENTS)]
        clients = [threading.Thread(target=claim_until_answered, args=(config, members[n], shares[n], answers, 240))
                   for n in range(CLIENTS)]
        for client in clients:
            client.start()
        wait_until(lambda: len(answers) >= TASKS // 4, 60, "a quarter of the claims answered")
        kill(volunteers)
        killed_after = len(answers)
        volunteers = run_service("volunteers", env, volunteers_ready)
        for client in clients:
            client.join(240)
        cases = run_service("cases", env, cases_ready)

        with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
            wait_until(lambda: all(ops.cases.get_case(case_id=c)["state"] == "accepted" for c in case_ids), 120,
                       "every case accepted by the team")
            stored = [ops.volunteers.get_task(task_id=t["task_id"]) for t in tasks]
            accepts = [sum(e["action"] == "accept" for e in ops.cases.get_case(case_id=c)["timeline"])
                       for c in case_ids]
            handlers = {ops.cases.get_case(case_id=c)["handler"]["who"] for c in case_ids}
    finally:
        for process in (volunteers, cases, rosters):
            if process.poll() is None:
                stop(process)
        client = mongo_client(env["MONGO_URI"])
        client.drop_database(env["VOLUNTEERS_DB"])
        client.close()

    claims = [sum(e["action"] == "claim" for e in task["history"]) for task in stored]
    owed = [a for task in stored for a in task["case_actions"] if not a.get("done_at")]
    print(f"\n[killed] {TASKS} claims from {CLIENTS} clients, volunteers killed after {killed_after} answers; "
          f"answered {len(answers)}; claims per task {sorted(set(claims))}; accepts per case {sorted(set(accepts))}; "
          f"steps still owed {len(owed)}")
    assert len(answers) == TASKS
    assert claims == [1] * TASKS, "every claim on its task exactly once"
    assert all(len(task["claimants"]) == 1 and task["state"] == "claimed" for task in stored)
    assert accepts == [1] * TASKS, "every case accepted exactly once"
    assert handlers == {team["team_id"]}
    assert owed == [] and not any(task["case_pending"] for task in stored)


def enlist(ops, team_id: str, home_unit: str) -> list[str]:
    """Four lawyers of the team, screened in: their person ids."""
    people = []
    for n in range(CLIENTS):
        phone = f"1380731300{n}"
        person = ops.rosters.register_person(name=f"律师{n}", phone=phone, occupation="律师", skills=["法律咨询"],
                                             home_unit_id=home_unit)
        member = ops.volunteers.apply_member(team_id=team_id, phone=phone)
        ops.volunteers.screen_member(member_id=member["member_id"], passed=True)
        people.append(person["person_id"])
    return people


def dispatched_case(cases, unit: str, team: dict, n: int) -> str:
    case = cases.report(channel="visit", category="neighbour_dispute", unit_id=unit, urgency="normal",
                        reporter={"name": f"居民{n}", "phone": f"1390000{n:04d}"},
                        description=f"邻里纠纷第{n}起：楼上漏水渗到楼下，协商不成")
    cases.escalate(case_id=case["case_id"], note="需要律师")
    cases.triage(case_id=case["case_id"])
    cases.dispatch(case_id=case["case_id"],
                   assignee={"kind": "support_team", "name": team["name"], "party_id": team["team_id"]})
    return case["case_id"]
