"""An outside system loads the demo street, asks who is responsible and reports a case, through `nameko run`
processes."""

import re
import subprocess
import sys
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import load_demo
from tests.conftest import actor_context

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_snippet() -> str:
    section = README.read_text(encoding="utf-8").split("## How another system calls a service", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_snippet_returns_the_chain_of_a_jinchang_unit_and_reports_a_case(cluster_env, cases_process):
    with ClusterRpcProxy({"AMQP_URI": cluster_env["AMQP_URI"]}, context_data=actor_context(), timeout=30) as rpc:
        load_demo(rpc.rosters)

    result = subprocess.run([sys.executable, "-c", readme_snippet()], env=cluster_env, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("unit 1单元") and "康早新 (unit_leader, 138****0004)" in lines[0]
    assert lines[2].startswith("estate 金昌花园") and "'has_property_company': False" in lines[2]
    assert lines[-2].startswith("community 嘉园社区") and "曾玉琴 (secretary" in lines[-2]
    assert lines[-1] == "reported 下水道堵塞 139****1111"
