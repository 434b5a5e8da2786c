"""A worker's wage confirmation at a station, as ingest receives it: a signed wage_confirm record
in the station's chain confirms the line whose shown_hash it names (confirmed_via device, with
the device and seq), once; a stale hash, a locked sheet or another worker's card confirm nothing
but stay as evidence and say so; attendance never counts such a record. And the station's own
endpoint: the worker's open lines on the device's project, with what they are shown."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import (
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    RecordPurpose,
)
from models.gate_event import GateEvent
from models.ids import mask_id_number
from models.wage_line import WageLinesRequest, WageLinesResponse
from server.auth.models import AuditLog
from server.config import Settings
from server.ingest import evidence
from server.ingest import service as ingest_service
from server.ingest.models import GateEventRow
from server.registry import service as registry_service
from server.registry.models import Company, Project, Worker
from server.rosters import service as roster_service
from server.wages import rules, sheets
from server.wages.models import WageLine, WageLineEvent, WageSheet
from tests.factories import (
    make_assignment,
    make_company,
    make_device,
    make_project,
    make_team,
    make_worker,
)
from tests.integration.server.ingest.ingest_support import Gate
from tests.support.payroll_month import attend, card, october

SH = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 10, 25, 10, 0, tzinfo=SH)  # a Sunday nobody attended
LINES = "/api/v1/edge/wage-lines"


class Site:
    """A sent October sheet: 张三 3 days, 李四 2 days; 王五 on the roster, never came."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.project: Project = make_project(session, wage_account_no="110060000000000001")
        self.company: Company = make_company(session, self.project)
        team = make_team(session, self.project, self.company)
        turnstile = make_device(session, self.project)
        self.a: Worker = make_worker(session, "张三", bank_card=card())
        self.b: Worker = make_worker(session, "李四", bank_card=card())
        self.idle: Worker = make_worker(session, "王五", bank_card=card())
        for w, days in ((self.a, 3), (self.b, 2)):
            make_assignment(session, self.project, w, self.company, team, wage_rate_fen=35000)
            attend(session, self.project, turnstile, w, october(days))
        make_assignment(session, self.project, self.idle, self.company, team)
        self.sheet: WageSheet = sheets.build_sheet(
            session,
            project_id=self.project.id,
            company_id=self.company.id,
            period="2026-10",
            user=None,
        )
        sheets.send_sheet(session, self.sheet, user=None)
        session.flush()

    def line(self, worker: Worker) -> WageLine:
        line = self.session.scalar(
            select(WageLine).where(
                WageLine.sheet_id == self.sheet.id, WageLine.worker_id == worker.id
            )
        )
        assert line is not None
        self.session.refresh(line)
        return line


@pytest.fixture
def site(session: Session) -> Site:
    return Site(session)


@pytest.fixture
def station(client: TestClient, session: Session, site: Site) -> Gate:
    return Gate.provision(client, session, make_device(session, site.project))


def confirmation(
    station: Gate, seq: int, worker: Worker, subject_hash: str | None, **fields: Any
) -> GateEvent:
    values: dict[str, Any] = {
        "device_time": AT + dt.timedelta(minutes=seq),
        "direction": Direction.IN,
        "mode": GateMode.CARD_AND_FACE,
        "credential": CredentialKind.ID_CARD,
        "credential_ref": mask_id_number(worker.id_number),
        "worker_id": worker.id,
        "result": GateResult.GRANTED,
        "face_score": 0.31,
        "purpose": RecordPurpose.WAGE_CONFIRM,
        "subject_hash": subject_hash,
    }
    values.update(fields)
    return station.event(seq, **values)


def upload(station: Gate, *events: GateEvent) -> dict[str, Any]:
    r = station.upload(list(events))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def history(session: Session, line: WageLine) -> list[WageLineEvent]:
    return list(
        session.scalars(
            select(WageLineEvent).where(WageLineEvent.line_id == line.id).order_by(WageLineEvent.id)
        )
    )


def chain_intact(session: Session, station: Gate) -> bool:
    session.expire_all()
    return ingest_service.verify_chain(session, station.device.id).intact


