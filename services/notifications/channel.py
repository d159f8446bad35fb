"""What a channel is: a plugin of the entry-point group `linli.notification_channels` that
carries one message to one person (or to a group robot, naming them) and says how it went.

A channel class has:
- `name`: its entry-point name, used in preferences and config (`sms`, `wecom_robot`, …);
- `address`: the key of the person's address it needs (`phone`, `email`, `wecom_user`), or
  None when it needs none (a group robot: the group is in its settings);
- `per_minute`: its default rate limit (config's `per_minute` overrides it), None for none;
- `__init__(settings)`: its settings from config (`CHANNELS.<name>`), checked there
  (`ChannelMisconfigured` naming the key);
- `send(outgoing) -> receipt or None`: raises `TemporaryFailure` (try again later: timeouts,
  connection refused, HTTP 5xx, a provider's "busy") or `PermanentFailure` (this channel will not
  carry it: a refused address, HTTP 4xx, a bad key), nothing else on purpose.

Every send carries `outgoing.message_id` for the provider to drop a repeat where it can."""

from dataclasses import dataclass


class TemporaryFailure(Exception):
    """The channel may carry the message later."""


class PermanentFailure(Exception):
    """The channel will not carry this message: the next one in the person's order is tried."""


class ChannelMisconfigured(ValueError):
    def __init__(self, channel: str, key: str, reason: str):
        super().__init__(f"CHANNELS.{channel}.{key}: {reason}")
        self.field = f"CHANNELS.{channel}.{key}"


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    person_id: str
    name: str
    address: str | None  # what `Channel.address` names, as the person gave it; None for a robot
    phone: str | None  # to @-mention the person in a group, where the channel does that
    title: str
    body: str
    urgency: str

    @property
    def text(self) -> str:
        return f"【{self.title}】\n{self.body}" if self.title else self.body


def setting(settings: dict, channel: str, key: str, default=None, required: bool = False):
    value = settings.get(key, default)
    if required and not value:
        raise ChannelMisconfigured(channel, key, "is required")
    return value
