"""The authorization matrix (tests/integration/server/test_authorization_matrix.py) on each
backend: every API operation with an id or project in its path and every page, as every
principal. A leak is an answer that let a principal see what is not theirs: a 2xx where the
policy table says no, or a denied or allowed answer naming another project's or worker's data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from soak.context import Context
from soak.procs import REPO
from soak.result import CheckResult

MATRIX = "tests/integration/server/test_authorization_matrix.py"
_FIGURES = re.compile(r"authorization matrix: .*?(\d+) requests")
_LEAK = re.compile(r"expected (?:401|403|404|login), got 2\d\d|\bshows \[")
_5XX = re.compile(r": 5\d\d$")


def _problems(junit: Path) -> list[str]:
    lines: list[str] = []
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own pytest's file
        for failure in [*case.iter("failure"), *case.iter("error")]:
            text = (failure.get("message") or "") + "\n" + (failure.text or "")
            lines += [ln.strip(" -'\",") for ln in text.splitlines() if "[" in ln and "]" in ln]
    return lines


def run(ctx: Context) -> list[CheckResult]:
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("authorization matrix, every principal", backend=backend)
        junit = ctx.workdir / f"authz-{backend}.xml"
        env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
        if backend == "postgresql":
            env["TEST_DATABASE_URL"] = ctx.pg_url
        cmd = [sys.executable, "-m", "pytest", MATRIX, "-q", "-s", "-p", "no:cacheprovider"]
        cmd += ["--junitxml", str(junit)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=1800)
        out = done.stdout + done.stderr
        (ctx.workdir / f"authz-{backend}.txt").write_text(out)
        figures = _FIGURES.search(out)
        res.cases = int(figures.group(1)) if figures else 0
        problems = _problems(junit) if junit.exists() else [f"pytest exited {done.returncode}"]
        res.leaks = sum(1 for p in problems if _LEAK.search(p))
        res.server_errors = sum(1 for p in problems if _5XX.search(p))
        other = len(problems) - res.leaks - res.server_errors
        res.failures = other if other or done.returncode == 0 else 1  # one we could not read
        tail = out.strip().splitlines()[-1] if out.strip() else ""
        res.notes.append(f"{res.cases} requests; pytest: {tail}")
        res.notes += problems[:3]
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
