"""Random command sequences over one case keep the state machine's and the counters' promises."""

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.cases import counting, lifecycle
from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from services.cases.intake import new_case
from services.cases.policy import CasePolicy
from services.cases.routing import reference
from services.cases.taxonomy import DEFAULT_CATEGORIES, URGENCIES, Taxonomy
from shared.errors import InvalidTransition, ValidationFailed

POLICY = CasePolicy(Taxonomy.from_config(None), DeadlinePolicy(DEFAULT_DEADLINES, {}, WorkCalendar.from_config(
    ["2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05"], ["2026-05-09"])), timedelta(hours=24), reference)
REPORTED_AT = datetime(2026, 4, 1, 1, 30, tzinfo=UTC)  # Wednesday 09:30 in Shanghai
CASE_ID = "case_jc2_drains"
UNIT_2_1 = {"unit_id": "unit_jc2_1", "path": ["嘉园社区", "金昌花园", "2栋", "1单元"], "community_id": "unit_jiayuan",
            "ancestors": ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp", "unit_jinchang",
                          "unit_jc2"]}
REPORT = {"channel": "visit", "reporter": {"name": "王大爷", "phone": "13900001111", "household": "2栋1单元301"},
          "category": "drains", "urgency": "normal", "place": "shared", "description": "2栋下水道堵塞，污水外溢"}

notes = st.one_of(st.none(), st.sampled_from(["已电话联系居民", "等待配件", "康师傅明天上门"]))
texts = st.sampled_from(["康师傅疏通了下水道", "更换了井盖", "已清理污水并消毒"])

#: Plausible arguments for every command the state machine knows, including the service's own.
PAYLOADS = {
    "self_resolve": st.fixed_dictionaries({"result": texts}),
    "escalate": st.fixed_dictionaries({"note": notes}),
    "triage": st.fixed_dictionaries({
        "category": st.one_of(st.none(), st.sampled_from(sorted(DEFAULT_CATEGORIES))),
        "urgency": st.one_of(st.none(), st.sampled_from(sorted(URGENCIES))), "note": notes,
        "suggestion": st.just({"kind": "community", "name": "嘉园社区", "reason": "金昌花园无物业，由社区负责处理"})}),
    "dispatch": st.fixed_dictionaries({
        "assignee": st.sampled_from([{"kind": "community", "name": "嘉园社区", "party_id": None},
                                     {"kind": "department", "name": "城管执法", "party_id": None}]),
        "co_handlers": st.just([])}),
    "accept": st.fixed_dictionaries({"handler": st.just({"who": "康师傅", "role": "unit_leader"}), "note": notes}),
    "return_case": st.fixed_dictionaries({"reason": st.just("不属于本单位职责")}),
    "progress": st.fixed_dictionaries({"note": texts, "site_visit": st.booleans(), "photos": st.just([])}),
    "mediate": st.fixed_dictionaries({
        "mediator": st.just("刘红"), "agreement": st.just("楼上住户承担维修费用"),
        "compensation_fen": st.integers(0, 500_00), "agreed": st.booleans(),
        "parties": st.just([{"name": "王大爷", "household": "2栋1单元301", "side": "claimant"},
                            {"name": "李女士", "household": "2栋1单元401", "side": "respondent"}])}),
    "resolve": st.fixed_dictionaries({"result": texts}),
    "evaluate": st.fixed_dictionaries({"satisfied": st.booleans(), "comment": notes,
                                       "reason": st.one_of(st.none(), st.just(""), st.just("第二天又堵了"))}),
    "suspend": st.fixed_dictionaries({"reason": st.just("等待管网改造施工")}),
    "resume": st.fixed_dictionaries({"note": notes}),
    "request_extension": st.fixed_dictionaries({"working_days": st.integers(1, 30), "reason": st.just("需协调施工")}),
    "decide_extension": st.fixed_dictionaries({"granted": st.booleans(), "note": notes}),
    "mark_duplicate": st.fixed_dictionaries({"duplicate_of": st.sampled_from(["case_jc2_first", CASE_ID])}),
    "send_back": st.fixed_dictionaries({"reason": st.just("属联福社区辖区，退回12345")}),
    "flag_overdue": st.fixed_dictionaries({"kinds": st.sampled_from([["response"], ["resolution"],
                                                                      ["resolution", "response"]]),
                                           "supervision_level": st.integers(1, 3),
                                           "supervisors": st.just({"name": "第一网格", "level": "grid"})}),
    "link_meeting": st.fixed_dictionaries({"meeting_id": st.sampled_from(["mtg_gate", "mtg_parking"]),
                                           "title": st.just("2栋铁门议事会")}),
}
COMMANDS = sorted(PAYLOADS)
PAUSES = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9))


def reported_case() -> dict:
    case = new_case(CASE_ID, REPORT, UNIT_2_1, ["unit_jiayuan", "unit_jinchang", "unit_jc2"], "下水道堵塞",
                    REPORTED_AT)
    case["counted"] = counting.counted_after(None, case)
    return case


def add(totals: Counter, changes: dict[str, dict[str, int]]) -> None:
    for category, metrics in changes.items():
        for metric, amount in metrics.items():
            totals[category, metric] += amount


def per_metric(totals: Counter) -> Counter:
    out: Counter = Counter()
    for (_, metric), amount in totals.items():
        out[metric] += amount
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_sequence_of_commands_keeps_the_lifecycle_and_the_counters_consistent(data):
    case = reported_case()
    totals: Counter = Counter()
    add(totals, counting.deltas(None, case))
    now = REPORTED_AT

    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        allowed = [c for c in COMMANDS if lifecycle.allowed(case["state"], c)]
        pick_allowed = allowed and data.draw(st.integers(0, 3), label="bias") > 0
        command = data.draw(st.sampled_from(allowed if pick_allowed else COMMANDS), label="command")
        payload = data.draw(PAYLOADS[command], label=command)
        now += data.draw(PAUSES, label="pause")
        before = copy.deepcopy(case)

        try:
            step = lifecycle.decide(case, command, payload, now, POLICY)
        except (InvalidTransition, ValidationFailed):
            assert case == before, f"a refused {command} changed the case"
            continue

        assert case == before, f"{command} changed the case it was given"
        if step is None:
            assert command == "flag_overdue", f"{command} found nothing to do"
            continue
        assert before["state"] not in lifecycle.TERMINAL, f"{command} ran on a {before['state']} case"
        after = {**case, **step.changes, "version": case["version"] + 1}
        after["counted"] = counting.counted_after(case, after)
        assert after["state"] in lifecycle.STATES
        if after["state"] == "closed":
            assert command == "evaluate" and payload["satisfied"], f"closed by {command} {payload}"
        if command == "resume":
            assert after["state"] == before["suspended_from"]
        add(totals, counting.deltas(case, after))
        assert all(amount >= 0 for amount in totals.values()), dict(totals)
        case = after

    overall = per_metric(totals)
    assert overall["received"] == 1
    assert all(overall[metric] <= 1 for metric in counting.MILESTONES), dict(overall)
    assert {m for m in counting.MILESTONES if overall[m]} == set(case["counted"])
    assert {m: overall[m] for m in counting.PER_EVALUATION} == counting.evaluation_counts(case)
    assert {category for category, _ in +totals} <= {case["category"]}
