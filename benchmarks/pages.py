"""Every page and export over the demo month, timed on the real server as each role reaches it.

    uv run sitegate demo            # once: leaves var/demo/sitegate.sqlite3 (300 workers)
    uv run python benchmarks/pages.py [--db var/demo/sitegate.sqlite3] [--runs 10]

A copy of the demo's database is served by the real app under uvicorn in a child process (the
demo's own server module), on the real clock, so "today" is the demo's live day. Each role
signs in with the demo's password and follows the links a person can click from its landing
page, breadth first, one page per kind (/site/1/workers/17 and /18 are one kind). Every HTML
page is fetched once to warm up and then `--runs` times; every export link (.xlsx, .pdf, .csv)
`--export-runs` times. Wall time per request, client side, over HTTP on 127.0.0.1.

Targets (issue 12): every HTML page p95 <= 300 ms, every export <= 2 s.

The comparison, measured in the same run: the inspector's month page used to re-verify every
gate's whole hash chain on each view, as most attendance systems check integrity (on read); the
script times that full re-verify (server/ingest/service.verify_chain over each gate of the
project) against the page as it is now.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sitegate_cli.demo.server import DemoServer, free_port  # noqa: E402

ROLES = {
    "admin": "demo-admin-2026",
    "manager": "demo-manager-2026",
    "inspector": "demo-inspector-2026",
    "worker": "demo-worker-2026",
}
PAGE_TARGET_MS = 300.0
EXPORT_TARGET_MS = 2000.0
EXPORT = re.compile(r"\.(xlsx|csv|pdf|zip)$")
SKIP = re.compile(r"^/(api|static|docs|lang|logout|openapi)\b|\.(json|png|svg|ico)$")
KIND = re.compile(r"/\d[\d-]*")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.csrf = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if tag == "input" and a.get("name") == "csrf_token":
            self.csrf = a.get("value") or ""


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@dataclass
class Timed:
    role: str
    kind: str
    path: str
    export: bool
    ms: list[float] = field(default_factory=list)
    status: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def met(self) -> bool:
        return self.p95 <= (EXPORT_TARGET_MS if self.export else PAGE_TARGET_MS)


def _sign_in(client: httpx.Client, username: str, password: str) -> str:
    form = _parse(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": form.csrf, "next": "/"},
    )
    if answer.status_code != 303:
        raise SystemExit(f"{username}: sign-in answered {answer.status_code}")
    return str(answer.headers["location"])


def _timed_get(client: httpx.Client, path: str) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    answer = client.get(path)
    return (time.perf_counter() - t0) * 1000, answer


def _paid_month_page(client: httpx.Client, landing: str) -> str:
    """/inspect/{project}/{last month}: the demo pays last month (the running one has no pay)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    found = re.search(r"/inspect/(\d+)/\d{4}-\d{2}", client.get(landing).text)
    if found is None:
        raise SystemExit("the inspector sees no project month")
    first = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    last_month = first - dt.timedelta(days=1)
    return f"/inspect/{found.group(1)}/{last_month:%Y-%m}"


def crawl(base: str, role: str, password: str, runs: int, export_runs: int) -> list[Timed]:
    out: list[Timed] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        landing = _sign_in(client, role, password)
        queue: deque[str] = deque([landing])
        if role == "inspector":  # the month that was paid is the one an inspector opens
            queue.appendleft(_paid_month_page(client, landing))
        kinds: set[str] = set()
        while queue:
            path = queue.popleft()
            kind = KIND.sub("/N", path.split("?")[0])
            if kind in kinds:
                continue
            kinds.add(kind)
            export = bool(EXPORT.search(path.split("?")[0]))
            _, answer = _timed_get(client, path)  # warm-up, and the links
            if answer.is_redirect:  # /site/ → the one project's board: time where it lands
                queue.appendleft(str(answer.headers["location"]))
                continue
            timed = Timed(role, kind, path, export, status=answer.status_code)
            for _ in range(export_runs if export else runs):
                ms, answer = _timed_get(client, path)
                timed.ms.append(ms)
            out.append(timed)
            if export or "text/html" not in answer.headers.get("content-type", ""):
                continue
            for href in _parse(answer.text).hrefs:
                url = urlparse(urldefrag(urljoin(base + path, href))[0])
                if url.netloc != urlparse(base).netloc or SKIP.search(url.path):
                    continue
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return out


