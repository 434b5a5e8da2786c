"""`python -m soak --quick|--full [--only NAME ...] [--sqlite-only] [--json FILE]`

Runs every reliability check against real processes on loopback, on SQLite and PostgreSQL,
and prints one table. Exit status 1 when any target is missed (0 lost, 0 duplicates, 0 5xx,
0 live cells, 0 leaks, every tampering detected)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from soak.context import DEFAULT_PG_URL, Context
from soak.result import CheckResult

Check = Callable[[Context], list[CheckResult]]


def checks() -> dict[str, Check]:
    """Name → check, in the order they run (imported lazily: each pulls in its own world)."""
    from soak import (
        authz,
        edge_kill,
        fuzz,
        hostile,
        netcut,
        powerloss,
        replay,
        server_kill,
        skew,
        tamper,
    )

    return {
        "edge-kill": edge_kill.run,
        "power-loss": lambda ctx: [powerloss.run(ctx.quick, ctx.workdir / "power-loss")],
        "server-kill": server_kill.run,
        "netcut": netcut.run,
        "replay": replay.run,
        "skew": skew.run,
        "fuzz": fuzz.run,
        "authz": authz.run,
        "hostile": hostile.run,
        "tamper": tamper.run,
    }


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def table(results: list[CheckResult]) -> Table:
    t = Table(title="SiteGate reliability / 可靠性", show_lines=False)
    for col in (
        "check",
        "backend",
        "cycles",
        "lost",
        "dup",
        "cases",
        "5xx",
        "cells",
        "leaks",
        "tampering detected/total",
        "fail",
        "s",
        "ok",
    ):
        t.add_column(col, justify="left" if col in ("check", "backend") else "right")
    for r in results:
        tamper = "-" if r.tampered is None else f"{r.detected}/{r.tampered}"
        t.add_row(
            r.name,
            r.backend,
            _cell(r.cycles),
            _cell(r.lost),
            _cell(r.duplicates),
            _cell(r.cases),
            _cell(r.server_errors),
            _cell(r.live_cells),
            _cell(r.leaks),
            tamper,
            _cell(r.failures),
            f"{r.seconds:.0f}",
            "✓" if r.ok else "✗",
        )
    return t


def run(
    ctx: Context, only: list[str] | None = None, console: Console | None = None
) -> list[CheckResult]:
    console = console or Console()
    results: list[CheckResult] = []
    for name, check in checks().items():
        if only and name not in only:
            continue
        started = time.monotonic()
        console.print(f"[bold]▶ {name}[/] …")
        try:
            rows = check(ctx)
        except Exception as exc:  # a check that crashes is a failed check, with its reason
            rows = [CheckResult(name, failures=1, notes=[f"crashed: {type(exc).__name__}: {exc}"])]
        for row in rows:
            console.print(
                f"  {row.backend}: {'ok' if row.ok else 'FAILED'}; " + "; ".join(row.notes)
            )
        console.print(f"  ({time.monotonic() - started:.0f} s)")
        results += rows
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="the test suite's size (default)")
    size.add_argument(
        "--full", action="store_true", help="≥ 1,000 kill cycles, ≥ 10,000 fuzz cases"
    )
    parser.add_argument("--only", nargs="*", help="run only these checks")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL),
        help="a PostgreSQL server to create throw-away databases on",
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument("--workdir", type=Path, help="keep the logs and databases here")
    args = parser.parse_args(argv)
    console = Console(width=200)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        ctx = Context(
            workdir=workdir,
            quick=not args.full,
            backends=("sqlite",) if args.sqlite_only else ("sqlite", "postgresql"),
            pg_url=args.pg_url,
        )
        started = time.monotonic()
        results = run(ctx, args.only, console)
        console.print(table(results))
        console.print(f"total {time.monotonic() - started:.0f} s")
        if args.json:
            args.json.write_text(
                json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1)
            )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
