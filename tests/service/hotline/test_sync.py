"""Tickets in: each ticket becomes one case however often and in whatever order its records
come; a record that cannot be used is parked and the others flow on; the case is signed for."""

import pytest

from services.hotline import repository
from services.hotline.exceptions import OtherServiceUnavailable, UnknownPlatform
from services.hotline.platform import PlatformDown
from shared.journal.records import step_key
from tests.fakes.mongo import Died
from tests.service.hotline.conftest import OTHER_SECRETARY, SECRETARY, rework, survey, ticket
from tests.service.notifications.conftest import FakeProxy


def test_each_ticket_becomes_one_case_and_is_signed_once_however_often_it_comes(service_as, platform, cases, broker,
                                                                               run_timers):
    platform.feed = [ticket("A1"), ticket("A2"), ticket("A1"), ticket("A2"), ticket("A1")]

    run_timers()
    platform.feed += [ticket("A1"), ticket("A3")]
    run_timers()

    assert sorted(cases.cases) == ["fake:A1", "fake:A2", "fake:A3"]
    assert sorted(c.ticket_no for c in platform.calls("sign")) == ["A1", "A2", "A3"]
    assert platform.repeats == 0
    assert sorted(e["payload"]["ticket_no"] for e in broker.of("ticket_received")) == ["A1", "A2", "A3"]
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["state"] == "signed" and view["case_id"] == cases.cases["fake:A1"]["case_id"]
    assert view["signed_on_time"] is True
    assert view["citizen"]["phone"] == "13812345678"  # ops (admin) see numbers


def test_the_case_is_reported_from_the_ticket(service_as, platform, cases, run_timers):
    platform.feed = [ticket("A1", urgency="特急")]
    run_timers()

    [report] = cases.of("report")
    assert report["channel"] == "hotline" and report["external_ref"] == "fake:A1"
    assert report["unit_id"] == "unit_jiayuan" and report["category"] == "noise" and report["urgency"] == "critical"
    assert report["reporter"] == {"name": "王先生", "phone": "13812345678"}
    assert report["description"].startswith("【12345 A1 投诉】隔壁商铺空调外机")
    assert "嘉园社区幸福小区2栋" in report["description"]


def test_an_older_revision_never_overwrites_a_newer_one(service_as, platform, run_timers):
    platform.feed = [ticket("A1", revision=1), ticket("A1", revision=3, content="修改后的诉求"),
                     ticket("A1", revision=2, content="第二版")]
    run_timers()

    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["revision"] == 3 and view["content"] == "修改后的诉求"
    assert [h["action"] for h in view["history"]].count("amended") == 1  # revision 3; 2 came after it


def test_a_malformed_record_is_parked_with_its_reason_and_the_others_flow_on(service_as, platform, cases, broker,
                                                                            run_timers):
    platform.feed = [ticket("A1"), {"kind": "ticket", "ticket_no": "A2"}, "not a record",
                     ticket("A3", area_code="XX"), {"kind": "unreadable", "raw": {"x": 1}, "reason": "bad date"},
                     ticket("A4")]
    run_timers()

    assert sorted(cases.cases) == ["fake:A1", "fake:A4"]
    parked = service_as().parked(kind="record")["parked"]
    reasons = sorted(p["reason"] for p in parked)
    assert len(parked) == 4
    assert any("received_at" in r and "citizen" in r for r in reasons)
    assert any("area_code" in r and "XX" in r for r in reasons)
    assert "_schema: bad date" in reasons and "_schema: not an object" in reasons
    assert len(broker.of("ticket_parked")) == 4

    run_timers()  # the same feed read again parks nothing twice
    assert service_as().parked(kind="record")["total"] == 4


def test_a_survey_before_its_ticket_waits_and_is_applied_once_the_ticket_comes(service_as, platform, cases, run_timers):
    platform.feed = [survey("A1", satisfied=False)]
    run_timers()
    [waiting] = service_as().parked(kind="record")["parked"]
    assert waiting["waiting"] is True

    platform.feed += [ticket("A1")]
    cases.cases.setdefault("fake:A1", {"case_id": "case_1", "state": "resolved", "lineage": []})
    run_timers()

    assert service_as().parked(kind="record")["total"] == 0
    [verdict] = cases.of("evaluate")
    assert verdict["satisfied"] is False and verdict["reason"] == "12345回访不满意：仍然很吵"
    assert service_as().get_ticket(ticket_id="fake:A1")["state"] == "reworking"


