"""When a person reads messages: a weekly schedule of delivery windows in a time zone. Outside
them are the quiet hours, when only 特急 messages go out; the rest wait for the next window.

A schedule is `{weekday: [["HH:MM", "HH:MM"], …]}` with weekdays 1 (Monday) to 7; a weekday
missing from it has no window. It is stored as `{weekday: [{"start", "end"}, …]}` (the database
holds no arrays inside arrays) and read in either form. The default is what a busy community secretary keeps: every
day 13:00–14:30 and 18:30–19:30, Asia/Shanghai."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_WINDOWS = (("13:00", "14:30"), ("18:30", "19:30"))
DEFAULT_SCHEDULE: dict[int, list[list[str]]] = {day: [list(w) for w in DEFAULT_WINDOWS] for day in range(1, 8)}
DEFAULT_ZONE = "Asia/Shanghai"


class BadSchedule(ValueError):
    """A schedule that cannot be read: `field` says where (`windows.3.0`), `reason` what is wrong."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def _clock_time(text: object, field: str) -> time:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise BadSchedule(field, "must be a time HH:MM")
    try:
        return time(int(text[:2]), int(text[3:]))
    except ValueError:
        raise BadSchedule(field, "must be a time HH:MM") from None


@dataclass(frozen=True)
class Schedule:
    """Delivery windows by ISO weekday (1 = Monday), each `(start, end)` local times, start < end."""

    windows: Mapping[int, tuple[tuple[time, time], ...]]
    zone: ZoneInfo

    @classmethod
    def read(cls, spec: Mapping | None, zone: str = DEFAULT_ZONE) -> "Schedule":
        """A schedule from its stored or given form; `None` is the default. Raises `BadSchedule`."""
        spec = DEFAULT_SCHEDULE if spec is None else spec
        if not isinstance(spec, Mapping):
            raise BadSchedule("windows", "must be an object of weekday → windows")
        windows: dict[int, tuple[tuple[time, time], ...]] = {}
        for key, listed in spec.items():
            day = int(key) if str(key).isdigit() else 0
            if not 1 <= day <= 7:
                raise BadSchedule(f"windows.{key}", "must be a weekday 1 (Monday) to 7")
            if not isinstance(listed, list | tuple) or len(listed) > 8:
                raise BadSchedule(f"windows.{key}", "must be a list of at most 8 windows")
            spans = []
            for n, pair in enumerate(listed):
                where = f"windows.{key}.{n}"
                if isinstance(pair, Mapping) and set(pair) == {"start", "end"}:
                    pair = (pair["start"], pair["end"])
                if not isinstance(pair, list | tuple) or len(pair) != 2:
                    raise BadSchedule(where, "must be [start, end]")
                start, end = _clock_time(pair[0], where), _clock_time(pair[1], where)
                if start >= end:
                    raise BadSchedule(where, "must start before it ends")
                spans.append((start, end))
            windows[day] = tuple(sorted(spans))
        return cls(windows, ZoneInfo(zone))

    def shown(self) -> dict[str, list[list[str]]]:
        """As callers give it: `{weekday: [[start, end], …]}`."""
        return {str(day): [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in spans]
                for day, spans in sorted(self.windows.items())}

    def stored(self) -> dict[str, list[dict[str, str]]]:
        """As the database keeps it: `{weekday: [{start, end}, …]}`."""
        return {day: [{"start": s, "end": e} for s, e in spans] for day, spans in self.shown().items()}

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        now = local.time()
        return any(start <= now < end for start, end in self.windows.get(local.isoweekday(), ()))

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself inside a window, else the start of the next window (in UTC if
        `moment` is). A schedule without any window is always open: nothing waits forever."""
        if self.is_open(moment) or not any(self.windows.values()):
            return moment
        local = moment.astimezone(self.zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            for start, _ in self.windows.get(day.isoweekday(), ()):
                opens = datetime.combine(day, start, tzinfo=self.zone)
                if opens > local:
                    return opens.astimezone(moment.tzinfo)
        raise AssertionError("a weekly schedule with a window opens within eight days")

    def closes_after(self, moment: datetime) -> datetime | None:
        """The end of the window `moment` is in, if it is in one."""
        local = moment.astimezone(self.zone)
        for start, end in self.windows.get(local.isoweekday(), ()):
            if start <= local.time() < end:
                return datetime.combine(local.date(), end, tzinfo=self.zone).astimezone(moment.tzinfo)
        return None
