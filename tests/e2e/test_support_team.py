"""A support team through `nameko run` processes, as an outside system drives it: 嘉园社区's
爱"嘉"团 takes a neighbour dispute the community dispatched to it, its lawyer claims and settles
it, the case follows every step, and her hours reach the team's report and workbook."""

import base64
import calendar
import contextlib
import io

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

from services.rosters.demo import find_place, load_demo
from shared.clock import local_date, utcnow
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop

TEAM = '爱"嘉"团'
LAWYER = {"name": "罗婷", "phone": "13807310021", "occupation": "律师", "skills": ["法律咨询"]}
FIRM = "人和律师事务所"
LEAK = {"channel": "visit", "category": "neighbour_dispute", "place": "home",
        "reporter": {"name": "李女士", "phone": "13900002222", "household": "2栋1单元201"},
        "description": "楼上301王大爷家卫生间漏水，水从天花板渗到201李女士家，吊顶发霉，"
                       "两家为赔偿争执不下，单元长调解未成"}
QUESTION = "楼上漏水损坏楼下吊顶，楼上住户是否应当赔偿？"
ADVICE = "依《民法典》第二百八十八条、第一千一百六十五条，301应修复防水层并赔偿201吊顶损失；可由社区主持调解并签协议"
RESULT = "律师现场释法，双方签订调解协议：301修复防水层，赔偿201吊顶费用1200元"
MINUTES = 90
SCHEDULED = 60  # the consultation she booked; a case task itself has a deadline, not a schedule


@pytest.fixture
def volunteers_process(cluster_env, cases_process):
    """The volunteers service on its own database (dropped afterwards), beside rosters and cases."""
    cluster_env["VOLUNTEERS_DB"] = f"{cluster_env['CASES_DB']}v"
    process = run_service("volunteers", cluster_env, lambda rpc: rpc.volunteers.list_teams(limit=1)["total"] == 0)
    yield process
    stop(process)
    client = mongo_client(cluster_env["MONGO_URI"])
    client.drop_database(cluster_env["VOLUNTEERS_DB"])
    client.close()


