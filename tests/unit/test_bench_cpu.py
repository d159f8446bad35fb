"""The benchmarks' CPU accounting: names of processes and CPU per call."""

import os

from bench import cpu


def test_processes_are_named_by_what_they_run():
    assert cpu.label(1, "python -m nameko run --config services/cases/config.yml services.cases.service") == "cases"
    assert cpu.label(1, "python -m nameko run --config bench/echo.yml bench.echo_service") == "echo"
    assert cpu.label(1, "/usr/lib/erlang/erts-13.1.5/bin/beam.smp -W w -MBas ageffcbf") == "rabbitmq"
    assert cpu.label(1, "/root/.cache/linli/ferretdb-e2a46f8c888a -listen 127.0.0.1:1") == "ferretdb"
    assert cpu.label(os.getpid(), "python -m bench.cases_intake") == "bench client"
    assert cpu.label(44, "[kworker/1:1H-kblockd]") == "[kworker/1:1H-kblockd]"


def test_cpu_per_call_sums_processes_of_one_name_and_drops_the_idle():
    before = {1: ("cases", 1.0), 2: ("rabbitmq", 2.0), 3: ("sshd", 5.0)}
    after = {1: ("cases", 1.5), 2: ("rabbitmq", 2.3), 3: ("sshd", 5.0), 4: ("cases", 0.1)}

    spent = cpu.per_call(before, after, calls=100)

    assert list(spent) == ["cases", "rabbitmq"]
    assert round(spent["cases"], 6) == 6.0 and round(spent["rabbitmq"], 6) == 3.0


def test_a_process_whose_name_changed_between_snapshots_counts_only_what_it_used_meanwhile():
    before = {44: ("[kworker/u8:0-writeback]", 30.0)}
    after = {44: ("[kworker/u8:0-ext4-rsv-conversion]", 30.1)}

    spent = cpu.per_call(before, after, calls=100)

    assert list(spent) == ["[kworker/u8:0-ext4-rsv-conversion]"] and round(spent[list(spent)[0]], 6) == 1.0


def test_a_snapshot_includes_this_process():
    assert cpu.snapshot()[os.getpid()][0] == "bench client"
