"""Notifications through `nameko run` processes, sending to local stand-ins of the providers
(`tests.endpoints`: an SMS gateway, a WeCom robot, SMTP): a case dispatched to a person reaches
them on their preferred channel (e-mail), one dispatched to 爱"嘉"团 reaches every member by
SMS, an overdue case reaches the supervising zone leader through the group robot, a 特急 notice
arrives at once in quiet hours, and two ordinary ones wait for the person's window and arrive
there as one digest."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place, load_demo
from services.volunteers.demo import MEMBERS, load_once
from shared.stack.ports import wait_until
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop
from tests.providers import Providers

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
UNIT = "嘉园社区/金昌花园/2栋/1单元"
KANG, CHEN = "13807310004", "13807310003"  # 康早新 (unit leader of 2栋1单元), 陈平 (zone leader above it)
WANG = {"name": "王大爷", "phone": "13900001111", "occupation": "退休"}
QUICK = {"OVERDUE_SCAN_SECONDS": "0.3", "DELIVERY_SCAN_SECONDS": "0.3", "FANOUT_SCAN_SECONDS": "0.3",
         "CASE_SYNC_SECONDS": "0.5"}


def report(unit_id: str, description: str) -> dict:
    return {"channel": "visit", "unit_id": unit_id, "category": "neighbour_dispute", "urgency": "critical",
            "place": "home", "reporter": {"name": "李女士", "phone": "13900002222", "household": "2栋1单元201"},
            "description": description}


@pytest.fixture
def providers():
    started = Providers().start()
    yield started
    started.stop()


@pytest.fixture
def instant_cases_config(tmp_path) -> str:
    """Cases' config with a 特急 case due to be answered at once, so it is overdue at the first scan."""
    text = (ROOT / "services/cases/config.yml").read_text(encoding="utf-8")
    text, changed = re.subn(r"  critical: \{response: \{hours: 1\}, resolution: \{working_days: 1\}\}",
                            "  critical: {response: {hours: 0}, resolution: {hours: 100}}", text)
    assert changed == 1
    path = tmp_path / "cases.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def window_opening_soon() -> tuple[datetime, dict]:
    """The next whole minute at least 70 s away, and a schedule whose only window opens then."""
    opens = (datetime.now(SHANGHAI) + timedelta(seconds=130)).replace(second=0, microsecond=0)
    closes = min(opens + timedelta(minutes=30), opens.replace(hour=23, minute=59))
    return opens, {str(opens.isoweekday()): [[opens.strftime("%H:%M"), closes.strftime("%H:%M")]]}