def test_a_lawyer_of_the_support_team_settles_a_dispatched_dispute_and_her_hours_are_counted(
        cluster_env, volunteers_process):
    """Case → task → claim → consultation → resolved case; hours logged, verified, reported, exported."""
    config = {"AMQP_URI": cluster_env["AMQP_URI"]}
    with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
        places = load_demo(ops.rosters)
    place = lambda path: find_place(places, path)  # noqa: E731
    jiayuan = place("嘉园社区")
    leader = actor_context("康早新", "unit_leader", (place("金昌花园/2栋/1单元"),))
    secretary = actor_context("曾玉琴", "secretary", (jiayuan,))
    with ClusterRpcProxy(config, context_data=secretary, timeout=30) as as_secretary, \
            ClusterRpcProxy(config, context_data=leader, timeout=30) as as_leader, \
            contextlib.ExitStack() as volunteers:
        team, lawyer = team_with_a_lawyer(as_secretary, jiayuan, place("名都凯旋城/2栋/1单元"))
        as_lawyer = volunteers.enter_context(ClusterRpcProxy(
            config, context_data=actor_context(lawyer["person_id"], "volunteer"), timeout=30))
        case_id = dispute_dispatched_to_the_team(as_leader.cases, as_secretary.cases, team, place)
        task = task_opened_for(as_lawyer.volunteers, case_id)
        done = lawyer_settles(as_lawyer.volunteers, task["task_id"])
        wait_until(lambda: as_secretary.cases.get_case(case_id=case_id)["state"] == "resolved", 30, "case resolved")
        case = as_secretary.cases.get_case(case_id=case_id)
        owed = as_lawyer.volunteers.get_task(task_id=task["task_id"])["case_actions"]
        hours = as_lawyer.volunteers.log_hours(task_id=task["task_id"], actual_minutes=MINUTES,
                                                 scheduled_minutes=SCHEDULED, note="现场调解及释法")
        checked = as_secretary.volunteers.verify_hours(hours_id=hours["hours_id"], approved=True, note="属实")
        month = this_month()
        report = as_secretary.volunteers.hours_report(team_id=team["team_id"], **month)
        export = as_secretary.volunteers.hours_export(team_id=team["team_id"], **month)

    show(team, lawyer, case, task, done, hours, report, export)
    assert task["case_id"] == case_id and task["required_skills"] == ["法律咨询"] and task["headcount"] == 1
    assert done["state"] == "completed" and done["result"] == RESULT
    assert [c["person_id"] for c in done["claimants"]] == [lawyer["person_id"]]
    assert done["claimants"][0]["confirmed_at"] is not None
    assert [(c["question"], c["advice"]) for c in done["consultations"]] == [(QUESTION, ADVICE)]
    assert [a["action"] for a in owed] == ["accept", "progress", "progress", "resolve"]
    assert all(a.get("done_at") and not a.get("refused") for a in owed)
    assert case["state"] == "resolved" and case["handler"] == {"who": team["team_id"], "role": "support_team"}
    assert case["assignee"] == {"kind": "support_team", "name": TEAM, "party_id": team["team_id"]}
    by_team = [e for e in case["timeline"] if e["actor"]["who"] == team["team_id"]]
    assert [e["action"] for e in by_team] == ["accept", "progress", "progress", "resolve"]
    assert all(e["actor"]["role"] == "support_team" for e in by_team)
    notes = [e["detail"]["note"] for e in by_team if e["action"] == "progress"]
    assert notes[0].startswith("志愿服务开始") and notes[1] == f"咨询：{QUESTION}\n意见：{ADVICE}"
    assert by_team[0]["detail"]["handler"] == {"who": team["team_id"], "role": "support_team"}
    assert by_team[-1]["to"] == "resolved" and case["result"] == RESULT
    assert (hours["scheduled_minutes"], hours["actual_minutes"], hours["verification"]) == (SCHEDULED, MINUTES, None)
    assert checked["verification"]["approved"] is True and checked["verification"]["by"]["who"] == "曾玉琴"
    assert report["members"] == [{"person_id": lawyer["person_id"], "name": LAWYER["name"], "tasks": 1,
                                  "scheduled_minutes": SCHEDULED, "actual_minutes": MINUTES,
                                  "verified_minutes": MINUTES, "unverified": 0}]
    assert report["total"] == {"tasks": 1, "scheduled_minutes": SCHEDULED, "actual_minutes": MINUTES,
                               "verified_minutes": MINUTES, "unverified": 0}
    records, totals = workbook_rows(export)
    assert export["rows"] == 1 and len(records) == 1
    assert records[0][1:6] == (LAWYER["name"], TEAM, task["title"], SCHEDULED, MINUTES)
    assert records[0][10] == "核实通过"
    assert totals[0] == (LAWYER["name"], 1, SCHEDULED, MINUTES, MINUTES, 0)


def team_with_a_lawyer(as_secretary, jiayuan: str, home: str) -> tuple[dict, dict]:
    """The community's legal team, and a lawyer of 人和律师事务所 registered, applied and screened in."""
    team = as_secretary.volunteers.create_team(node_id=jiayuan, name=TEAM, kind="legal", skills=["法律咨询"],
                                               categories=["neighbour_dispute"],
                                               description="辖区专业人员为单元长提供法律咨询、法律宣传、政策宣讲")
    person = as_secretary.rosters.register_person(home_unit_id=home, **LAWYER)
    applied = as_secretary.volunteers.apply_member(team_id=team["team_id"], phone=LAWYER["phone"], work_unit=FIRM,
                                                   skills=["法律咨询", "法律宣传"])
    member = as_secretary.volunteers.screen_member(member_id=applied["member_id"], passed=True, note="执业证已核验")
    assert applied["status"] == "applied" and member["status"] == "active"
    assert member["person_id"] == person["person_id"] and member["profession"] == "律师"
    assert member["work_unit"] == FIRM and member["phone"] == LAWYER["phone"]  # the secretary sees it unmasked
    return team, member