def test_a_survey_and_a_rework_order_each_reach_the_case_once(service_as, platform, cases, run_timers):
    platform.feed = [ticket("A1")]
    run_timers()
    cases.cases["fake:A1"]["state"] = "resolved"

    platform.feed += [survey("A1", satisfied=True), survey("A1", satisfied=True)]
    run_timers()
    assert [v["satisfied"] for v in cases.of("evaluate")] == [True]
    assert cases.cases["fake:A1"]["state"] == "closed"

    platform.feed += [rework("A1"), rework("A1")]
    cases.cases["fake:A1"]["state"] = "resolved"
    run_timers()
    verdicts = cases.of("evaluate")
    assert len(verdicts) == 2 and verdicts[1]["reason"] == "12345重办：市民反映问题未解决"
    assert verdicts[1]["request_id"] == "hotline:fake:A1:evaluate:A1:r1"
    assert service_as().get_ticket(ticket_id="fake:A1")["state"] == "reworking"


def test_a_verdict_the_case_cannot_take_is_noted_not_retried(service_as, platform, cases, run_timers):
    platform.feed = [ticket("A1"), rework("A1")]  # the case is still being handled
    run_timers()

    assert len(cases.of("evaluate")) == 1
    [call] = [c for c in service_as().store.case_calls.listed({"action": "evaluate"}, 10)]
    assert call["state"] == "done" and call["note"].startswith("not applied")


def test_cases_down_the_case_is_opened_once_it_answers(service_as, platform, cases, run_timers):
    platform.feed = [ticket("A1")]
    cases.down = True
    run_timers()
    assert cases.cases == {} and platform.calls("sign") == []

    cases.down = False
    service_as().store.case_calls.coll.update_many({}, {"$set": {"due_at": service_as().store.case_calls.coll
                                                                 .find_one({})["created_at"]}})
    run_timers()
    assert list(cases.cases) == ["fake:A1"] and len(platform.calls("sign")) == 1


def test_a_secretary_sees_only_her_communitys_tickets_with_the_phone_masked_unless_her_role_needs_it(
        service_as, platform, run_timers):
    platform.feed = [ticket("A1")]
    run_timers()

    listed = service_as(SECRETARY).list_tickets()
    assert listed["total"] == 1 and listed["tickets"][0]["citizen"]["phone"] == "13812345678"  # secretaries unmask
    assert service_as(OTHER_SECRETARY).list_tickets()["total"] == 0


def test_pull_now_names_an_unknown_platform(service_as):
    with pytest.raises(UnknownPlatform) as refused:
        service_as().pull_now(platform="nowhere")
    assert refused.value.details[0]["field"] == "platform" and "fake" in refused.value.details[0]["reason"]


def test_areas_are_named_by_id_or_by_path_and_a_path_rosters_does_not_know_parks_its_tickets(
        service_as, platform, cases, run_timers):
    platform.feed = [ticket("A1"), ticket("B1", area_code="LF"), ticket("C1", area_code="GONE")]
    run_timers()

    assert cases.cases["fake:A1"]["unit_id"] == "unit_jiayuan" and cases.cases["fake:B1"]["unit_id"] == "unit_lianfu"
    [parked] = service_as().parked(kind="record")["parked"]
    assert parked["reason"] == "area_code: area_code 'GONE' names no unit in rosters (雨花区/左家塘街道/旧社区)"


def test_rosters_not_answering_pulls_nothing_and_says_so(service_as, platform, cases, monkeypatch):
    platform.feed = [ticket("A1")]
    service = service_as(SECRETARY)
    monkeypatch.setattr(service, "rosters", FakeProxy(lambda method, kwargs: (_ for _ in ()).throw(
        OtherServiceUnavailable("rosters did not answer", [{"field": "platform", "reason": "unavailable"}]))))
    with pytest.raises(OtherServiceUnavailable) as refused:
        service.pull_now(platform="fake")
    assert refused.value.details[0]["field"] == "platform"
    assert service_as().store.tickets.coll.count_documents({}) == 0
    assert service_as().store.platforms.state("fake").get("cursor") is None


