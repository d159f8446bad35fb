"""A new user runs the README's walkthrough, unchanged, against `nameko run` processes: the
tree, an appointment, a report taken round the loop by each role, a meeting, statistics and
labels, printing what the README says it prints."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## A community from scratch, role by role"


def walkthrough() -> tuple[str, list[str]]:
    """The section's script and the lines it says the script prints."""
    section = README.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    script = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    printed = re.search(r"It prints:\n\n```\n(.*?)```", section, re.S).group(1)
    return script, printed.splitlines()


def test_the_readme_walkthrough_runs_as_written_and_prints_what_the_readme_shows(cluster_env, cases_process):
    script, expected = walkthrough()

    result = subprocess.run([sys.executable, "-c", script], env=cluster_env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected
