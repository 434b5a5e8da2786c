"""The worker on a phone: pay cards with the reconciliation's figures, IN/OUT times, the name in
the header, the Art. 34 notice board (edit, worker view, A3 poster with its QR code), and the
考勤/工资有异议 flow between worker, site manager and inspector."""

from __future__ import annotations

import datetime as dt
import re
import zlib

import cv2
import numpy as np
import pytest
import segno
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.enums import Direction, Role
from server.objections.models import Objection
from server.reconciliation import service as recon_service
from server.reconciliation import worker_month
from server.registry.models import Project, Worker
from server.reports import notice_pdf
from tests.factories import make_assignment, make_device, make_project, make_user
from tests.integration.server.rosters.roster_support import add_event, local
from tests.integration.server.web.conftest import NOW, PERIOD, World
from tests.integration.server.web.helpers import page_csrf, web_login

TODAY = NOW.date()


def _days(session: Session, project: Project, worker: Worker, days: list[dt.date]) -> None:
    device = make_device(session, project)
    for day in days:
        add_event(session, project, device, worker, local(day, 7, 12), Direction.IN, flush=False)
        add_event(session, project, device, worker, local(day, 17, 34), Direction.OUT, flush=False)
    session.flush()


def _feb(n: int) -> list[dt.date]:
    return [dt.date(2026, 2, 2) + dt.timedelta(days=i) for i in range(n)]


def _card(html: str, project_id: int, period: str) -> str:
    m = re.search(rf'<article[^>]*id="pay-{project_id}-{period}".*?</article>', html, re.S)
    assert m, f"no card for {period}"
    return m.group(0)