def test_a_rework_order_for_a_closed_case_is_parked_for_staff_to_see(service_as, platform, cases, run_timers):
    platform.feed = [ticket("A1")]
    run_timers()
    cases.cases["fake:A1"]["state"] = "resolved"
    platform.feed += [survey("A1", satisfied=True)]
    run_timers()
    assert cases.cases["fake:A1"]["state"] == "closed"

    platform.feed += [rework("A1")]
    run_timers()
    [parked] = [p for p in service_as().parked()["parked"] if p["kind"] == "case_call"]
    assert "does not reopen a closed case" in parked["reason"]


def test_a_process_dying_between_the_ticket_and_its_case_call_opens_the_case_when_the_page_is_read_again(
        service_as, platform, cases, db, run_timers):
    platform.feed = [ticket("A1"), ticket("A2")]

    def die_once(method: str) -> None:
        cases.watch = None
        raise Died("died before cases answered")

    cases.watch = die_once
    with pytest.raises(Died):
        service_as().pull_platforms()  # A1 written, then died before its case was opened
    assert service_as().store.tickets.find("fake:A1")["case_id"] is None
    assert service_as().store.platforms.state("fake").get("cursor") is None  # the page was not done

    run_timers()
    assert sorted(cases.cases) == ["fake:A1", "fake:A2"]
    assert sorted(c.ticket_no for c in platform.calls("sign")) == ["A1", "A2"]


def test_a_page_whose_ticket_a_dead_writer_still_holds_is_taken_in_again_once_the_journal_settles_it(
        service_as, platform, db, run_timers, monkeypatch):
    monkeypatch.setattr(repository, "pause", lambda seconds: None)
    platform.feed = [ticket("A1")]
    run_timers()
    held = step_key("tickets", "fake:A1", db["tickets"].find_one({"_id": "fake:A1"})["version"] + 1)
    db["journal_steps"].insert_one({"_id": held})  # a writer took A1's next version and died before writing it
    platform.feed += [ticket("A1", revision=2, content="补充：夜间仍有噪音"), ticket("A2")]

    service_as().pull_platforms()
    assert service_as().store.platforms.state("fake")["cursor"] == "1"  # the page is not done
    assert service_as().get_ticket(ticket_id="fake:A1")["revision"] == 1

    db["journal_steps"].delete_one({"_id": held})  # the journal's sweep settled the dead writer's step
    run_timers()
    assert service_as().store.platforms.state("fake")["cursor"] == "3"
    assert service_as().get_ticket(ticket_id="fake:A1")["content"] == "补充：夜间仍有噪音"
    assert service_as().get_ticket(ticket_id="fake:A2")["state"] == "signed"


def test_a_ticket_is_signed_as_its_case_opens_with_nothing_queued(service_as, platform, cases, db, run_timers):
    platform.feed = [ticket("A1")]
    service_as().pull_platforms()

    [sign] = platform.calls("sign")
    assert sign.key == "fake:A1:sign:received" and platform.repeats == 0
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["state"] == "signed" and view["case_id"] == cases.cases["fake:A1"]["case_id"]
    assert view["calls"] == [] and [h["action"] for h in view["history"]] == ["received", "case_opened", "sign"]
    assert db["case_calls"].count_documents({}) == 0


def test_a_sign_the_platform_does_not_take_as_the_case_opens_is_queued_and_sent_once_later(
        service_as, platform, clock, run_timers):
    platform.feed = [ticket("A1")]
    takes = platform.sign

    def down_once(call):
        platform.sign = takes
        raise PlatformDown("HTTP 503")

    platform.sign = down_once
    service_as().pull_platforms()
    assert [(c["action"], c["state"]) for c in service_as().get_ticket(ticket_id="fake:A1")["calls"]] == \
        [("sign", "queued")]

    run_timers()
    assert len(platform.calls("sign")) == 1
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["state"] == "signed" and [(c["action"], c["state"]) for c in view["calls"]] == [("sign", "done")]


