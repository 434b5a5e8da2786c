"""The day board's passes on card + manager confirmation (RULES.md 3): their own anomaly class,
each naming its confirmer by name (one query for the names, not one per row); refused
confirmations name the confirmer too; the raw `|by:` reference never leaves the service."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from models.enums import DenyReason, Direction, GateMode, Role
from models.roster import confirmed_ref
from server.registry.models import GateConfirmer
from server.rosters import service as roster_service
from tests.factories import login, make_user
from tests.integration.server.rosters.conftest import Site
from tests.integration.server.rosters.roster_support import add_event, local

DAY = dt.date(2026, 3, 10)
NOW = local(DAY, 20)


def _confirmer(session: Session, site: Site, name: str, uid: str) -> GateConfirmer:
    c = GateConfirmer(project_id=site.project.id, card_uid=uid, name=name, active=True)
    session.add(c)
    session.flush()
    return c


@pytest.fixture
def board_events(session: Session, site: Site) -> dict[str, object]:
    """Two workers in on confirmation by two confirmers, one refused for self-confirmation, one
    refused because the card offered is no confirmer's, and an ordinary face pass."""
    zhang = _confirmer(session, site, "张经理", "0A0B0C0D")
    li = _confirmer(session, site, "李班长", "0A0B0C0E")
    a, b, c = (
        site.worker(session, "甲工人"),
        site.worker(session, "乙工人"),
        site.worker(session, "丙工人"),
    )
    ok = {"mode": GateMode.CARD_CONFIRMED}
    add_event(session, site.project, site.gate_in, a, local(DAY, 7), Direction.IN, **ok,
              credential_ref=confirmed_ref("C0FFEE01", zhang.id, zhang.card_uid))  # fmt: skip
    add_event(session, site.project, site.gate_in, b, local(DAY, 7, 5), Direction.IN, **ok,
              credential_ref=confirmed_ref("C0FFEE02", li.id, li.card_uid))  # fmt: skip
    add_event(session, site.project, site.gate_in, c, local(DAY, 7, 10), Direction.IN, **ok,
              credential_ref=confirmed_ref("C0FFEE03", zhang.id, zhang.card_uid),
              refused=DenyReason.SELF_CONFIRMATION)  # fmt: skip
    add_event(session, site.project, site.gate_in, c, local(DAY, 7, 11), Direction.IN, **ok,
              credential_ref=confirmed_ref("C0FFEE03", None, "DEADBEEF"),
              refused=DenyReason.NOT_A_CONFIRMER)  # fmt: skip
    add_event(session, site.project, site.gate_in, c, local(DAY, 7, 20), Direction.IN)
    return {"zhang": zhang, "li": li}


class TestDailyConfirmations:
    def test_confirmed_passes_are_listed_with_the_confirmer_name(
        self, session: Session, site: Site, board_events: dict[str, object]
    ) -> None:
        board = roster_service.daily(session, project_id=site.project.id, day=DAY, now=NOW)
        got = [(k.worker.name if k.worker else None, k.confirmer_name) for k in board.confirmations]
        assert got == [("甲工人", "张经理"), ("乙工人", "李班长")]
        # A pass on confirmation is still a pass: it counts as the day's arrival.
        assert board.arrivals == 3

    def test_refused_confirmations_name_the_confirmer_and_use_the_new_reason_texts(
        self, session: Session, site: Site, board_events: dict[str, object]
    ) -> None:
        board = roster_service.daily(session, project_id=site.project.id, day=DAY, now=NOW)
        got = [(r.mode, r.confirmer_name, r.reason_zh, r.reason_en) for r in board.refusals]
        assert got == [
            (GateMode.CARD_CONFIRMED, "张经理", "不能由本人确认",
             "a worker cannot confirm themselves"),
            (GateMode.CARD_CONFIRMED, None, "该卡不是本项目确认人的卡",
             "card is not a gate confirmer's"),
        ]  # fmt: skip

    def test_confirmer_names_cost_one_query_for_the_board(
        self, session: Session, site: Site, board_events: dict[str, object]
    ) -> None:
        statements: list[str] = []

        def seen(conn: Connection, cursor: object, statement: str, *args: object) -> None:
            statements.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            roster_service.daily(session, project_id=site.project.id, day=DAY, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert sum("gate_confirmer" in s for s in statements) == 1

    def test_a_board_without_confirmations_asks_nothing_about_confirmers(
        self, session: Session, site: Site
    ) -> None:
        w = site.worker(session, "甲工人")
        add_event(session, site.project, site.gate_in, w, local(DAY, 7), Direction.IN)
        board = roster_service.daily(session, project_id=site.project.id, day=DAY, now=NOW)
        assert board.confirmations == ()

    def test_the_api_lists_them_without_the_raw_reference(
        self,
        client: TestClient,
        session: Session,
        site: Site,
        board_events: dict[str, object],
    ) -> None:
        manager = make_user(session, Role.SITE_MANAGER, [site.project])
        session.commit()
        r = client.get(
            f"/api/v1/projects/{site.project.id}/rosters/daily",
            params={"day": DAY.isoformat()},
            headers=login(client, manager),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert [k["confirmer_name"] for k in body["confirmations"]] == ["张经理", "李班长"]
        assert [x["confirmer_name"] for x in body["refusals"]] == ["张经理", None]
        assert "|by:" not in r.text