class TestPayCards:
    def test_short_unpaid_and_not_yet_as_the_inspector_sees_them(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        a, x = world.a, world.x
        _days(session, a, x, _feb(10))  # 10 days x ¥350 = ¥3,500 expected; ¥3,000 paid
        _days(session, a, x, [dt.date(2026, 1, 5), dt.date(2026, 1, 6)])  # January: nothing paid
        _days(session, a, x, [dt.date(2026, 3, 2)])  # the running month: no card yet
        late = make_project(session, name="丙项目", pay_day=25)  # February's pay day: 25 March
        make_assignment(session, late, x)
        _days(session, late, x, _feb(3))
        session.commit()
        web_login(client, world.worker_x)
        html = client.get("/me/pay").text

        feb = _card(html, a.id, PERIOD)
        assert "少发" in feb
        assert re.search(r'id="shortfall-\d+-2026-02">\s*少发 <strong>¥500.00</strong>', feb)
        assert "应发 ¥3,500.00 · 实发 ¥3,000.00" in feb
        assert f'href="/me/pay/{a.id}/2026-02"' in feb
        jan = _card(html, a.id, "2026-01")
        assert "未发放" in jan
        assert "¥700.00" in jan  # 2 days x ¥350 owed
        not_yet = _card(html, late.id, PERIOD)
        assert "未到发薪日" in not_yet
        assert "发薪日 2026-03-25" in not_yet
        assert "shortfall" not in not_yet
        assert f'id="pay-{a.id}-2026-03"' not in html
        # newest first
        assert html.index(f'id="pay-{a.id}-2026-02"') < html.index(f'id="pay-{a.id}-2026-01"')

        # The inspector's table says the same of February.
        row = next(
            r
            for r in recon_service.rows(session, project_id=a.id, period=PERIOD, today=TODAY)
            if r.worker_id == x.id
        )
        mine = worker_month.worker_month(
            session, project_id=a.id, worker_id=x.id, period=PERIOD, today=TODAY
        )
        assert mine is not None
        assert (mine.expected_fen, mine.paid_fen, mine.difference_fen, mine.status) == (
            row.expected_fen, row.paid_fen, row.difference_fen, row.status,
        )  # fmt: skip
        assert (row.expected_fen, row.paid_fen, row.status.value) == (350000, 300000, "underpaid")

    def test_paid_in_full(self, client: TestClient, session: Session, world: World) -> None:
        a = world.a
        # ¥3,000 for 9 days at ¥350 = ¥3,150: within the 5 % tolerance, paid in full
        _days(session, a, world.x, _feb(9))
        session.commit()
        web_login(client, world.worker_x)
        feb = _card(client.get("/me/pay").text, a.id, PERIOD)
        assert "已足额发放" in feb
        assert "shortfall" not in feb


def test_header_names_the_worker(client: TestClient, session: Session, world: World) -> None:
    world.worker_x.full_name = "工人"  # as the demo names its account: only the role
    session.commit()
    web_login(client, world.worker_x)
    html = client.get("/me/").text
    who = re.search(r'<span class="who" id="who">([^<]*)</span>', html)
    assert who
    assert who.group(1) == "王小明 · 工人"


def test_days_show_first_in_and_last_out(
    client: TestClient, session: Session, world: World
) -> None:
    a, x = world.a, world.x
    device = make_device(session, a)
    day = dt.date(2026, 2, 3)
    for hh, mm, d in ((7, 5, Direction.IN), (12, 1, Direction.OUT), (13, 2, Direction.IN),
                      (18, 40, Direction.OUT)):  # fmt: skip
        add_event(session, a, device, x, local(day, hh, mm), d)
    add_event(session, a, device, x, local(dt.date(2026, 2, 4), 6, 55), Direction.IN)
    session.commit()
    web_login(client, world.worker_x)
    html = client.get("/me/", params={"period": PERIOD}).text
    row = re.search(r'<tr id="times-2026-02-03">.*?</tr>', html, re.S)
    assert row
    assert re.search(r'class="t-in">07:05<', row.group(0))
    assert re.search(r'class="t-out">18:40', row.group(0))
    row4 = re.search(r'<tr id="times-2026-02-04">.*?</tr>', html, re.S)
    assert row4
    assert "06:55" in row4.group(0)
    assert "未刷出" in row4.group(0)
    assert 'id="times-2026-02-05"' not in html  # no day without a pass


# --- notice board --------------------------------------------------------------------------

BOARD = {
    "officer_name": "李专管",
    "officer_phone": "139 1111 2222",
    "min_wage_month": "2420",
    "min_wage_hour": "26.4",
    "pay_day": "15",
    "inspection_phone": "010-12333000",
    "housing_phone": "010-55597000",
    "arbitration_phone": "010-89150000",
    "legal_aid_phone": "",
}


class TestNoticeBoard:
    def test_unset_board_says_so_and_still_dials(self, client: TestClient, world: World) -> None:
        web_login(client, world.worker_x)
        html = client.get("/me/notice").text
        assert "本项目尚未填写维权信息告示牌" in html
        assert 'href="tel:12333"' in html
        assert 'href="tel:12348"' in html

    def test_manager_edits_worker_dials(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        a = world.a
        web_login(client, world.manager_a)
        token = page_csrf(client, f"/site/{a.id}/notice")
        bad = client.post(
            f"/site/{a.id}/notice",
            data=BOARD | {"pay_day": "32", "officer_phone": "8888", "csrf_token": token},
        )
        assert bad.status_code == 422
        assert "发薪日须为每月 1 至 31 日" in bad.text
        assert "劳资专管员电话" in bad.text
        assert 'value="8888"' in bad.text  # what was typed stays in the form
        r = client.post(
            f"/site/{a.id}/notice", data=BOARD | {"csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 303
        page = client.get(r.headers["location"]).text
        assert "告示牌已保存" in page
        assert 'value="139 1111 2222"' in page
        assert 'value="2420.00"' in page

        client.cookies.clear()
        web_login(client, world.worker_x)
        html = client.get("/me/notice").text
        board = re.search(
            rf'<dl class="notice-board" id="notice-board-{a.id}">.*?</dl>', html, re.S
        )
        assert board
        hrefs = re.findall(r'href="(tel:[^"]+)"', board.group(0))
        assert hrefs == [
            "tel:13911112222", "tel:01012333000", "tel:01055597000", "tel:12333",
            "tel:01089150000", "tel:12348",
        ]  # fmt: skip
        assert "李专管" in board.group(0)
        assert "2,420.00 元/月 / 26.40 元/小时" in board.group(0)
        assert "每月 15 日" in board.group(0)
        assert "本项目尚未填写" not in html

    def test_inspector_and_worker_cannot_edit(self, client: TestClient, world: World) -> None:
        web_login(client, world.inspector_a)
        assert client.get(f"/site/{world.a.id}/notice").status_code == 403
        client.cookies.clear()
        web_login(client, world.worker_x)
        assert client.get(f"/site/{world.a.id}/notice").status_code == 403


def _rects(pdf: bytes) -> list[tuple[float, float, float, float]]:
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        for m in re.finditer(r"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re f", text):
            out.append(tuple(float(v) for v in m.groups()))  # type: ignore[arg-type]
    return out


def test_notice_poster_is_a3_with_the_qr_code(
    client: TestClient, session: Session, world: World
) -> None:
    web_login(client, world.manager_a)
    r = client.get(f"/site/{world.a.id}/notice.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert re.findall(rb"/MediaBox \[([^\]]*)\]", r.content) == [b"0 0 841.89 1190.55"]  # A3
    url = "http://testserver/me/"
    matrix = segno.make_qr(url, error="m").matrix
    size = len(matrix)
    k = 72 / 25.4
    module = notice_pdf.QR_SIZE / size
    x0 = (notice_pdf.PAGE_W - notice_pdf.QR_SIZE) / 2
    y0 = notice_pdf.PAGE_H - notice_pdf.MARGIN - notice_pdf.QR_SIZE - 24
    drawn: set[tuple[int, int]] = set()
    for x, y, w, h in _rects(r.content):
        if abs(-h / k - module) > 0.01:
            continue  # not a module row (the white quiet zone, a rule)
        row = round((notice_pdf.PAGE_H - y / k - y0) / module)
        col = round((x / k - x0) / module)
        drawn |= {(row, col + i) for i in range(round(w / k / module))}
    expected = {(r_, c) for r_, line in enumerate(matrix) for c, v in enumerate(line) if v}
    assert drawn == expected
    # and the drawn modules decode to the workers' page
    scale, border = 8, 4
    img = np.full(((size + 2 * border) * scale,) * 2, 255, dtype=np.uint8)
    for r_, c in drawn:
        y, x = (r_ + border) * scale, (c + border) * scale
        img[y : y + scale, x : x + scale] = 0
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert text == url


# --- objections ----------------------------------------------------------------------------


def _object(client: TestClient, project_id: int, **kw: str) -> object:
    token = page_csrf(client, "/me/pay")
    data = {"project_id": str(project_id), "period": PERIOD, "kind": "pay",
            "text": "二月少发了五百元", "back": "pay", "csrf_token": token} | kw  # fmt: skip
    return client.post("/me/objections", data=data, follow_redirects=False)


def test_objection_flow(client: TestClient, session: Session, world: World) -> None:
    a = world.a
    worker_y = make_user(session, Role.WORKER, worker=world.y)
    session.commit()
    web_login(client, world.worker_x)
    r = _object(client, a.id)
    assert r.status_code == 303  # type: ignore[attr-defined]
    mine = client.get("/me/pay").text
    item = re.search(r'<ul class="objections" id="my-objections">.*?</ul>', mine, re.S)
    assert item
    assert "2026-02 · 工资" in item.group(0)
    assert "二月少发了五百元" in item.group(0)
    assert "待处理" in item.group(0)
    # too long, a month to come, another project: refused
    long = _object(client, a.id, text="字" * 501)
    assert long.status_code == 422  # type: ignore[attr-defined]
    assert "500" in long.text  # type: ignore[attr-defined]
    assert _object(client, a.id, period="2026-04").status_code == 422  # type: ignore[attr-defined]
    assert _object(client, world.b.id).status_code == 404  # type: ignore[attr-defined]
    assert session.query(Objection).count() == 1
    oid = session.query(Objection).one().id

    client.cookies.clear()
    web_login(client, world.manager_a)
    listing = client.get(f"/site/{a.id}/objections").text
    assert "待处理 1 条" in listing
    assert "王小明" in listing
    assert "二月少发了五百元" in listing
    token = page_csrf(client, f"/site/{a.id}/objections")
    empty = client.post(
        f"/site/{a.id}/objections/{oid}/reply", data={"reply": " ", "csrf_token": token}
    )
    assert empty.status_code == 422
    assert "请填写答复" in empty.text
    r2 = client.post(
        f"/site/{a.id}/objections/{oid}/reply",
        data={"reply": "已核实,3 月 20 日补发 500 元", "resolve": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert r2.status_code == 303
    assert "待处理 0 条" in client.get(f"/site/{a.id}/objections").text

    client.cookies.clear()
    web_login(client, world.inspector_a)
    seen = client.get(f"/inspect/{a.id}/objections").text
    assert "二月少发了五百元" in seen
    assert "已核实,3 月 20 日补发 500 元" in seen
    assert "reply-form" not in seen  # the inspector reads
    client.cookies.clear()
    web_login(client, world.inspector_elsewhere)
    assert client.get(f"/inspect/{a.id}/objections").status_code == 404

    client.cookies.clear()
    web_login(client, world.worker_x)
    back = client.get("/me/").text
    assert "已核实,3 月 20 日补发 500 元" in back
    assert "已处理" in back

    # Another worker sees none of it, and cannot object on a project not theirs.
    client.cookies.clear()
    web_login(client, worker_y)
    assert "二月少发了五百元" not in client.get("/me/pay").text
    assert _object(client, a.id).status_code == 404  # type: ignore[attr-defined]
    r3 = _object(client, world.b.id, text="乙项目的异议")
    assert r3.status_code == 303  # type: ignore[attr-defined]
    other = session.query(Objection).filter_by(worker_id=world.y.id).one()

    # Project A's manager cannot answer project B's objection through A's page.
    client.cookies.clear()
    web_login(client, world.manager_a)
    token = page_csrf(client, f"/site/{a.id}/objections")
    assert "乙项目的异议" not in client.get(f"/site/{a.id}/objections").text
    for reply in ("x", ""):
        r4 = client.post(
            f"/site/{a.id}/objections/{other.id}/reply", data={"reply": reply, "csrf_token": token}
        )
        assert r4.status_code == 404
    assert client.get(f"/site/{world.b.id}/objections").status_code == 404


@pytest.mark.parametrize("path", ["/me/", "/me/pay"])
def test_objection_form_on_days_and_pay(client: TestClient, world: World, path: str) -> None:
    web_login(client, world.worker_x)
    html = client.get(path).text
    form = re.search(r'<form method="post" action="/me/objections".*?</form>', html, re.S)
    assert form
    assert f'name="project_id" value="{world.a.id}"' in form.group(0)
    assert 'maxlength="500"' in form.group(0)
    kind = "days" if path == "/me/" else "pay"
    assert f'value="{kind}" checked' in form.group(0)
