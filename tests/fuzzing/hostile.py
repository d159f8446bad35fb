"""Hostile values for a marshmallow field, each with whether the field's contract refuses it:
wrong types, numbers out of range, NaN, texts too long or with a NUL or a lone surrogate, a
trailing newline after a full match, lists and objects too long or too deep, days and times at
the ends of the calendar."""

import math
import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from marshmallow import fields, validate

import tests.fuzzing.valid as made
from tests.fuzzing.drawn import Drawn, Samples

WHITESPACE = [" ", "\t", "\u3000", "\n", " \u00a0 "]


def _refused(reason: str) -> Callable[[Any], Drawn]:
    return lambda value: Drawn(value, (reason,))


def hostile(f: fields.Field, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    """Hostile values for a field, each with whether its contract refuses it."""
    options = [st.booleans().map(lambda as_dict: _deep(f, name, samples.deepest, as_dict)),
               st.just(Drawn(None, () if f.allow_none else (f"{name}: null",)))]
    wrong = [v for v in (42, 4.5, True, "x", ["x"], {"x": 1}) if not _same_kind(f, v)]
    if wrong:
        options.append(st.sampled_from(wrong).map(_refused(f"{name}: wrong type")))
    if isinstance(f, fields.Nested):
        options.append(_hostile_nested(f, name, samples))
    elif isinstance(f, fields.List):
        options.append(_hostile_list(f, name, samples))
    elif isinstance(f, fields.String):
        options.append(_hostile_text(f, name, samples))
    elif isinstance(f, fields.Integer):
        options.append(_hostile_integer(f, name))
    elif isinstance(f, fields.Boolean):
        options.append(st.sampled_from(["maybe", 2, -1, 0.5, "TRUE "]).map(_refused(f"{name}: not a boolean"))
                       | st.sampled_from(["yes", "1", 1, 0, "off"]).map(Drawn))
    elif isinstance(f, fields.Date):
        options.append(_hostile_day(name))
    elif isinstance(f, fields.DateTime):
        options.append(_hostile_time(f, name))
    elif isinstance(f, fields.Dict):
        options.append(_hostile_dict(f, name, samples))
    return st.one_of(options)


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
    inner = made.objects(f.schema, samples, 2).map(
        lambda d: Drawn(d.value, tuple(f"{name}.{r}" for r in d.refused)))
    if not f.many:
        return inner
    return st.tuples(st.lists(made.objects(f.schema, samples, 0), max_size=2), inner).map(
        lambda pair: Drawn([d.value for d in pair[0]] + [pair[1].value], pair[1].refused))


def _hostile_list(f: fields.List, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    low, high = made.bounds(f)
    element = made.valid(f.inner, f"{name}.n", samples)
    sizes = [n for n in (high + 1 if high is not None else None, samples.widest) if n]

    def sized(pair: tuple[int, Any]) -> Drawn:
        size, item = pair
        return Drawn([item] * size, (f"{name}: {size} items",) if high is not None and size > high else ())

    options = [st.tuples(st.sampled_from(sizes), element).map(sized),
               st.tuples(st.lists(element, max_size=3), hostile(f.inner, f"{name}.n", samples)).map(
                   lambda pair: Drawn([*pair[0], pair[1].value], pair[1].refused))]
    if low:
        options.append(st.just(Drawn([], (f"{name}: empty",))))
    return st.one_of(options)


def _hostile_text(f: fields.String, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    choices, pattern = made.validator_of(f, validate.OneOf), made.validator_of(f, validate.Regexp)
    low, high = made.bounds(f)
    base = made.valid_text(f, name, samples)
    bare = choices is None and pattern is None

    def spoiled(pair: tuple[str, tuple[int, str, str]]) -> Drawn:
        text, (at, bad, why) = pair
        at = min(at, len(text))
        return Drawn(text[:at] + bad + text[at:], (f"{name}: {why}",))

    def sized(size: int) -> Drawn:
        return Drawn("栋" * size, (f"{name}: {size} characters",) if high is not None and size > high else ())

    spoilers = st.tuples(st.integers(0, 40), st.sampled_from(["\x00", "\ud800", "\udfff"]),
                         st.just("NUL or lone surrogate"))
    sizes = [n for n in (high + 1 if high else None, 10_000, samples.longest) if n]
    options = [st.tuples(base, spoilers).map(spoiled), st.sampled_from(sizes).map(sized),
               st.sampled_from(WHITESPACE).map(lambda s: Drawn(s, () if bare and low <= len(s) <= (high or 99)
                                                                 else (f"{name}: whitespace only",)))]
    if low or not bare:
        options.append(st.just(Drawn("", (f"{name}: empty",))))
    if choices is not None:
        near = st.sampled_from(list(choices.choices)).flatmap(
            lambda c: st.sampled_from([c.upper() + "X", c + " ", c + "\n", " " + c]))
        options.append(near.map(_refused(f"{name}: not one of the choices")))
    if pattern is not None:
        options.append(base.map(lambda s: Drawn(s + "\n", (f"{name}: trailing newline after a full match",))))
    if pattern is not None and "[0-9]" in pattern.regex.pattern:  # digits are ASCII: "１３８…" is another number
        options.append(base.map(lambda s: _full_width(s, name)))
    return st.one_of(options)


def _full_width(text: str, name: str) -> Drawn:
    wide = text.translate(FULL_WIDTH_DIGITS)
    return Drawn(wide, (f"{name}: full-width digits",) if wide != text else ())


FULL_WIDTH_DIGITS = str.maketrans(string.digits, "０１２３４５６７８９")


def _hostile_integer(f: fields.Integer, name: str) -> st.SearchStrategy[Drawn]:
    limits = made.validator_of(f, validate.Range)
    low = limits.min if limits and limits.min is not None else -math.inf
    high = limits.max if limits and limits.max is not None else math.inf

    def judged(value: Any) -> Drawn:
        if isinstance(value, float) and not math.isfinite(value):
            return Drawn(value, (f"{name}: {value}",))
        if isinstance(value, float | str):
            if f.strict:
                return Drawn(value, (f"{name}: not an integer",))
            return Drawn(value)  # a non-strict field takes 3.0 and "3"; it may truncate 4.5
        return Drawn(value, () if low <= value <= high else (f"{name}: out of range",))

    edges = [n for n in (low - 1, high + 1) if math.isfinite(n)]
    tried = [*made.BIG_NUMBERS, *edges, math.nan, math.inf, -math.inf, 4.5, 3.0, "3", "three"]
    return st.sampled_from(tried).map(judged)


def _hostile_day(name: str) -> st.SearchStrategy[Drawn]:
    bad = st.sampled_from(["2026-13-01", "2026-02-30", "0000-01-01", "10000-01-01", "tomorrow", "",
                           "2026-03-01T00:00:00+14:00", 20260301]).map(_refused(f"{name}: not a date"))
    return bad | st.sampled_from(made.EXTREME_DAYS).map(lambda d: Drawn(d.isoformat()))


def _hostile_time(f: fields.DateTime, name: str) -> st.SearchStrategy[Drawn]:
    naive = st.datetimes().map(lambda t: Drawn(t.isoformat(), () if isinstance(f, fields.NaiveDateTime)
                                                else (f"{name}: no offset",)))
    bad = st.sampled_from(["2026-03-20T19:30:00+25:00", "2026-03-20 25:00+08:00", "soon", 1774000000]).map(
        _refused(f"{name}: not a time"))
    return naive | bad | made.aware_times().map(Drawn)


def _hostile_dict(f: fields.Dict, name: str, samples: Samples) -> st.SearchStrategy[Drawn]:
    values = made.valid(f.value_field, f"{name}.n", samples) if f.value_field else made.json_values()

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
    low, high = made.bounds(f)
    choices, pattern = made.validator_of(f, validate.OneOf), made.validator_of(f, validate.Regexp)
    return (low <= len(text) <= (high if high is not None else len(text))
            and (choices is None or text in choices.choices)
            and (pattern is None or pattern.regex.fullmatch(text) is not None))