class TestConfirms:
    def test_the_signed_record_confirms_the_line(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        line = site.line(site.a)
        ev = confirmation(station, 1, site.a, line.shown_hash)
        ack = upload(station, ev)
        assert (ack["inserted"], ack["highest_contiguous_seq"], ack["errors"]) == (1, 1, [])
        line = site.line(site.a)
        assert line.state == rules.LineState.CONFIRMED.value
        assert (line.confirmed_via, line.confirmed_device, line.confirmed_seq) == (
            "device",
            station.code,
            1,
        )
        assert line.confirmed_hash == line.shown_hash
        assert line.confirmed_at == AT + dt.timedelta(minutes=1)  # the device's time
        confirm = history(session, line)[-1]
        assert (confirm.action, confirm.via, confirm.device_code, confirm.device_seq) == (
            "confirm",
            "device",
            station.code,
            1,
        )
        assert confirm.detail == {"event_hash": ev.hash, "credential": "id_card+face"}
        row = session.scalar(select(GateEventRow).where(GateEventRow.hash == ev.hash))
        assert row is not None
        assert (row.purpose, row.subject_hash) == (RecordPurpose.WAGE_CONFIRM, line.shown_hash)
        assert chain_intact(session, station)

    def test_card_and_confirmer(self, session: Session, site: Site, station: Gate) -> None:
        line = site.line(site.b)
        ref = f"{mask_id_number(site.b.id_number)}|by:4:0A0B0C0D"
        upload(
            station,
            confirmation(
                station,
                1,
                site.b,
                line.shown_hash,
                mode=GateMode.CARD_CONFIRMED,
                credential=CredentialKind.MANUAL,
                credential_ref=ref,
                face_score=None,
            ),
        )
        line = site.line(site.b)
        assert line.confirmed_via == "device"
        assert history(session, line)[-1].detail["credential"] == "card+confirmer"

    def test_re_upload_is_idempotent(self, session: Session, site: Site, station: Gate) -> None:
        line = site.line(site.a)
        ev = confirmation(station, 1, site.a, line.shown_hash)
        upload(station, ev)
        before = len(history(session, line))
        ack = upload(station, ev)
        assert (ack["inserted"], ack["duplicates"]) == (0, 1)
        assert len(history(session, line)) == before
        assert site.line(site.a).confirmed_seq == 1

    def test_among_gate_records_in_one_batch(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        """A kiosk at a gate: passes and a confirmation in one chain, one upload."""
        line = site.line(site.a)
        events = [
            station.event(1, worker_id=site.a.id, device_time=AT),
            confirmation(station, 2, site.a, line.shown_hash),
            station.event(3, worker_id=site.b.id, device_time=AT + dt.timedelta(minutes=5)),
        ]
        ack = upload(station, *events)
        assert ack["inserted"] == 3
        assert site.line(site.a).confirmed_seq == 2
        assert chain_intact(session, station)


class TestConfirmsNothing:
    def test_a_stale_hash(self, session: Session, site: Site, station: Gate) -> None:
        """The station showed version 1; the manager added an item meanwhile (version 2)."""
        line = site.line(site.a)
        old = line.shown_hash
        sheets.add_item(
            session,
            site.sheet,
            line,
            user=None,
            category=rules.ItemCategory.BACK_PAY,
            reason="9 月少算半天",
            amount_fen=17500,
        )
        session.commit()
        ack = upload(station, confirmation(station, 1, site.a, old))
        assert (ack["inserted"], ack["errors"]) == (1, [])  # stored: it is evidence
        line = site.line(site.a)
        assert (line.state, line.version, line.confirmed_via) == ("awaiting", 2, None)
        note = history(session, line)[-1]
        assert (note.action, note.via, note.device_code, note.device_seq) == (
            "not_applied",
            "device",
            station.code,
            1,
        )
        assert note.line_hash == old
        assert note.detail["cause"] == "line_changed"
        assert note.detail["current_hash"] == line.shown_hash
        assert "旧版本" in note.comment
        assert chain_intact(session, station)
        # The worker confirms the new version at the station: that one takes.
        upload(station, confirmation(station, 2, site.a, line.shown_hash))
        assert site.line(site.a).confirmed_seq == 2

    def test_a_locked_sheet(self, session: Session, site: Site, station: Gate) -> None:
        line = site.line(site.a)
        sheets.lock_sheet(session, site.sheet, user=None, reason="月底关账")
        session.commit()
        upload(station, confirmation(station, 1, site.a, line.shown_hash))
        line = site.line(site.a)
        assert line.state == "awaiting"
        assert history(session, line)[-1].detail["cause"] == "not_open"

    def test_another_workers_line_with_my_card(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        """李四's line, the record naming 李四, but 张三's ID card: nothing confirmed."""
        theirs = site.line(site.b)
        ev = confirmation(
            station,
            1,
            site.b,
            theirs.shown_hash,
            credential_ref=mask_id_number(site.a.id_number),
        )
        upload(station, ev)
        theirs = site.line(site.b)
        assert theirs.state == "awaiting"
        assert history(session, theirs)[-1].detail["cause"] == "not_the_worker"
        assert site.line(site.a).state == "awaiting"

    def test_my_card_and_my_id_on_another_workers_hash(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        """The record names me, the hash is 李四's line's: no line of mine has it."""
        theirs = site.line(site.b)
        upload(station, confirmation(station, 1, site.a, theirs.shown_hash))
        assert site.line(site.b).state == "awaiting"
        assert site.line(site.a).state == "awaiting"
        entry = session.scalar(
            select(AuditLog).where(AuditLog.action == "wages.device_confirm_unmatched")
        )
        assert entry is not None
        assert entry.detail["seq"] == 1
        assert entry.detail["worker_id"] == site.a.id
        assert entry.project_id == site.project.id

    def test_a_refused_check_confirms_nothing(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        line = site.line(site.a)
        upload(
            station,
            confirmation(
                station,
                1,
                site.a,
                None,
                result=GateResult.REFUSED,
                reason=DenyReason.FACE_MISMATCH,
            ),
        )
        assert site.line(site.a).state == "awaiting"
        assert len(history(session, line)) == 1  # its send only

    def test_confirmed_on_the_phone_already(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        from server.wages import confirm as wage_confirm

        line = site.line(site.a)
        wage_confirm.confirm(session, line, shown_hash=line.shown_hash, user=None)
        session.commit()
        upload(station, confirmation(station, 1, site.a, line.shown_hash))
        line = site.line(site.a)
        assert line.confirmed_via == "web"
        assert history(session, line)[-1].detail["cause"] == "already_confirmed"

    def test_a_record_off_the_chain(self, session: Session, site: Site, station: Gate) -> None:
        line = site.line(site.a)
        upload(station, station.event(1, worker_id=site.b.id, device_time=AT))
        upload(station, confirmation(station, 2, site.a, line.shown_hash, prev_hash="ee" * 32))
        assert site.line(site.a).state == "awaiting"
        assert history(session, site.line(site.a))[-1].detail["cause"] == "chain_broken"


class TestNeverAttendance:
    def test_a_worker_who_only_confirmed_at_the_kiosk_has_zero_days(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        line = site.line(site.a)
        upload(
            station,
            confirmation(station, 1, site.a, line.shown_hash),  # 张三, on a day he did not come
            confirmation(station, 2, site.idle, "cd" * 32),  # 王五 never came at all
            confirmation(
                station,
                3,
                site.idle,
                "cd" * 32,
                direction=Direction.OUT,
                device_time=AT + dt.timedelta(hours=9),  # as passes, a full day
            ),
            # Neither a refusal nor a confirmed pass on the day board.
            confirmation(
                station, 4, site.idle, None, result=GateResult.REFUSED, reason=DenyReason.NO_FACE
            ),
            confirmation(
                station,
                5,
                site.idle,
                "cd" * 32,
                mode=GateMode.CARD_CONFIRMED,
                credential=CredentialKind.MANUAL,
                credential_ref=f"{mask_id_number(site.idle.id_number)}|by:1:0A0B0C0D",
            ),
        )
        session.expire_all()
        month = roster_service.load_month(
            session, project_id=site.project.id, period="2026-10", company_id=site.company.id
        )
        days = {r.worker_id: r.month.attended_days for r in month.rows}
        assert days[site.idle.id] == 0
        assert days[site.a.id] == 3
        board = roster_service.daily(
            session,
            project_id=site.project.id,
            day=AT.date(),
            now=AT + dt.timedelta(hours=2),
        )
        assert board.present == ()
        assert board.on_site == ()
        assert board.refusals == ()
        assert board.confirmations == ()

    def test_the_evidence_lists_it_as_no_pass(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        line = site.line(site.a)
        upload(station, confirmation(station, 1, site.a, line.shown_hash))
        session.expire_all()
        ev = evidence.worker_month_evidence(
            session,
            project_id=site.project.id,
            worker_id=site.a.id,
            period="2026-10",
            now=AT + dt.timedelta(days=1),
        )
        (record,) = [e for e in ev.events if e.device_id == station.device.id]
        assert record.ok  # re-hashed from the stored columns, purpose and subject included
        assert '"purpose":"wage_confirm"' in record.canonical
        assert record.purpose is RecordPurpose.WAGE_CONFIRM
        assert record.subject_hash == line.shown_hash
        assert [w.kind for w in record.warnings] == ["wage_confirm"]
        assert "不是通行记录" in record.warnings[0].message_zh


class TestStationEndpoint:
    def _ask(self, station: Gate, id_number: str) -> Any:
        return station.post(LINES, WageLinesRequest(id_number=id_number))

    def test_the_workers_open_lines_as_shown(
        self, session: Session, settings: Settings, site: Site, station: Gate
    ) -> None:
        registry_service.set_consent(session, None, site.a, consent=True)
        registry_service.add_face_template(
            session, settings, None, site.a, encoding=[0.01 * i for i in range(128)]
        )
        session.commit()
        r = self._ask(station, site.a.id_number)
        assert r.status_code == 200, r.text
        got = WageLinesResponse.model_validate_json(r.content)
        line = site.line(site.a)
        assert (got.worker_id, got.name, got.id_number_masked) == (
            site.a.id,
            "张三",
            mask_id_number(site.a.id_number),
        )
        assert site.a.id_number not in r.text  # never the full number
        assert not got.face_opt_out
        assert len(got.face_templates) == 1
        (offer,) = got.lines
        assert (offer.line_id, offer.period, offer.state) == (line.id, "2026-10", "awaiting")
        assert offer.shown_hash == line.shown_hash
        assert offer.hash_ok()  # what the station shows is what the hash covers
        assert offer.shown["net_fen"] == line.net_fen
        assert offer.shown["days"] == "3"
        assert offer.shown["bank_card"].count("*") > 0
        assert offer.state_text == ("待确认", "awaiting confirmation")

    def test_declined_face_and_confirmers(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        from server.registry.schemas import GateConfirmerIn

        registry_service.add_confirmer(
            session, None, site.project, data=GateConfirmerIn(card_uid="0A0B0C0D", name="王经理")
        )
        session.commit()
        got = WageLinesResponse.model_validate_json(self._ask(station, site.b.id_number).content)
        assert got.face_opt_out  # no recorded consent
        assert got.face_templates == []
        assert [c.card_uid for c in got.confirmers] == ["0A0B0C0D"]

    def test_only_open_lines_of_sent_sheets(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        from server.wages import confirm as wage_confirm

        line = site.line(site.a)
        wage_confirm.confirm(session, line, shown_hash=line.shown_hash, user=None)
        session.commit()
        got = WageLinesResponse.model_validate_json(self._ask(station, site.a.id_number).content)
        assert got.lines == []
        got = WageLinesResponse.model_validate_json(self._ask(station, site.idle.id_number).content)
        assert got.lines == []  # on the roster, no line: nothing to confirm

    def test_only_the_devices_own_project(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        elsewhere = Gate.provision(client, session, make_device(session, make_project(session)))
        r = elsewhere.post(LINES, WageLinesRequest(id_number=site.a.id_number))
        assert r.status_code == 404
        assert "张三" not in r.text

    def test_signed_and_valid(self, client: TestClient, site: Site, station: Gate) -> None:
        body = WageLinesRequest(id_number=site.a.id_number).model_dump_json()
        r = client.post(LINES, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 401
        r = self._ask(station, "110101198506010000")
        assert r.status_code == 422
        assert r.json()["message_zh"].startswith("请求数据有误")

    def test_reading_is_on_record_and_changes_nothing(
        self, session: Session, site: Site, station: Gate
    ) -> None:
        before = session.scalar(select(func.count()).select_from(WageLineEvent))
        self._ask(station, site.a.id_number)
        assert session.scalar(select(func.count()).select_from(WageLineEvent)) == before
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "wages.station_lines"))
        assert entry is not None
        assert (entry.entity_id, entry.detail["device"]) == (site.a.id, station.code)
        assert entry.detail["lines"] == [site.line(site.a).id]
