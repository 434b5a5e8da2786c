"""The monthly pay cycle through the API: build from the roster, items, send, the worker's own
confirmation or dispute, resolve, lock (or lock anyway with a reason), paid by the bank."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import WageKind
from server.wages import sheets
from server.wages.models import WageLineEvent, WageSheet
from tests.factories import (
    login,
    make_assignment,
    make_company,
    make_device,
    make_payment,
    make_worker,
)
from tests.support.payroll_month import attend, card, october
from tests.support.wage_month import Site


def _build(client: TestClient, site: Site, h: dict[str, str]) -> dict[str, object]:
    r = client.post(site.base, json={"company_id": site.company.id, "period": "2026-10"}, headers=h)
    assert r.status_code == 201, r.text
    sheet = client.get(f"{site.base}/{r.json()['id']}", headers=h).json()
    return sheet  # type: ignore[no-any-return]


def _line(sheet: dict[str, object], name: str) -> dict[str, object]:
    return next(x for x in sheet["lines"] if x["name"] == name)  # type: ignore[attr-defined]


def test_the_whole_month(client: TestClient, session: Session) -> None:
    site = Site(session)
    mh = login(client, site.manager)
    sheet = _build(client, site, mh)
    assert sheet["state"] == "draft"
    assert sheet["line_count"] == 2
    a = _line(sheet, "张三")
    assert (a["attended_days"], a["base_fen"], a["net_fen"]) == ("3", 105000, 105000)
    assert a["day_marks"][7:10] == "√√√"  # type: ignore[index]
    sid, lid = sheet["id"], a["id"]

    # Items: overtime added, an advance deducted, piece work as quantity × unit price.
    for body in (
        {"category": "overtime", "reason": "10-09 加班 3 小时", "amount_fen": 15000},
        {"category": "advance", "reason": "10-05 借支", "amount_fen": 20000},
        {
            "category": "piece",
            "reason": "楼板钢筋",
            "quantity": "10.5",
            "unit": "平方米",
            "unit_price_fen": 1001,
        },
    ):
        r = client.post(f"{site.base}/{sid}/lines/{lid}/items", json=body, headers=mh)
        assert r.status_code == 201, r.text
    a = r.json()
    assert (a["gross_fen"], a["deductions_fen"], a["net_fen"]) == (130511, 20000, 110511)

    # A worker does not see a draft.
    wah = login(client, site.wa)
    assert client.get("/api/v1/me/wage-lines", headers=wah).json() == []
    assert client.get(f"/api/v1/me/wage-lines/{lid}", headers=wah).status_code == 404

    assert client.post(f"{site.base}/{sid}/send", headers=mh).json()["state"] == "sent"
    mine = client.get(f"/api/v1/me/wage-lines/{lid}", headers=wah).json()
    assert mine["state"] == "awaiting"
    assert len(mine["items"]) == 3
    shown = mine["shown_hash"]

    # The team leader cannot answer for 张三: the line is not theirs (404, nothing disclosed).
    wbh = login(client, site.wb)
    r = client.post(f"/api/v1/me/wage-lines/{lid}/confirm", json={"shown_hash": shown}, headers=wbh)
    assert r.status_code == 404
    # Nor can the manager (a worker's own act).
    r = client.post(f"/api/v1/me/wage-lines/{lid}/confirm", json={"shown_hash": shown}, headers=mh)
    assert r.status_code == 403

    # An edit after sending sends the line again: the old hash confirms nothing.
    client.post(
        f"{site.base}/{sid}/lines/{lid}/items",
        json={"category": "back_pay", "reason": "9 月少算半天", "amount_fen": 17500},
        headers=mh,
    )
    r = client.post(f"/api/v1/me/wage-lines/{lid}/confirm", json={"shown_hash": shown}, headers=wah)
    assert r.status_code == 409
    assert r.json()["code"] == "wages.line_changed"
    mine = client.get(f"/api/v1/me/wage-lines/{lid}", headers=wah).json()
    assert mine["version"] == 2
    assert mine["shown_hash"] != shown
    r = client.post(
        f"/api/v1/me/wage-lines/{lid}/confirm", json={"shown_hash": mine["shown_hash"]}, headers=wah
    )
    assert r.status_code == 200
    assert r.json()["state"] == "confirmed"
    assert r.json()["confirmed_via"] == "web"

    # 李四 disputes: the days and amount claimed, and why.
    b = _line(client.get(f"{site.base}/{sid}", headers=mh).json(), "李四")
    mine_b = client.get(f"/api/v1/me/wage-lines/{b['id']}", headers=wbh).json()
    r = client.post(
        f"/api/v1/me/wage-lines/{b['id']}/dispute",
        json={
            "shown_hash": mine_b["shown_hash"],
            "comment": "10 月 10 日也上班了",
            "claimed_days": "3",
            "claimed_net_fen": 105000,
        },
        headers=wbh,
    )
    assert r.status_code == 200
    assert r.json()["state"] == "disputed"
    r = client.post(
        f"/api/v1/me/wage-lines/{b['id']}/dispute",
        json={"shown_hash": mine_b["shown_hash"], "comment": "", "claimed_days": "3"},
        headers=wbh,
    )
    assert r.status_code in (409, 422)

    # The inspector sees the dispute, cannot lock or resolve.
    ih = login(client, site.inspector)
    seen = client.get(f"{site.base}/{sid}", headers=ih).json()
    assert _line(seen, "李四")["state"] == "disputed"
    assert client.post(f"{site.base}/{sid}/lock", json={}, headers=ih).status_code == 403

    # Locking with a dispute open needs a reason.
    r = client.post(f"{site.base}/{sid}/lock", json={}, headers=mh)
    assert r.status_code == 409
    assert r.json()["code"] == "wages.unsettled"
    r = client.post(f"{site.base}/{sid}/lines/{b['id']}/resolve", json={"comment": ""}, headers=mh)
    assert r.status_code == 422
    r = client.post(
        f"{site.base}/{sid}/lines/{b['id']}/resolve",
        json={"comment": "闸机记录 10-10 无进出,补卡申请未提交,维持 2 天"},
        headers=mh,
    )
    assert r.status_code == 200
    assert r.json()["state"] == "resolved"
    assert [e["action"] for e in r.json()["history"]] == ["send", "dispute", "resolve"]

    r = client.post(f"{site.base}/{sid}/lock", json={}, headers=mh)
    assert r.status_code == 200
    assert r.json()["state"] == "locked"
    assert r.json()["lock_reason"] is None
    r = client.post(
        f"{site.base}/{sid}/lines/{lid}/items",
        json={"category": "overtime", "reason": "x", "amount_fen": 1},
        headers=mh,
    )
    assert r.status_code == 409
    assert r.json()["code"] == "wages.locked"

    # Paid when the bank's results cover every line.
    make_payment(session, site.project, site.a, period="2026-10", net_yuan=1280)
    assert sheets.settle_paid(session, site.project.id, "2026-10") == 0
    make_payment(session, site.project, site.b, period="2026-10", net_yuan=700)
    assert sheets.settle_paid(session, site.project.id, "2026-10") == 1
    session.flush()
    assert client.get(f"{site.base}/{sid}", headers=mh).json()["state"] == "paid"


def test_lock_anyway_with_a_reason_and_duplicates_refused(
    client: TestClient, session: Session
) -> None:
    site = Site(session)
    mh = login(client, site.manager)
    sheet = _build(client, site, mh)
    r = client.post(
        site.base, json={"company_id": site.company.id, "period": "2026-10"}, headers=mh
    )
    assert r.status_code == 409
    assert r.json()["code"] == "wages.exists"
    client.post(f"{site.base}/{sheet['id']}/send", headers=mh)
    r = client.post(f"{site.base}/{sheet['id']}/lock", json={"reason": "  "}, headers=mh)
    assert r.status_code == 409
    r = client.post(
        f"{site.base}/{sheet['id']}/lock", json={"reason": "工人已返乡,电话确认"}, headers=mh
    )
    assert r.status_code == 200
    assert r.json()["lock_reason"] == "工人已返乡,电话确认"


def test_bad_input_is_a_clear_4xx(client: TestClient, session: Session) -> None:
    site = Site(session)
    mh = login(client, site.manager)
    r = client.post(
        site.base, json={"company_id": site.company.id, "period": "2026-13"}, headers=mh
    )
    assert r.status_code == 422
    other = make_company(session)
    r = client.post(site.base, json={"company_id": other.id, "period": "2026-10"}, headers=mh)
    assert r.status_code in (404, 422)
    sheet = _build(client, site, mh)
    lid = sheet["lines"][0]["id"]  # type: ignore[index]
    for body in (
        {"category": "advance", "reason": "借支", "amount_fen": 10**9},
        {"category": "advance", "reason": "", "amount_fen": 100},
        {"category": "piece", "reason": "x", "quantity": "abc", "unit": "米", "unit_price_fen": 1},
        {"category": "nope", "reason": "x", "amount_fen": 1},
    ):
        r = client.post(f"{site.base}/{sheet['id']}/lines/{lid}/items", json=body, headers=mh)
        assert 400 <= r.status_code < 500, (body, r.text)
        assert "message_zh" in r.json() or "detail" in r.json()


def test_monthly_and_piece_rate_terms(client: TestClient, session: Session) -> None:
    site = Site(session)
    device = make_device(session, site.project)
    m = make_worker(session, "赵六", bank_card=card())
    p = make_worker(session, "钱七", bank_card=card())
    make_assignment(
        session, site.project, m, site.company, wage_kind=WageKind.MONTHLY, wage_rate_fen=930000
    )
    make_assignment(
        session, site.project, p, site.company, wage_kind=WageKind.PIECE, wage_rate_fen=0
    )
    attend(session, site.project, device, m, october(1))
    attend(session, site.project, device, p, october(1))
    sheet = _build(client, site, login(client, site.manager))
    assert _line(sheet, "赵六")["base_fen"] == 930000  # a whole month on the project
    assert _line(sheet, "钱七")["base_fen"] == 0  # piece rate: the items are the pay


def test_history_is_kept(client: TestClient, session: Session) -> None:
    site = Site(session)
    mh = login(client, site.manager)
    sheet = _build(client, site, mh)
    client.post(f"{site.base}/{sheet['id']}/send", headers=mh)
    s = session.scalars(select(WageSheet)).all()
    assert s
    assert session.scalars(select(WageLineEvent)).all()


def test_no_lock_without_the_workers_own_card(client: TestClient, session: Session) -> None:
    """总包代发 pays into the worker's own card: a line with pay and no card blocks the lock
    until the card is registered and the sheet refreshed."""
    site = Site(session)
    site.a.bank_card = None
    session.flush()
    mh = login(client, site.manager)
    sheet = _build(client, site, mh)
    client.post(f"{site.base}/{sheet['id']}/send", headers=mh)
    r = client.post(f"{site.base}/{sheet['id']}/lock", json={"reason": "公示无异议"}, headers=mh)
    assert r.status_code == 422
    assert r.json()["code"] == "wages.no_bank_card"
    assert "张三" in r.json()["message_zh"]
    site.a.bank_card = "6222020200112299999"
    session.flush()
    assert client.post(f"{site.base}/{sheet['id']}/refresh", headers=mh).status_code == 200
    r = client.post(f"{site.base}/{sheet['id']}/lock", json={"reason": "公示无异议"}, headers=mh)
    assert r.status_code == 200