def test_dying_after_the_platform_took_the_sign_made_as_the_case_opened_signs_it_once(
        service_as, platform, cases, clock, run_timers, monkeypatch):
    platform.feed = [ticket("A1")]
    takes = platform.sign

    def take_then_die(call):
        takes(call)
        raise Died("died before the ticket recorded the sign")

    monkeypatch.setattr(platform, "sign", take_then_die)
    with pytest.raises(Died):
        service_as().pull_platforms()
    monkeypatch.setattr(platform, "sign", takes)

    run_timers()  # the page is read again: the ticket, seen again unsigned, owes its case call, which signs it
    assert len(platform.calls("sign")) == 1 and platform.repeats == 1
    assert len(cases.of("report")) == 2 and len(cases.cases) == 1
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["state"] == "signed" and [h["action"] for h in view["history"]].count("sign") == 1


def test_dying_after_the_ticket_listed_its_owed_sign_but_before_the_queue_had_it_signs_it_once_later(
        service_as, platform, db, clock, run_timers, monkeypatch):
    platform.feed = [ticket("A1"), ticket("A2")]
    takes, owe = platform.sign, repository.Queue.owe

    def down(call):
        raise PlatformDown("HTTP 503")

    def die_before_queuing(queue, doc, now):
        if doc.get("action") == "sign":
            raise Died("died between listing the sign on the ticket and queuing it")
        return owe(queue, doc, now)

    monkeypatch.setattr(platform, "sign", down)
    monkeypatch.setattr(repository.Queue, "owe", die_before_queuing)
    with pytest.raises(Died):
        service_as().pull_platforms()
    assert db["calls"].count_documents({}) == 0
    assert any(c.endswith(":sign:received") for c in db["tickets"].find_one({"_id": "fake:A1"})["call_ids"])
    monkeypatch.setattr(repository.Queue, "owe", owe)
    monkeypatch.setattr(platform, "sign", takes)

    run_timers()  # the page is read again: a sign listed but never queued owes the case call, which signs
    assert sorted(c.ticket_no for c in platform.calls("sign")) == ["A1", "A2"]
    assert all(service_as().get_ticket(ticket_id=f"fake:{no}")["state"] == "signed" for no in ("A1", "A2"))


def test_once_cases_does_not_answer_the_tickets_after_are_owed_without_asking_and_opened_when_it_answers(
        service_as, platform, cases, run_timers, db):
    platform.feed = [ticket("A1"), ticket("A2"), ticket("A3")]

    def silent(method: str) -> None:
        raise OtherServiceUnavailable("cases did not answer report within 1s",
                                      [{"field": "case_id", "reason": "unavailable"}])

    cases.watch = silent
    service_as().pull_platforms()
    assert len(cases.of("report")) == 1 and db["case_calls"].count_documents({"state": "queued"}) == 3

    cases.watch = None
    run_timers()
    assert sorted(cases.cases) == ["fake:A1", "fake:A2", "fake:A3"]
    assert sorted(c.ticket_no for c in platform.calls("sign")) == ["A1", "A2", "A3"]


def test_once_the_platform_does_not_take_a_sign_the_signs_after_are_owed_without_asking(service_as, platform,
                                                                                      monkeypatch, run_timers):
    platform.feed = [ticket("A1"), ticket("A2"), ticket("A3")]
    asked = []

    def down(call):
        asked.append(call.ticket_no)
        raise PlatformDown("HTTP 503")

    takes = platform.sign
    monkeypatch.setattr(platform, "sign", down)
    service_as().pull_platforms()
    assert len(asked) == 1
    assert all([c["action"] for c in service_as().get_ticket(ticket_id=f"fake:{no}")["calls"]] == ["sign"]
               for no in ("A1", "A2", "A3"))

    monkeypatch.setattr(platform, "sign", takes)
    run_timers()
    assert sorted(c.ticket_no for c in platform.calls("sign")) == ["A1", "A2", "A3"]