def full_reverify_ms(db_url: str) -> tuple[float, int]:
    """The per-view integrity check the month page used to do: every gate's chain, whole."""
    from sqlalchemy import select

    from server.db.session import make_engine, make_sessionmaker, unit_of_work
    from server.ingest import service as ingest_service
    from server.registry.models import Device

    engine = make_engine(db_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            devices = list(session.scalars(select(Device.id)))
            t0 = time.perf_counter()
            for device_id in devices:
                ingest_service.verify_chain(session, device_id)
            return (time.perf_counter() - t0) * 1000, len(devices)
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=REPO / "var" / "demo" / "sitegate.sqlite3")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--export-runs", type=int, default=3)
    ap.add_argument("--roles", default=",".join(ROLES), help="comma-separated: " + ",".join(ROLES))
    args = ap.parse_args()
    roles = {r: ROLES[r] for r in args.roles.split(",")}
    if not args.db.is_file():
        raise SystemExit(
            f"{args.db}: 没有演示数据库,请先运行 `uv run sitegate demo` / "
            "no demo database: run `uv run sitegate demo` first"
        )
    with tempfile.TemporaryDirectory(prefix="sitegate-pages-") as tmp:
        db = Path(tmp) / "sitegate.sqlite3"
        shutil.copyfile(args.db, db)
        db_url = f"sqlite:///{db}"
        server = DemoServer(db_url, free_port(), Path(tmp) / "server.log")
        server.start()
        try:
            t0 = time.monotonic()
            results = [
                t
                for role, password in roles.items()
                for t in crawl(server.url, role, password, args.runs, args.export_runs)
            ]
            took = time.monotonic() - t0
        finally:
            server.stop()
        reverify, gates = full_reverify_ms(db_url)
    report(results, took, reverify, gates)


def report(results: list[Timed], took: float, reverify_ms: float, gates: int) -> None:
    roles = len({t.role for t in results})
    print(f"{len(results)} page kinds over {roles} roles in {took:.0f} s (wall time per request)")
    print(f"{'role':<10} {'kind':<58} {'status':>6} {'p50 ms':>8} {'p95 ms':>8}  target")
    for t in sorted(results, key=lambda t: (t.export, -t.p95)):
        verdict = "met" if t.met else "NOT MET"
        print(
            f"{t.role:<10} {t.kind[:58]:<58} {t.status:>6} {t.p50:>8.1f} {t.p95:>8.1f}  {verdict}"
        )
    pages = [t for t in results if not t.export]
    exports = [t for t in results if t.export]
    bad = [t for t in results if t.status >= 400]
    worst_page = max(pages, key=lambda t: t.p95)
    print()
    print(
        f"HTML pages: {len(pages)}, worst p95 {worst_page.p95:.0f} ms ({worst_page.kind}); "
        f"{sum(not t.met for t in pages)} over {PAGE_TARGET_MS:.0f} ms"
    )
    if exports:
        worst_export = max(exports, key=lambda t: t.p95)
        print(
            f"exports: {len(exports)}, worst {worst_export.p95:.0f} ms ({worst_export.kind}); "
            f"{sum(not t.met for t in exports)} over {EXPORT_TARGET_MS:.0f} ms"
        )
    if bad:
        print(f"answers >= 400: {[(t.role, t.kind, t.status) for t in bad]}")
    month = [t for t in pages if t.role == "inspector" and re.search(r"/inspect/N/N$", t.kind)]
    if month:
        page = month[0].p95
        print(
            f"inspector month page ({month[0].path}) p95 {page:.0f} ms; re-verifying all "
            f"{gates} gates' chains on each view (before, and the common way) "
            f"{reverify_ms:.0f} ms alone: {reverify_ms / page:.1f}x"
        )


if __name__ == "__main__":
    main()
