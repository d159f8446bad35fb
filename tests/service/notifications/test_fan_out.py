"""A fan-out that dies part way: the notice stays held until its lease runs out, then any
instance takes it over and goes on from the last page recorded; pages written twice add
nothing, so each person has one message and one inbox item."""

import pytest

from tests.fakes.mongo import Died
from tests.service.notifications.conftest import SECRETARY
from tests.service.rosters.conftest import die_at

PEOPLE = [f"p{n:03d}" for n in range(450)]  # three pages of 200 ids


def test_a_fan_out_killed_on_its_second_page_is_finished_by_another_instance_once(service_as, store, db, clock):
    notice = service_as(SECRETARY).notify(to=[{"people": PEOPLE}], fields={"title": "停电通知", "body": "今晚抢修"})
    die_at(db, "insert_many", "inbox", at=2)  # the second page's messages are written, its inbox items are not

    with pytest.raises(Died):
        service_as().resume_fan_outs()
    die_at(db, "", None)
    half_way = store.notices.get(notice["notice_id"])
    service_as().resume_fan_outs()  # too soon: the dead instance's lease still holds the notice
    still_held = store.notices.get(notice["notice_id"])["state"]
    clock.move(seconds=61)
    service_as().resume_fan_outs()

    done = service_as(SECRETARY).notice_status(notice_id=notice["notice_id"])
    assert half_way["cursor"] == {"audience": 0, "offset": 200} and still_held == "fanning_out"
    assert done["state"] == "done" and done["messages"] == {"sent": 450} and done["recipients"] == 450
    assert store.messages.coll.count_documents({}) == 450 and store.inbox.coll.count_documents({}) == 450


def test_a_fan_out_killed_on_its_first_page_counts_each_person_once_when_finished(service_as, store, db, clock):
    notice = service_as(SECRETARY).notify(to=[{"people": PEOPLE}], fields={"title": "停电通知", "body": "今晚抢修"})
    die_at(db, "insert_many", "inbox", at=1)

    with pytest.raises(Died):
        service_as().resume_fan_outs()
    die_at(db, "", None)
    clock.move(seconds=61)
    service_as().resume_fan_outs()

    done = service_as(SECRETARY).notice_status(notice_id=notice["notice_id"])
    assert (done["state"], done["recipients"], done["messages"]) == ("done", 450, {"sent": 450})