def dispute_dispatched_to_the_team(as_leader, as_secretary, team: dict, place) -> str:
    """The unit leader reports and escalates the leak dispute; the secretary triages it and
    dispatches it to the team, naming the team's id as the party."""
    case = as_leader.report(unit_id=place("金昌花园/2栋/1单元"), **LEAK)
    as_leader.escalate(case_id=case["case_id"], note="单元长康早新上门调解未成，需专业法律意见")
    as_secretary.triage(case_id=case["case_id"])
    assignee = {"kind": "support_team", "name": TEAM, "party_id": team["team_id"]}
    dispatched = as_secretary.dispatch(case_id=case["case_id"], assignee=assignee)
    assert dispatched["state"] == "dispatched"
    return case["case_id"]


def task_opened_for(volunteers, case_id: str) -> dict:
    """The task the dispatch opened, as the lawyer finds it among her team's tasks."""
    wait_until(lambda: volunteers.list_tasks(case_id=case_id)["total"] == 1, 30, "the case's task")
    listed = volunteers.list_tasks(case_id=case_id)["tasks"][0]
    assert listed["state"] == "open" and listed["claimed"] == 0
    return volunteers.get_task(task_id=listed["task_id"])


def lawyer_settles(volunteers, task_id: str) -> dict:
    """Claim, confirm, start, a consultation, finished completed with the result."""
    claimed = volunteers.claim_task(task_id=task_id)
    assert claimed["state"] == "claimed"
    volunteers.confirm_claim(task_id=task_id)
    assert volunteers.start_task(task_id=task_id, note="到2栋1单元查看漏水现场")["state"] == "in_progress"
    volunteers.record_consultation(task_id=task_id, question=QUESTION, advice=ADVICE)
    return volunteers.finish_task(task_id=task_id, outcome="completed", result=RESULT)


def this_month() -> dict:
    today = local_date(utcnow())
    last = calendar.monthrange(today.year, today.month)[1]
    return {"date_from": today.replace(day=1).isoformat(), "date_to": today.replace(day=last).isoformat()}


def workbook_rows(export: dict) -> tuple[list[tuple], list[tuple]]:
    """The record rows and the member totals of the exported workbook (titles and headers left out)."""
    book = load_workbook(io.BytesIO(base64.b64decode(export["content_base64"])))
    records = list(book["服务记录"].iter_rows(min_row=3, values_only=True))
    totals = list(book["时长汇总"].iter_rows(min_row=3, values_only=True))
    return records, totals[:-1]


def show(team, lawyer, case, task, done, hours, report, export) -> None:
    print(f"\nteam {team['name']} {team['team_id']} at {team['node_name']}: {team['skills']} {team['categories']}")
    print(f"member {lawyer['name']} {lawyer['person_id']} ({lawyer['profession']}, {lawyer['work_unit']})")
    print(f"case {case['case_id']} {case['state']}, handler {case['handler']}, result {case['result']}")
    for e in case["timeline"]:
        print(f"  {e['seq']:>2} {e['action']:<9} {e['from'] or '-':>10} → {e['to']:<10} by {e['actor']['who']} "
              f"({e['actor']['role']}) {e['detail'].get('note') or e['detail'].get('result') or ''}")
    print(f"task {task['task_id']} {task['title']}: {[h['action'] for h in done['history']]} → {done['state']}")
    print(f"hours {hours['hours_id']}: scheduled {hours['scheduled_minutes']} min, "
          f"actual {hours['actual_minutes']} min")
    print(f"report {report['date_from']}..{report['date_to']}: {report['members']}")
    size = len(base64.b64decode(export["content_base64"]))
    print(f"export {export['filename']}: {export['rows']} row(s), {size} bytes")
