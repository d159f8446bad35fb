"""CPU time by process, read from /proc, to show where a benchmark's time goes: every
process on the machine is counted, so another load on a shared machine shows up too."""

import os
from collections.abc import Mapping

TICKS = os.sysconf("SC_CLK_TCK")


def label(pid: int, command: str) -> str:
    """A short name: the nameko service module, rabbitmq, ferretdb, or the command itself."""
    if pid == os.getpid():
        return "bench client"
    if command.startswith("["):
        return command
    words = command.split()
    if "nameko" in words and "run" in words:
        module = words[-1].split(".")
        return module[-2] if module[-1] == "service" and len(module) > 1 else module[-1].removesuffix("_service")
    if "beam.smp" in command:
        return "rabbitmq"
    if "ferretdb" in command:
        return "ferretdb"
    return os.path.basename(words[0]) if words else f"pid {pid}"


def stat_name(pid: str) -> str:
    """The kernel's name of a process without a command line (a kernel thread, say)."""
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return f"[{comm.read().strip()}]"
    except OSError:
        return ""


def snapshot() -> dict[int, tuple[str, float]]:
    """Each process's label and the CPU seconds (user + system) it has used so far, by pid."""
    used = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat, open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                fields = stat.read().rsplit(")", 1)[1].split()
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
                command = command or stat_name(entry)
        except OSError:
            continue
        used[int(entry)] = (label(int(entry), command), (int(fields[11]) + int(fields[12])) / TICKS)
    return used


def per_call(before: Mapping, after: Mapping, calls: int, at_least_ms: float = 0.02) -> dict[str, float]:
    """CPU ms per call of each process that used at least `at_least_ms` per call, most first,
    by label (a kernel worker's name changes with its work, so its pid is what is compared)."""
    spent: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        ms = (seconds - before.get(pid, (name, 0.0))[1]) * 1000 / calls
        if ms >= at_least_ms:
            spent[name] = spent.get(name, 0.0) + ms
    return dict(sorted(spent.items(), key=lambda item: -item[1]))


def describe(spent: Mapping[str, float]) -> str:
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items())
    return f"{parts} (total {sum(spent.values()):.2f})"