def test_people_hear_of_their_cases_on_their_channels_at_a_time_they_read_them(cluster_env, providers,
                                                                             instant_cases_config):
    env = {**cluster_env, **QUICK, **providers.env()}
    processes = [run_service("rosters", env, lambda rpc: rpc.rosters.labels() is not None),
                 run_service("cases", env, lambda rpc: rpc.cases.labels() is not None, instant_cases_config),
                 run_service("volunteers", env, lambda rpc: rpc.volunteers.labels() is not None),
                 run_service("notifications", env, lambda rpc: rpc.notifications.catalogue() is not None)]
    try:
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, context_data=actor_context(), timeout=30) as ops:
            places = load_demo(ops.rosters)
            load_once(ops)
            team = ops.volunteers.list_teams(node_id=find_place(places, "嘉园社区"))["teams"][0]
            kang, chen = (ops.rosters.find_person(phone=p)["person_id"] for p in (KANG, CHEN))
            wang = ops.rosters.register_person(**WANG, home_unit_id=find_place(places, UNIT))["person_id"]
            proxies = {who: ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, timeout=30,
                                            context_data=actor_context(who, role))
                       for who, role in ((kang, "unit_leader"), (chen, "zone_leader"), (wang, "resident"))}
            as_person = {who: proxy.start() for who, proxy in proxies.items()}
            as_person[kang].notifications.set_preferences(channels=["email", "sms"],
                                                          addresses={"email": "kang@example.com"})
            as_person[chen].notifications.set_preferences(channels=["wecom_robot"])

            to_kang = ops.cases.report(**report(find_place(places, UNIT), "楼上漏水，301与201协商未果"))
            ops.cases.escalate(case_id=to_kang["case_id"])
            ops.cases.triage(case_id=to_kang["case_id"])
            ops.cases.dispatch(case_id=to_kang["case_id"], assignee={"kind": "person", "name": "康早新",
                                                                     "party_id": kang})
            to_team = ops.cases.report(**report(find_place(places, UNIT), "两户因漏水赔偿争执，需要律师"))
            ops.cases.escalate(case_id=to_team["case_id"])
            ops.cases.triage(case_id=to_team["case_id"])
            ops.cases.dispatch(case_id=to_team["case_id"], assignee={"kind": "support_team", "name": team["name"],
                                                                     "party_id": team["team_id"]})

            mails = lambda: [m for m in providers.received("smtp") if m["body"]["to"] == ["kang@example.com"]]  # noqa: E731
            texts = lambda: [r for r in providers.received("/sms") if "新派单" in r["body"]["text"]]  # noqa: E731
            robot = lambda: [r for r in providers.received("/cgi-bin/webhook/send")  # noqa: E731
                             if "督办" in r["body"]["text"]["content"]]
            wait_until(lambda: mails() and len(texts()) >= len(MEMBERS) and len(robot()) >= 2, 60,
                       "the e-mail to 康早新, the SMS to the team, the robot's 督办")
            [mail] = mails()
            print(f"\n[e2e] e-mail to 康早新: {mail['body']['subject']} | {mail['body']['text'][:60]}")
            print(f"[e2e] SMS to the team: {sorted(r['body']['to'] for r in texts())}")
            print(f"[e2e] robot: {[r['body']['text']['mentioned_mobile_list'] for r in robot()]} "
                  f"{robot()[0]['body']['text']['content'][:50]}")
            assert mail["body"]["subject"].startswith("新派单") and to_kang["case_id"] in mail["body"]["text"]
            assert sorted(r["body"]["to"] for r in texts()) == sorted(m[1] for m in MEMBERS)
            assert all(to_team["case_id"] in r["body"]["text"] for r in texts())
            assert [r["body"]["text"]["mentioned_mobile_list"] for r in robot()] == [[CHEN], [CHEN]]
            assert not [r for r in texts() if r["body"]["to"] == KANG]  # e-mail, his first choice

            opens, schedule = window_opening_soon()
            as_person[wang].notifications.set_preferences(channels=["sms"], windows=schedule)
            for title in ("停水通知", "消防检查"):
                ops.notifications.notify(to=[{"people": [wang]}], fields={"title": title, "body": f"{title}，详见公告"})
            urgent = ops.notifications.notify(to=[{"people": [wang]}], urgency="critical",
                                              fields={"title": "燃气泄漏", "body": "2栋1单元燃气泄漏，请立即撤离"})
            to_wang = lambda: [r for r in providers.received("/sms") if r["body"]["to"] == WANG["phone"]]  # noqa: E731
            wait_until(lambda: to_wang(), 20, "the 特急 SMS")
            at_once = to_wang()
            wait_until(lambda: len(to_wang()) >= 2, 200, "the digest in the window")
            digest = to_wang()[1]
            seen_at = datetime.fromtimestamp(digest["at"], UTC)
            print(f"[e2e] 特急 at once: {at_once[0]['body']['text']!r}; window opens {opens:%H:%M}, digest at "
                  f"{seen_at.astimezone(SHANGHAI):%H:%M:%S}: {digest['body']['text']!r}")
            assert len(at_once) == 1 and "燃气泄漏" in at_once[0]["body"]["text"]
            assert ops.notifications.notice_status(notice_id=urgent["notice_id"])["messages"] == {"sent": 1}
            assert seen_at >= opens - timedelta(seconds=1)
            assert "您有 2 条新消息" in digest["body"]["text"] and "停水通知" in digest["body"]["text"]
            assert len(to_wang()) == 2
            for proxy in proxies.values():
                proxy.stop()
    finally:
        for process in processes:
            stop(process)
