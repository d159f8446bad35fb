"""Any of the services apprise speaks (Telegram, Slack, Bark, Gotify, ntfy, Feishu, …) by its
URL, for a group that reads one: best effort, since apprise tells only success or failure, so
every failure counts as one that may pass later (tried again, then the next channel).

Settings: `url` (required: an apprise URL), `timeout_seconds` (10), `per_minute`."""

from collections.abc import Mapping

import apprise

from services.notifications.channel import ChannelMisconfigured, Outgoing, TemporaryFailure, setting


class AnyService:
    name = "apprise"
    address = None
    per_minute = 20

    def __init__(self, settings: Mapping):
        self.timeout = float(setting(settings, self.name, "timeout_seconds", 10))
        self.sender = apprise.Apprise(asset=apprise.AppriseAsset(service_timeout=self.timeout))
        if not self.sender.add(setting(settings, self.name, "url", required=True)):
            raise ChannelMisconfigured(self.name, "url", "is not a URL apprise speaks")
        for plugin in self.sender:
            plugin.request_rate_per_sec = 0  # the rate is ours to keep (`per_minute`), not a sleep per send

    def send(self, outgoing: Outgoing) -> None:
        if not self.sender.notify(title=outgoing.title, body=outgoing.body):
            raise TemporaryFailure("apprise: the service did not take the message")
