"""Hypothesis strategies made from marshmallow schemas: an RPC's keyword arguments, each value
valid or hostile, and whether the RPC's contract says such a call must be refused.

A value the contract refuses (a wrong type, a number out of range, a string too long, with a NUL
or a lone surrogate, a regular-expression field with a trailing newline, an unknown field...)
carries the reason; a valid value, or one the contract leaves open (a whitespace-only name, an
id of another community), carries none. Rules no field states (a schema's own validators, the
data) may still refuse a call the strategies call valid."""

import contextlib
import dataclasses
import math
import os
import re
import string
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from kombu.utils import json as wire_json
from marshmallow import RAISE, Schema, fields, validate

from shared.errors import LinliError
from shared.schemas import StrictSchema

TEXT = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
PRINTABLE = st.characters(codec="ascii", min_codepoint=32, max_codepoint=126)
WORDS = ["嘉园社区", "金昌花园", "2栋", "1单元", "康师傅", "王大爷", "下水道堵塞", "x"]
WHITESPACE = [" ", "\t", "\u3000", "\n", " \u00a0 "]
OFFSETS = [timedelta(hours=14), timedelta(hours=-12), timedelta(hours=8), timedelta(0), timedelta(minutes=345)]
EXTREME_DAYS = [date(1, 1, 1), date(9999, 12, 31), date(2026, 3, 2), date(2024, 2, 29), date(1970, 1, 1)]
BIG_NUMBERS = [2**63, -(2**63), 2**63 - 1, 2**64, -(2**64), 10**30]
UNKNOWN_NAMES = ["colour", "$where", "a.b", "", "_id", "__class__", "request_id\n", "unit_id ", "\ud800", "名字"]


