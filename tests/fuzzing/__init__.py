"""Hypothesis strategies made from marshmallow schemas, for fuzzing RPCs: an RPC's keyword
arguments, each value valid or hostile, and whether the RPC's contract says such a call must be
refused; and `judge`, which holds one call to the promise.

A value the contract refuses (a wrong type, a number out of range, a string too long, with a NUL
or a lone surrogate, a regular-expression field with a trailing newline or full-width digits, an
unknown field...) carries the reason; a valid value, or one the contract leaves open (an id of
another community), carries none. Rules no field states (a schema's
own validators, the data) may still refuse a call the strategies call valid."""

from tests.fuzzing.drawn import Drawn, Samples, is_refused_text
from tests.fuzzing.judging import Crash, StrayWrite, Tally, fuzz_settings, judge
from tests.fuzzing.valid import arguments, input_schema, unbounded_texts

__all__ = ["Crash", "Drawn", "Samples", "StrayWrite", "Tally", "arguments", "fuzz_settings", "input_schema",
           "is_refused_text", "judge", "unbounded_texts"]
