"""Holding each call to the promise (a structured error that changes nothing, or an answer in
plain JSON), counting the calls per RPC for pytest's terminal summary, and the settings."""

import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from kombu.utils import json as wire_json

from shared.errors import LinliError
from tests.fuzzing.drawn import Drawn, is_refused_text


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