@dataclass(frozen=True)
class Drawn:
    """A generated value and, when its contract refuses it, why."""

    value: Any
    refused: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Drawn({short(self.value)}, refused={self.refused!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis prints a failing example
        printer.text(repr(self))


def short(value: Any, room: int = 80) -> str:
    """`repr` with long strings, lists and objects cut short, so that a failing example reads."""
    if isinstance(value, str) and len(value) > room:
        return f"{value[:20]!r}...({len(value)} characters)"
    if isinstance(value, list):
        shown = ", ".join(short(v, room) for v in value[:5])
        return f"[{shown}{f', ...({len(value)} items)' if len(value) > 5 else ''}]"
    if isinstance(value, dict):
        shown = ", ".join(f"{short(k, room)}: {short(v, room)}" for k, v in list(value.items())[:12])
        return f"{{{shown}{f', ...({len(value)} keys)' if len(value) > 12 else ''}}}"
    return repr(value)


@dataclass(frozen=True)
class Samples:
    """What the data holds, so that valid calls reach past the lookups: known ids by kind
    (a field whose name holds the kind draws them, `"unit"` for `unit_id` and `node_id`...) and
    realistic values by field name."""

    ids: Mapping[str, Sequence[str]] = field(default_factory=dict)
    values: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    longest: int = 1_000_000  # the longest string a hostile value has
    widest: int = 10_000  # the longest list a hostile value has
    deepest: int = 200  # the deepest nesting a hostile value has
    depth: int = 0  # how deep in nested schemas the values being made are
    deepest_schema: int = 3  # below this, objects of a nested schema get their required fields only
    kinds: Mapping[str, str] = field(default_factory=lambda: {
        "node": "unit", "parent": "unit", "community": "unit", "duplicate_of": "case"})

    def ids_for(self, name: str) -> list[str]:
        kind = next((k for k in self.ids if k in name), None)
        kind = kind or next((v for k, v in self.kinds.items() if k in name), None)
        return list(self.ids.get(kind, ())) if kind else []

    def deeper(self) -> "Samples":
        return dataclasses.replace(self, depth=self.depth + 1)


class _Loaded(BaseException):
    """Stops an RPC at the moment it loads its arguments."""


def input_schema(call: Callable[[], Any]) -> Schema | None:
    """The schema an RPC loads its arguments with: the first `StrictSchema.load_or_raise` that
    `call()` (the RPC with no arguments) reaches; None when it reaches none."""
    seen: list[Schema] = []

    def spy(self, data, **kwargs):
        seen.append(self)
        raise _Loaded

    with mock.patch.object(StrictSchema, "load_or_raise", spy), contextlib.suppress(_Loaded, Exception):
        call()
    return seen[0] if seen else None


def arguments(schema: Schema, samples: Samples, hostility: int = 3) -> st.SearchStrategy[Drawn]:
    """Keyword arguments for an RPC loading them with `schema`: valid ones, with up to `hostility`
    changes (a hostile value, a required field left out, an unknown field) at any depth."""
    return _object(schema, samples, hostility)


def _loadable(schema: Schema) -> list[tuple[str, fields.Field]]:
    return [(f.data_key or name, f) for name, f in schema.fields.items() if not f.dump_only]


@st.composite
def _object(draw, schema: Schema, samples: Samples, hostility: int) -> Drawn:
    known = _loadable(schema)
    shallow = samples.depth <= samples.deepest_schema
    chosen: dict[str, Drawn] = {key: Drawn(draw(valid(f, key, samples))) for key, f in known
                                if f.required or (shallow and draw(st.booleans()))}
    hostility = hostility if shallow else 0
    left_out: set[str] = set()
    for _ in range(draw(st.sampled_from([0, 0, *range(1, hostility + 1)]) if hostility else st.just(0))):
        change = draw(st.sampled_from(["value", "value", "value", "left out", "unknown"] if known else ["unknown"]))
        if change == "unknown":
            name = draw(st.sampled_from(UNKNOWN_NAMES) | st.text(TEXT, max_size=12))
            if name not in dict(known):
                chosen[name] = Drawn(draw(_json()), (f"{name!r}: unknown field",))
            continue
        key, f = draw(st.sampled_from(known))
        if change == "left out":
            chosen.pop(key, None)
            left_out.add(key)
        else:
            chosen[key] = draw(hostile(f, key, samples))
            left_out.discard(key)
    strict = getattr(schema.Meta, "unknown", None) == RAISE or schema.unknown == RAISE
    refused = [r for key, d in chosen.items() if key in dict(known) or strict for r in d.refused]
    refused += [f"{key}: required, left out" for key, f in known if f.required and key in left_out]
    return Drawn({key: d.value for key, d in chosen.items()}, tuple(refused))


def _validator(f: fields.Field, kind: type) -> Any:
    return next((v for v in f.validators if isinstance(v, kind)), None)


def _bounds(f: fields.Field) -> tuple[int, int | None]:
    length = _validator(f, validate.Length)
    if length is None:
        return 0, None
    if length.equal is not None:
        return length.equal, length.equal
    return length.min or 0, length.max


def valid(f: fields.Field, name: str, samples: Samples) -> st.SearchStrategy[Any]:
    """Values the field's type and validators accept (and realistic ones where known)."""
    made = _valid(f, name, samples)
    realistic = samples.values.get(name)
    if realistic:
        made = st.sampled_from(list(realistic)) | made
    return (st.none() | made) if f.allow_none else made


def _valid(f: fields.Field, name: str, samples: Samples) -> st.SearchStrategy[Any]:
    if isinstance(f, fields.Nested):
        one = _object(f.schema, samples.deeper(), 0).map(lambda d: d.value)
        return st.lists(one, max_size=3) if f.many else one
    if isinstance(f, fields.List):
        low, high = _bounds(f)
        return st.lists(valid(f.inner, f"{name}.n", samples), min_size=low, max_size=min(high or low + 4, low + 4))
    if isinstance(f, fields.String):
        return _valid_text(f, name, samples)
    if isinstance(f, fields.Integer):
        bounds = _validator(f, validate.Range)
        low = bounds.min if bounds and bounds.min is not None else -1000
        high = bounds.max if bounds and bounds.max is not None else 1000
        return st.sampled_from([low, high]) | st.integers(low, high)
    if isinstance(f, fields.Number):
        return st.floats(-1e6, 1e6)
    if isinstance(f, fields.Boolean):
        return st.booleans()
    if isinstance(f, fields.Date):
        return (st.sampled_from(EXTREME_DAYS) | st.dates()).map(date.isoformat)
    if isinstance(f, fields.NaiveDateTime):
        return st.datetimes().map(datetime.isoformat)
    if isinstance(f, fields.DateTime):
        return _aware_times()
    if isinstance(f, fields.Dict):
        keys = valid(f.key_field, name, samples) if f.key_field else st.text(PRINTABLE, max_size=10)
        values = valid(f.value_field, name, samples) if f.value_field else _json()
        return st.dictionaries(keys.filter(lambda k: isinstance(k, str)), values, max_size=3)
    return _json()


def _valid_text(f: fields.String, name: str, samples: Samples) -> st.SearchStrategy[str]:
    choices, pattern = _validator(f, validate.OneOf), _validator(f, validate.Regexp)
    if choices is not None:
        return st.sampled_from(list(choices.choices))
    if pattern is not None:
        return st.from_regex(pattern.regex, fullmatch=True, alphabet=PRINTABLE)
    low, high = _bounds(f)
    text = st.text(TEXT, min_size=max(low, 1), max_size=max(min(high or 30, 30), low, 1)) | st.sampled_from(
        [w for w in WORDS if low <= len(w) <= (high or len(w))] or ["x" * max(low, 1)])
    if high:
        text |= st.just("栋" * high)
    ids = samples.ids_for(name)
    known = st.sampled_from(ids)
    return st.one_of(known, known, known, text) if ids else text  # mostly ids the data holds


def _aware_times() -> st.SearchStrategy[str]:
    moments = st.sampled_from([datetime.combine(d, datetime.min.time()) for d in EXTREME_DAYS]) | st.datetimes()
    return st.tuples(moments, st.sampled_from(OFFSETS)).map(
        lambda pair: pair[0].replace(tzinfo=timezone(pair[1])).isoformat())


def _json() -> st.SearchStrategy[Any]:
    """Any value a JSON caller can send (NaN and infinities included, as kombu sends them)."""
    scalars = (st.none() | st.booleans() | st.integers() | st.sampled_from(BIG_NUMBERS)
               | st.floats(allow_nan=True, allow_infinity=True) | st.text(TEXT, max_size=20))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(TEXT, max_size=8), inner, max_size=3), max_leaves=8)


