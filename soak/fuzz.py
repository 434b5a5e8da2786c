"""Schemathesis against a live server as every role and as a signed gate (through a proxy that
signs each request over its exact bytes): examples, coverage, fuzzing and stateful phases,
checking that no answer is a 5xx.

Operations that would end the fuzzing principal's own access (signing out, changing or
resetting passwords, sign-in itself: the throttle would rightly block the address) are left
out; everything else in the OpenAPI document is generated against, with real ids in the world.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from models.enums import Role
from soak.context import Context
from soak.gate import SoakGate, seed_gate_world
from soak.procs import REPO, ServerProc, database
from soak.result import CheckResult
from soak.signing_proxy import SigningProxy
from soak.world import Seeded

PASSWORD = "soak-fuzz-password-2026"
EXCLUDE = r"^/api/v1/auth/(token|logout|me/password|users/\{user_id\}/password)$"
EDGE = r"^/api/v1/edge/(events|heartbeat|roster|enrollments)$"


@dataclass(frozen=True)
class Principal:
    name: str
    headers: dict[str, str]
    include: str | None = None
    exclude: str | None = EXCLUDE
    signed: bool = False  # requests go through soak/signing_proxy.py as the gate


def _users(db_url: str, seeded: Seeded) -> None:
    from sqlalchemy.orm import Session

    from server.auth import service as auth_service
    from server.db.session import make_engine
    from server.registry.models import Project

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            project = s.get(Project, seeded.project_id)
            assert project is not None
            worker_id = next(iter(seeded.people.values())).worker_id
            for role, extra in (
                (Role.ADMIN, {}),
                (Role.SITE_MANAGER, {"project_ids": [project.id]}),
                (Role.INSPECTOR, {"region": project.region}),
                (Role.WORKER, {"worker_id": worker_id}),
            ):
                auth_service.create_user(
                    s, username=f"fuzz-{role.value}", password=PASSWORD, role=role, **extra
                )
            s.commit()
    finally:
        engine.dispose()


def _token(url: str, role: Role) -> str:
    r = httpx.post(
        f"{url}/api/v1/auth/token",
        data={"username": f"fuzz-{role.value}", "password": PASSWORD},
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


_CASES = re.compile(r"(\d+)\s+generated")
_FAILED = re.compile(r"(\d+)\s+failed")


def run_schemathesis(
    url: str, who: Principal, max_examples: int, phases: str, report: Path, log: Path
) -> tuple[int, int, str]:
    """Run the CLI; (cases generated, 5xx failures, last lines of its output)."""
    cmd = [str(Path(sys.executable).with_name("schemathesis")), "run", f"{url}/openapi.json"]
    cmd += ["--checks", "not_a_server_error", "--max-examples", str(max_examples)]
    cmd += [
        "--phases",
        phases,
        "--workers",
        "2",
        "--seed",
        "20261202",
    ]
    cmd += ["--report", "junit", "--report-dir", str(report), "--suppress-health-check", "all"]
    cmd += ["--no-color"]
    for name, value in who.headers.items():
        cmd += ["-H", f"{name}: {value}"]
    if who.include:
        cmd += ["--include-path-regex", who.include]
    if who.exclude:
        cmd += ["--exclude-path-regex", who.exclude]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600)
    out = done.stdout + done.stderr
    log.write_text(out)
    cases = sum(int(n) for n in _CASES.findall(out))
    tool_errors = sum(int(n) for n in re.findall(r"Runtime Error: (\d+)", out))
    if tool_errors:  # schemathesis's own failures to build a case, not answers of ours
        log.write_text(out + f"\n[soak] schemathesis runtime errors: {tool_errors}\n")
    failures = _server_errors(report)
    return cases, failures, "\n".join(out.strip().splitlines()[-6:])


def _server_errors(report: Path) -> int:
    """5xx answers, from the JUnit report: one failure element per failing check."""
    total = 0
    for xml in report.glob("*.xml"):
        text = xml.read_text()
        total += len(re.findall(r"Server error|5\d\d [A-Z]", text))
    return total


def run(ctx: Context) -> list[CheckResult]:
    # Quick: one generated case per operation and principal; full: every phase (the coverage
    # phase alone gives thousands per principal), three fuzzed cases per operation.
    examples = ctx.size(1, 3)
    phases = "examples,fuzzing" if ctx.quick else "examples,coverage,fuzzing,stateful"
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("schemathesis, every role + signed gate", backend=backend)
        cases_total, errors_total = 0, 0
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            _users(db_url, seeded)
            server = ServerProc(db_url, log=ctx.workdir / f"fuzz-{backend}.log")
            server.start()
            try:
                gate = SoakGate.provision(seeded, server.url, ctx.workdir / f"fuzz-{backend}-gate")
                gate.close()
                principals = [
                    Principal("gate", {}, include=EDGE, exclude=None, signed=True),
                    Principal("anonymous", {}),
                ]
                for role in (Role.WORKER, Role.INSPECTOR, Role.SITE_MANAGER, Role.ADMIN):
                    principals.append(
                        Principal(
                            role.value, {"Authorization": f"Bearer {_token(server.url, role)}"}
                        )
                    )
                for who in principals:
                    report = ctx.workdir / f"fuzz-{backend}-{who.name}"
                    report.mkdir(exist_ok=True)
                    if who.signed:  # through a proxy that signs as the provisioned gate
                        with SigningProxy(
                            server.url, seeded.device_code, gate.data / "device.key"
                        ) as signer:
                            cases, errors, tail = run_schemathesis(
                                signer.url, who, examples, phases, report, report / "output.txt"
                            )
                        res.notes.append(
                            f"gate: {signer.signed} requests signed, {signer.refused} refused 401"
                        )
                        if signer.signed == 0 or signer.refused > signer.signed // 2:
                            res.failures = (res.failures or 0) + 1  # the fuzzing never got in
                    else:
                        cases, errors, tail = run_schemathesis(
                            server.url, who, examples, phases, report, report / "output.txt"
                        )
                    cases_total += cases
                    errors_total += errors
                    res.notes.append(f"{who.name}: {cases} cases, {errors} 5xx")
                    if cases == 0:
                        res.notes.append(f"{who.name} ran nothing: {tail}")
                        res.failures = (res.failures or 0) + 1
            finally:
                server.stop()
        res.cases, res.server_errors = cases_total, errors_total
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
