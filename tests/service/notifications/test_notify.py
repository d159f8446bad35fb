"""`notify`: a notice to segments of the roster, kept at once and fanned out by the timer: one
message per person however many audiences name them and however often it is asked; 特急 at
once, the rest in the person's next window, several waiting messages as one digest."""

import pytest

from services.notifications.exceptions import KeyReused
from shared.actor import Actor
from shared.errors import Forbidden, ValidationFailed
from tests.service.notifications.conftest import LEADER, LIANFU, SECRETARY, deliver

WATER = {"title": "停水通知", "body": "12月3日 9:00–17:00 8栋停水检修，请提前储水。"}


def named(error) -> list[str]:
    return [d["field"] for d in error.details]


def test_a_critical_notice_to_the_leaders_under_a_grid_goes_at_once_on_sms_and_into_every_inbox(
        service_as, channels, clock):
    notice = service_as(SECRETARY).notify(to=[{"node_id": "unit_grid1"}], fields=WATER, urgency="critical")
    deliver(service_as)

    status = service_as(SECRETARY).notice_status(notice_id=notice["notice_id"])
    assert status["state"] == "done" and status["recipients"] == 3 and status["messages"] == {"sent": 3}
    assert sorted(o.address for o in channels["sms"].sent) == ["13807310001", "13807310002", "13807310003"]
    assert channels["sms"].sent[0].title == "停水通知"
    inbox = service_as(Actor("p1", "unit_leader", ())).inbox()
    assert (inbox["total"], inbox["unread"], inbox["items"][0]["title"]) == (1, 1, "停水通知")


def test_people_named_by_two_audiences_get_one_message(service_as, channels, clock):
    notice = service_as(SECRETARY).notify(to=[{"node_id": "unit_b8"}, {"chain_of": "unit_b8u1", "levels": 2},
                                              {"residents_of": "unit_b8"}], fields=WATER, urgency="critical")
    deliver(service_as)

    status = service_as(SECRETARY).notice_status(notice_id=notice["notice_id"])
    assert status["recipients"] == 52  # 50 households, the unit and the building leader
    assert len(channels["sms"].sent) == 52 and len({o.person_id for o in channels["sms"].sent}) == 52


def test_a_normal_notice_in_quiet_hours_waits_for_the_window_and_two_become_one_digest(service_as, channels, clock):
    service_as(SECRETARY).notify(to=[{"node_id": "unit_b8u1"}], fields=WATER)
    service_as(SECRETARY).notify(to=[{"node_id": "unit_b8u1"}], fields={"title": "消防检查", "body": "周五检查楼道"})
    deliver(service_as)
    assert channels["sms"].sent == []

    clock.move(hours=3, minutes=1)  # 13:01 in Shanghai
    deliver(service_as)

    [digest] = channels["sms"].sent
    assert digest.title == "您有 2 条新消息" and "1. 停水通知" in digest.body and "2. 消防检查" in digest.body
    assert service_as(Actor("p1", "unit_leader", ())).inbox()["total"] == 2


def test_the_same_idempotency_key_makes_one_notice_and_with_another_notice_is_refused(service_as, channels, clock):
    first = service_as(SECRETARY).notify(to=[{"node_id": "unit_grid1"}], fields=WATER, idempotency_key="water-1203")
    again = service_as(SECRETARY).notify(to=[{"node_id": "unit_grid1"}], fields=WATER, idempotency_key="water-1203")
    with pytest.raises(KeyReused) as reused:
        service_as(SECRETARY).notify(to=[{"node_id": "unit_b8"}], fields=WATER, idempotency_key="water-1203")
    deliver(service_as)

    assert first["notice_id"] == again["notice_id"]
    assert named(reused.value) == ["idempotency_key"]
    assert service_as(SECRETARY).notice_status(notice_id=first["notice_id"])["recipients"] == 3


def test_a_leader_notifies_inside_their_jurisdiction_only_and_never_a_list_of_people(service_as, clock):
    inside = service_as(LEADER).notify(to=[{"residents_of": "unit_b8"}], fields=WATER)
    with pytest.raises(Forbidden) as outside:
        service_as(LEADER).notify(to=[{"node_id": "unit_lianfu"}], fields=WATER)
    with pytest.raises(Forbidden) as by_id:
        service_as(LEADER).notify(to=[{"people": ["p1"]}], fields=WATER)

    assert inside["state"] == "fanning_out"
    assert named(outside.value) == ["jurisdiction"] and named(by_id.value) == ["to.0.people"]
    assert LIANFU[-1] == "unit_lianfu"


@pytest.mark.parametrize("arguments, field", [
    ({"to": [{"node_id": "unit_grid1"}], "template": "no_such"}, "template"),
    ({"to": [{"node_id": "unit_grid1"}], "fields": {"title": "停水"}}, "fields.body"),
    ({"to": [{"node_id": "unit_grid1", "team_id": "t"}], "fields": WATER}, "to.0"),
    ({"to": [{"people": ["p1"], "levels": 2}], "fields": WATER}, "to.0.levels"),
    ({"to": [], "fields": WATER}, "to"),
    ({"to": [{"node_id": "unit_grid1"}], "fields": WATER, "urgency": "特急"}, "urgency"),
    ({"to": [{"node_id": "unit_grid1"}], "fields": {**WATER, "extra": {"a": 1}}}, "fields"),
])
def test_bad_notices_are_refused_naming_the_field_and_keep_nothing(service_as, store, arguments, field):
    with pytest.raises(ValidationFailed) as bad:
        service_as(SECRETARY).notify(**arguments)

    assert named(bad.value) == [field]
    assert store.notices.coll.count_documents({}) == 0
