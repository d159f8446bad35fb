"""Valid keyword arguments made from a marshmallow schema, and the changes that make them hostile
(`tests.fuzzing.hostile` makes the hostile values); the schema an RPC loads its arguments with."""

import contextlib
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from unittest import mock

from hypothesis import strategies as st
from marshmallow import RAISE, Schema, fields, validate

import tests.fuzzing.hostile as hostile_values
from shared.schemas import StrictSchema
from tests.fuzzing.drawn import Drawn, Samples

TEXT = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
PRINTABLE = st.characters(codec="ascii", min_codepoint=32, max_codepoint=126)
WORDS = ["嘉园社区", "金昌花园", "2栋", "1单元", "康师傅", "王大爷", "下水道堵塞", "x"]
OFFSETS = [timedelta(hours=14), timedelta(hours=-12), timedelta(hours=8), timedelta(0), timedelta(minutes=345)]
EXTREME_DAYS = [date(1, 1, 1), date(9999, 12, 31), date(2026, 3, 2), date(2024, 2, 29), date(1970, 1, 1)]
BIG_NUMBERS = [2**63, -(2**63), 2**63 - 1, 2**64, -(2**64), 10**30]
UNKNOWN_NAMES = ["colour", "$where", "a.b", "", "_id", "__class__", "request_id\n", "unit_id ", "\ud800", "名字"]


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
    return objects(schema, samples, hostility)


def loadable(schema: Schema) -> list[tuple[str, fields.Field]]:
    return [(f.data_key or name, f) for name, f in schema.fields.items() if not f.dump_only]


@st.composite
def objects(draw, schema: Schema, samples: Samples, hostility: int) -> Drawn:
    """An object of `schema`: required fields and some optional ones valid, then none (two times
    in five) or up to `hostility` changes, and the reasons the contract refuses the result."""
    known = loadable(schema)
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
                chosen[name] = Drawn(draw(json_values()), (f"{name!r}: unknown field",))
            continue
        key, f = draw(st.sampled_from(known))
        if change == "left out":
            chosen.pop(key, None)
            left_out.add(key)
        else:
            chosen[key] = draw(hostile_values.hostile(f, key, samples))
            left_out.discard(key)
    strict = getattr(schema.Meta, "unknown", None) == RAISE or schema.unknown == RAISE
    refused = [r for key, d in chosen.items() if key in dict(known) or strict for r in d.refused]
    refused += [f"{key}: required, left out" for key, f in known if f.required and key in left_out]
    return Drawn({key: d.value for key, d in chosen.items()}, tuple(refused))


def validator_of(f: fields.Field, kind: type) -> Any:
    return next((v for v in f.validators if isinstance(v, kind)), None)


def bounds(f: fields.Field) -> tuple[int, int | None]:
    length = validator_of(f, validate.Length)
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
        one = objects(f.schema, samples.deeper(), 0).map(lambda d: d.value)
        return st.lists(one, max_size=3) if f.many else one
    if isinstance(f, fields.List):
        low, high = bounds(f)
        return st.lists(valid(f.inner, f"{name}.n", samples), min_size=low, max_size=min(high or low + 4, low + 4))
    if isinstance(f, fields.String):
        return valid_text(f, name, samples)
    if isinstance(f, fields.Integer):
        limits = validator_of(f, validate.Range)
        low = limits.min if limits and limits.min is not None else -1000
        high = limits.max if limits and limits.max is not None else 1000
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
        return aware_times()
    if isinstance(f, fields.Dict):
        keys = valid(f.key_field, name, samples) if f.key_field else st.text(PRINTABLE, max_size=10)
        values = valid(f.value_field, name, samples) if f.value_field else json_values()
        return st.dictionaries(keys.filter(lambda k: isinstance(k, str)), values, max_size=3)
    return json_values()


def valid_text(f: fields.String, name: str, samples: Samples) -> st.SearchStrategy[str]:
    choices, pattern = validator_of(f, validate.OneOf), validator_of(f, validate.Regexp)
    if choices is not None:
        return st.sampled_from(list(choices.choices))
    if pattern is not None:
        return st.from_regex(pattern.regex, fullmatch=True, alphabet=PRINTABLE)
    low, high = bounds(f)
    text = st.text(TEXT, min_size=max(low, 1), max_size=max(min(high or 30, 30), low, 1)) | st.sampled_from(
        [w for w in WORDS if low <= len(w) <= (high or len(w))] or ["x" * max(low, 1)])
    if high:
        text |= st.just("栋" * high)
    ids = samples.ids_for(name)
    known = st.sampled_from(ids)
    return st.one_of(known, known, known, text) if ids else text  # mostly ids the data holds


def aware_times() -> st.SearchStrategy[str]:
    moments = st.sampled_from([datetime.combine(d, datetime.min.time()) for d in EXTREME_DAYS]) | st.datetimes()
    return st.tuples(moments, st.sampled_from(OFFSETS)).map(
        lambda pair: pair[0].replace(tzinfo=timezone(pair[1])).isoformat())


def json_values() -> st.SearchStrategy[Any]:
    """Any value a JSON caller can send (NaN and infinities included, as kombu sends them)."""
    scalars = (st.none() | st.booleans() | st.integers() | st.sampled_from(BIG_NUMBERS)
               | st.floats(allow_nan=True, allow_infinity=True) | st.text(TEXT, max_size=20))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(TEXT, max_size=8), inner, max_size=3), max_leaves=8)


def unbounded_texts(schema: Schema) -> list[str]:
    """The top-level string fields that take any text of any length (no maximum, choices or
    pattern): where a string past the database's document limit reaches the database."""
    return [key for key, f in loadable(schema) if isinstance(f, fields.String) and bounds(f)[1] is None
            and validator_of(f, validate.OneOf) is None and validator_of(f, validate.Regexp) is None]