def _refused(reason: str) -> Callable[[Any], Drawn]:
    return lambda value: Drawn(value, (reason,))


def hostile(f: fields.Field, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    """Hostile values for a field, each with whether its contract refuses it."""
    made = [st.booleans().map(lambda as_dict: _deep(f, name, samples.deepest, as_dict)),
            st.just(Drawn(None, () if f.allow_none else (f"{name}: null",)))]
    wrong = [v for v in (42, 4.5, True, "x", ["x"], {"x": 1}) if not _same_kind(f, v)]
    if wrong:
        made.append(st.sampled_from(wrong).map(_refused(f"{name}: wrong type")))
    if isinstance(f, fields.Nested):
        made.append(_hostile_nested(f, name, samples))
    elif isinstance(f, fields.List):
        made.append(_hostile_list(f, name, samples))
    elif isinstance(f, fields.String):
        made.append(_hostile_text(f, name, samples))
    elif isinstance(f, fields.Integer):
        made.append(_hostile_integer(f, name))
    elif isinstance(f, fields.Boolean):
        made.append(st.sampled_from(["maybe", 2, -1, 0.5, "TRUE "]).map(_refused(f"{name}: not a boolean"))
                    | st.sampled_from(["yes", "1", 1, 0, "off"]).map(Drawn))
    elif isinstance(f, fields.Date):
        made.append(_hostile_day(name))
    elif isinstance(f, fields.DateTime):
        made.append(_hostile_time(f, name))
    elif isinstance(f, fields.Dict):
        made.append(_hostile_dict(f, name, samples))
    return st.one_of(made)


def _deep(f: fields.Field, name: str, depth: int, as_dict: bool) -> Drawn:
    """Lists in lists (or objects in objects) `depth` deep: only a field taking anything takes them."""
    value: Any = "底"
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    takes_it = type(f) is fields.Raw or (as_dict and isinstance(f, fields.Dict) and f.value_field is None)
    return Drawn(value, () if takes_it else (f"{name}: nested {depth} deep",))


def _same_kind(f: fields.Field, value: Any) -> bool:
    if isinstance(f, fields.Nested):
        return isinstance(value, list if f.many else dict)
    if isinstance(f, fields.List):
        return isinstance(value, list)
    if isinstance(f, fields.Dict):
        return isinstance(value, dict)
    if isinstance(f, fields.Number):
        return isinstance(value, int | float) and not isinstance(value, bool)  # floats: `_hostile_integer`
    if isinstance(f, fields.Boolean):
        return isinstance(value, bool)
    if isinstance(f, fields.String):
        return isinstance(value, str)
    return not isinstance(f, fields.Date | fields.DateTime)  # "x" is no date


def _hostile_nested(f: fields.Nested, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    samples = samples.deeper()
    inner = _object(f.schema, samples, 2).map(lambda d: Drawn(d.value, tuple(f"{name}.{r}" for r in d.refused)))
    if not f.many:
        return inner
    return st.tuples(st.lists(_object(f.schema, samples, 0), max_size=2), inner).map(
        lambda pair: Drawn([d.value for d in pair[0]] + [pair[1].value], pair[1].refused))


def _hostile_list(f: fields.List, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    low, high = _bounds(f)
    element = valid(f.inner, f"{name}.n", samples)
    sizes = [n for n in (high + 1 if high is not None else None, samples.widest) if n]

    def sized(pair: tuple[int, Any]) -> Drawn:
        size, item = pair
        return Drawn([item] * size, (f"{name}: {size} items",) if high is not None and size > high else ())

    made = [st.tuples(st.sampled_from(sizes), element).map(sized),
            st.tuples(st.lists(element, max_size=3), hostile(f.inner, f"{name}.n", samples)).map(
                lambda pair: Drawn([*pair[0], pair[1].value], pair[1].refused))]
    if low:
        made.append(st.just(Drawn([], (f"{name}: empty",))))
    return st.one_of(made)


def _hostile_text(f: fields.String, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    choices, pattern = _validator(f, validate.OneOf), _validator(f, validate.Regexp)
    low, high = _bounds(f)
    base = _valid_text(f, name, samples)
    bare = choices is None and pattern is None

    def spoiled(pair: tuple[str, tuple[int, str, str]]) -> Drawn:
        text, (at, bad, why) = pair
        at = min(at, len(text))
        return Drawn(text[:at] + bad + text[at:], (f"{name}: {why}",))

    def sized(size: int) -> Drawn:
        return Drawn("栋" * size, (f"{name}: {size} characters",) if high is not None and size > high else ())

    made = [st.tuples(base, st.tuples(st.integers(0, 40), st.sampled_from(["\x00", "\ud800", "\udfff"]),
                                      st.just("NUL or lone surrogate"))).map(spoiled),
            st.sampled_from([n for n in (high + 1 if high else None, 10_000, samples.longest) if n]).map(sized),
            st.sampled_from(WHITESPACE).map(lambda s: Drawn(s, () if bare and low <= len(s) <= (high or 99)
                                                              else (f"{name}: whitespace only",)))]
    if low or not bare:
        made.append(st.just(Drawn("", (f"{name}: empty",))))
    if choices is not None:
        near = st.sampled_from(list(choices.choices)).flatmap(
            lambda c: st.sampled_from([c.upper() + "X", c + " ", c + "\n", " " + c]))
        made.append(near.map(_refused(f"{name}: not one of the choices")))
    if pattern is not None and pattern.regex.pattern.endswith("$"):
        made.append(base.map(lambda s: Drawn(s + "\n", (f"{name}: trailing newline after a full match",))))
    if pattern is not None and r"\d" in pattern.regex.pattern:
        made.append(base.map(lambda s: Drawn(s.translate(FULL_WIDTH_DIGITS))))  # a digit the contract leaves open
    return st.one_of(made)


FULL_WIDTH_DIGITS = str.maketrans(string.digits, "０１２３４５６７８９")


def _hostile_integer(f: fields.Integer, name: str) -> st.SearchStrategy[Drawn]:
    bounds = _validator(f, validate.Range)
    low = bounds.min if bounds and bounds.min is not None else -math.inf
    high = bounds.max if bounds and bounds.max is not None else math.inf

    def judged(value: Any) -> Drawn:
        if isinstance(value, float) and not math.isfinite(value):
            return Drawn(value, (f"{name}: {value}",))
        if isinstance(value, float | str):
            if f.strict:
                return Drawn(value, (f"{name}: not an integer",))
            return Drawn(value)  # a non-strict field takes 3.0 and "3"; it may truncate 4.5
        return Drawn(value, () if low <= value <= high else (f"{name}: out of range",))

    edges = [n for n in (low - 1, high + 1) if math.isfinite(n)]
    return st.sampled_from([*BIG_NUMBERS, *edges, math.nan, math.inf, -math.inf, 4.5, 3.0, "3", "three"]).map(judged)


def _hostile_day(name: str) -> st.SearchStrategy[Drawn]:
    bad = st.sampled_from(["2026-13-01", "2026-02-30", "0000-01-01", "10000-01-01", "tomorrow", "",
                           "2026-03-01T00:00:00+14:00", 20260301]).map(_refused(f"{name}: not a date"))
    return bad | st.sampled_from(EXTREME_DAYS).map(lambda d: Drawn(d.isoformat()))


def _hostile_time(f: fields.DateTime, name: str) -> st.SearchStrategy[Drawn]:
    naive = st.datetimes().map(lambda t: Drawn(t.isoformat(), () if isinstance(f, fields.NaiveDateTime)
                                                else (f"{name}: no offset",)))
    bad = st.sampled_from(["2026-03-20T19:30:00+25:00", "2026-03-20 25:00+08:00", "soon", 1774000000]).map(
        _refused(f"{name}: not a time"))
    return naive | bad | _aware_times().map(Drawn)


def _hostile_dict(f: fields.Dict, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    values = valid(f.value_field, f"{name}.n", samples) if f.value_field else _json()

    def keyed(pair: tuple[str, Any]) -> Drawn:
        key, value = pair
        fine = "\ud800" not in key and (f.key_field is None or _contract_takes(f.key_field, key))
        return Drawn({key: value}, () if fine else (f"{name}: key {key[:10]!r}",))

    def wide(value: Any) -> Drawn:
        keys = [f"k{n}" for n in range(samples.widest)]
        fine = f.key_field is None or all(_contract_takes(f.key_field, k) for k in keys)
        return Drawn(dict.fromkeys(keys, value), () if fine else (f"{name}: keys k0...",))

    return (st.tuples(st.sampled_from(["$where", "a.b", "", "\ud800", "x" * 10_000, "ab\n"]), values).map(keyed)
            | values.map(wide))


def _contract_takes(f: fields.Field, text: str) -> bool:
    """Whether a string field's contract takes `text`: its length and choices, and its regular
    expression matching all of it (a trailing newline included)."""
    low, high = _bounds(f)
    choices, pattern = _validator(f, validate.OneOf), _validator(f, validate.Regexp)
    return (low <= len(text) <= (high if high is not None else len(text))
            and (choices is None or text in choices.choices)
            and (pattern is None or pattern.regex.fullmatch(text) is not None))


def is_refused_text(value: Any) -> bool:
    """Whether `value` holds, at any depth, a string the services refuse (NUL, lone surrogate)."""
    if isinstance(value, str):
        return "\x00" in value or re.search("[\ud800-\udfff]", value) is not None
    if isinstance(value, dict):
        return any(is_refused_text(k) or is_refused_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(is_refused_text(v) for v in value)
    return False


def fuzz_settings(examples: int, on_ci: int | None = None) -> settings:
    """`examples` calls per RPC (`on_ci` under `CI=true`, derandomized there so that a run is
    repeated exactly; `LINLI_FUZZ_EXAMPLES` overrides both); no deadline (a worker's first
    call is slow).
    A failing example is reported as found (its refusal reasons say what is hostile in it);
    `LINLI_FUZZ_SHRINK=1` shrinks it first, which can take minutes with long strings."""
    ci = os.environ.get("CI", "").lower() == "true"
    shrink = os.environ.get("LINLI_FUZZ_SHRINK") == "1"
    examples = on_ci if ci and on_ci else examples
    return settings(max_examples=int(os.environ.get("LINLI_FUZZ_EXAMPLES", examples)), deadline=None,
                    derandomize=ci, database=None if ci else settings.default.database,
                    suppress_health_check=list(HealthCheck), print_blob=not ci,
                    phases=[p for p in Phase if shrink or p is not Phase.shrink])


class StrayWrite(AssertionError):
    """A call that got an error changed what the service keeps."""


class Crash(AssertionError):
    """A call got something other than a structured error or a plain JSON answer."""


@dataclass
class Tally:
    """Calls per RPC: how many, answered, refused, crashed, and refused with a stray write."""

    tier: str
    counts: dict[str, Counter] = field(default_factory=dict)
    failed: set[tuple[str, str]] = field(default_factory=set)

    def add(self, rpc: str, outcome: str, drawn: Drawn | None = None) -> None:
        """Count an outcome; a failure once per input (hypothesis replays a failing one)."""
        if drawn is not None:
            if (rpc, repr(drawn)) in self.failed:
                return
            self.failed.add((rpc, repr(drawn)))
        self.counts.setdefault(rpc, Counter())[outcome] += 1

    def lines(self, seconds: float) -> list[str]:
        total = Counter()
        for counted in self.counts.values():
            total.update(counted)
        per_rpc = ", ".join(f"{rpc} {c['inputs']}" for rpc, c in sorted(self.counts.items()))
        return [f"fuzz {self.tier}: {len(self.counts)} RPCs, {total['inputs']} inputs in {seconds:.0f}s "
                f"({total['refused']} refused, {total['answered']} answered), crashes {total['crashes']}, "
                f"stray writes {total['stray writes']}, hostile inputs accepted {total['accepted']}",
                f"fuzz {self.tier} inputs per RPC: {per_rpc}"]

    def report(self, config, seconds: float) -> None:
        """Add the summary to pytest's terminal summary."""
        if self.counts:
            config.pluginmanager.register(_Summary(self.lines(seconds)), f"linli-fuzz-{self.tier}")


class _Summary:
    def __init__(self, lines: list[str]):
        self.summary = lines

    def pytest_terminal_summary(self, terminalreporter) -> None:
        for line in self.summary:
            terminalreporter.write_line(line)


def judge(tally: Tally, rpc: str, call: Callable[[], Any], drawn: Drawn, digest: Callable[[], Any]) -> str:
    """Make one call and hold it to the promise: a structured error that leaves `digest()` as it
    was, or (when the contract does not refuse the input) an answer in plain JSON."""
    must_refuse = list(drawn.refused) + (["a NUL or lone surrogate"] if is_refused_text(drawn.value) else [])
    tally.add(rpc, "inputs")
    before = digest()
    try:
        answer = call()
    except LinliError as error:
        fields_named = [d.get("field") for d in error.details if isinstance(d, Mapping)]
        if not fields_named or not all(isinstance(f, str) and f for f in fields_named):
            tally.add(rpc, "crashes", drawn)
            raise Crash(f"{rpc}: {error.code} names no field: {error.to_dict()}") from error
        if digest() != before:
            tally.add(rpc, "stray writes", drawn)
            raise StrayWrite(f"{rpc}: refused ({error.code}: {error.details}) after writing") from error
        tally.add(rpc, "refused")
        return error.code
    except Exception as error:
        tally.add(rpc, "crashes", drawn)
        raise Crash(f"{rpc}: {type(error).__name__}: {str(error)[:300]}") from error
    if must_refuse:
        tally.add(rpc, "accepted", drawn)
        raise Crash(f"{rpc}: answered input its contract refuses ({'; '.join(must_refuse)[:300]})")
    try:
        wire_json.dumps(answer)
    except (TypeError, ValueError) as error:
        tally.add(rpc, "crashes", drawn)
        raise Crash(f"{rpc}: the answer is not plain JSON: {error}") from error
    tally.add(rpc, "answered")
    return "answered"


def unbounded_texts(schema: Schema) -> list[str]:
    """The top-level string fields that take any text of any length (no maximum, choices or
    pattern): where a string past the database's document limit reaches the database."""
    return [key for key, f in _loadable(schema) if isinstance(f, fields.String) and _bounds(f)[1] is None
            and _validator(f, validate.OneOf) is None and _validator(f, validate.Regexp) is None]
