"""The in-app inbox: the reference channel, always on. Every message is placed in its person's
inbox when the notice is fanned out (in bulk, whatever else carries it), read with `inbox` and
marked with `mark_read`; it never fails and needs no address, so it is not among the channels a
message is sent on."""

from collections.abc import Mapping


class Inbox:
    name = "inbox"
    address = None
    per_minute = None
    always_on = True

    def __init__(self, settings: Mapping | None = None):
        self.settings = dict(settings or {})

    def place(self, inbox, items: list[dict]) -> int:
        """Put the items in their people's inboxes (a repeat adds nothing); how many were new."""
        return inbox.add(items)
