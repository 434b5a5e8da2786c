"""The demo month's pay, run through the wage sheet as a site would, over the real HTTP API:

the site manager builds each firm's 工资支付表 from the roster, adds overtime, piece work and an
advance, and sends it; workers activate their accounts with one-time codes and confirm on the
phone (one disputes the days), others confirm at the enrollment station with ID card + face (a
signed record in the station's chain); the manager resolves the dispute, locks each sheet (with a
reason where some never answered) and downloads the bank 代发 instruction, which the bank's
result file is then made from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger("sitegate.demo")
PHONE_PASSWORD = "demo-phone-2026"  # noqa: S105 - demo-only accounts, printed on screen


@dataclass
class WageRun:
    sheets: list[dict[str, Any]] = field(default_factory=list)
    nets: dict[int, int] = field(default_factory=dict)  # worker id -> the sheet's net (fen)
    phone_confirmed: list[str] = field(default_factory=list)
    station_confirmed: list[str] = field(default_factory=list)
    disputed: str = ""
    unanswered: int = 0
    files: list[str] = field(default_factory=list)
    total_fen: int = 0


class Api:
    def __init__(self, url: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=60.0)

    @classmethod
    def signed_in(cls, url: str, username: str, password: str) -> Api:
        r = httpx.post(
            f"{url}/api/v1/auth/token",
            data={"username": username, "password": password},
            timeout=30.0,
        )
        r.raise_for_status()
        return cls(url, r.json()["access_token"])

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r.json() if "json" in r.headers.get("content-type", "") else r.content

    def close(self) -> None:
        self.http.close()


def build_and_send(
    api: Api, project_id: int, period: str, firms: Sequence[int]
) -> list[dict[str, Any]]:
    """One sheet per firm with attendance; a few items so the month is not only days × rate."""
    base = f"/api/v1/projects/{project_id}/wage-sheets"
    out = []
    for firm in firms:
        sheet = api.call("POST", base, json={"company_id": firm, "period": period})
        detail = api.call("GET", f"{base}/{sheet['id']}")
        lines = detail["lines"]
        if not lines:
            continue
        items = [
            (0, {"category": "overtime", "reason": f"{period} 加班 6 小时", "amount_fen": 30000}),
            (1, {"category": "advance", "reason": f"{period}-05 借支生活费", "amount_fen": 50000}),
            (
                2,
                {
                    "category": "piece",
                    "reason": "楼板钢筋绑扎",
                    "quantity": "120.5",
                    "unit": "平方米",
                    "unit_price_fen": 800,
                },
            ),
        ]
        for index, body in items:
            if index < len(lines) and lines[index]["base_fen"] >= 50000:
                api.call(
                    "POST", f"{base}/{sheet['id']}/lines/{lines[index]['id']}/items", json=body
                )
        api.call("POST", f"{base}/{sheet['id']}/send")
        out.append(api.call("GET", f"{base}/{sheet['id']}"))
    return out


def phone_answers(
    url: str, manager: Api, project_id: int, people: Sequence[tuple[int, str]], dispute_one: bool
) -> tuple[list[str], str]:
    """Workers get one-time codes, activate on the phone, open their line and confirm it; the
    first disputes instead (one day more than the gates counted)."""
    if not people:
        return [], ""
    issued = manager.call(
        "POST",
        f"/api/v1/projects/{project_id}/activation-codes",
        json={"worker_ids": [w for w, _ in people]},
    )
    codes = {c["worker_id"]: c["code"] for c in issued["issued"]}
    confirmed: list[str] = []
    disputed = ""
    for n, (worker_id, id_number) in enumerate(people):
        code = codes.get(worker_id)
        if code is None:
            continue
        r = httpx.post(
            f"{url}/api/v1/auth/activate",
            json={"id_number": id_number, "code": code, "password": PHONE_PASSWORD},
            timeout=30.0,
        )
        r.raise_for_status()
        phone = Api(url, r.json()["access_token"])
        try:
            for line in phone.call("GET", "/api/v1/me/wage-lines"):
                mine = phone.call("GET", f"/api/v1/me/wage-lines/{line['id']}")
                if n == 0 and dispute_one:
                    days = float(mine["attended_days"]) + 1
                    phone.call(
                        "POST",
                        f"/api/v1/me/wage-lines/{line['id']}/dispute",
                        json={
                            "shown_hash": mine["shown_hash"],
                            "comment": "最后一个周六也在工地加班,闸机没刷上",
                            "claimed_days": f"{days:g}",
                        },
                    )
                    disputed = mine["name"]
                else:
                    phone.call(
                        "POST",
                        f"/api/v1/me/wage-lines/{line['id']}/confirm",
                        json={"shown_hash": mine["shown_hash"]},
                    )
                    confirmed.append(mine["name"])
        finally:
            phone.close()
    return confirmed, disputed


def resolve_and_lock(
    api: Api, project_id: int, sheets: Sequence[dict[str, Any]], root: Path
) -> tuple[int, list[str], int, dict[int, int]]:
    """Disputes resolved with a comment, each sheet locked (with a reason where lines are still
    unanswered) and its 代发 instruction written next to the demo's other files."""
    base = f"/api/v1/projects/{project_id}/wage-sheets"
    unanswered, files, total = 0, [], 0
    nets: dict[int, int] = {}
    for sheet in sheets:
        detail = api.call("GET", f"{base}/{sheet['id']}")
        for line in detail["lines"]:
            if line["state"] == "disputed":
                api.call(
                    "POST",
                    f"{base}/{sheet['id']}/lines/{line['id']}/resolve",
                    json={"comment": "查闸机记录与班组长考勤,当日无进出记录,维持原天数;已当面说明"},
                )
        waiting = sum(1 for x in detail["lines"] if x["state"] == "awaiting")
        unanswered += waiting
        reason = f"{waiting} 名工人发薪前未答复,已在告示牌公示三日无异议" if waiting else None
        api.call("POST", f"{base}/{sheet['id']}/lock", json={"reason": reason})
        body = api.call("GET", f"{base}/{sheet['id']}/disbursement.xlsx")
        path = root / f"代发指令_{sheet['period']}_工资表{sheet['id']}.xlsx"
        path.write_bytes(body)
        files.append(str(path))
        locked = api.call("GET", f"{base}/{sheet['id']}")
        total += locked["net_total_fen"]
        nets |= {x["worker_id"]: x["net_fen"] for x in locked["lines"]}
    return unanswered, files, total, nets


def station_answers(
    station: Any,
    people: Sequence[tuple[str, str, str]],
    *,
    matcher: Any,
    on_done: Callable[[], None] | None = None,
) -> list[str]:
    """Face workers at the enrollment station: ID card on the reader, face in front of the
    camera, "confirm" on the screen. Returns who was confirmed."""
    done = []
    for name, id_number, photo in people:
        try:
            if station.confirm_wages(name, id_number, photo, matcher=matcher):
                done.append(name)
        except Exception as exc:  # a face the camera cannot match stays for the phone
            log.warning("station confirmation failed for %s: %s", name, exc)
        if on_done:
            on_done()
    return done
