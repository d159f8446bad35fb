"""A platform's calls go at most `CALL_CONCURRENCY` at once, however many tickets are worked
on side by side; the rest of the adapter is its own."""

import eventlet

from services.hotline.dependencies import Throttled
from services.hotline.platform import Call


class SlowPlatform:
    pulls = True

    def __init__(self):
        self.at_once = self.most = 0

    def sign(self, call: Call) -> dict:
        self.at_once += 1
        self.most = max(self.most, self.at_once)
        eventlet.sleep(0.01)
        self.at_once -= 1
        return {"ticket_no": call.ticket_no}


def test_calls_wait_their_turn_beyond_the_platforms_concurrency():
    platform = SlowPlatform()
    throttled = Throttled(platform, 3)
    calls = [Call(key=f"k{n}", ticket_no=f"T{n}", at=None) for n in range(20)]

    answers = list(eventlet.GreenPool(12).imap(throttled.sign, calls))

    assert [a["ticket_no"] for a in answers] == [f"T{n}" for n in range(20)]
    assert platform.most == 3 and throttled.pulls is True
