"""The wage confirmation station with a fake ID-card reader, camera, matcher and IC reader against
an in-memory server: who the worker is first, the line shown only when its hash checks, a signed
wage_confirm record in the outbox, uploaded now or later, never a pass."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from edge_support import AT, FakeIcReader, FakeServer, id_number, template

from drivers.base import Frame
from drivers.sam_idcard.records import IdCardRecord, make_resident_card
from edge.config import GateSettings
from edge.decision import Attempt
from edge.face import FaceProbe, ProbeStatus, as_vector
from edge.outbox import Outbox, verify_chain
from edge.roster_cache import RosterCache
from edge.sync import SyncClient, SyncWorker
from edge.wage_confirm import (
    Station,
    WageConfirmError,
    confirmer_check,
    line_text,
)
from models.device_auth import new_private_key, verify_event_signature
from models.enums import (
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    RecordPurpose,
)
from models.ids import mask_id_number
from models.roster import Confirmer, GatePolicy
from models.wage_line import ItemLabel, WageLineOffer, WageLinesResponse, shown_digest

ID = id_number("19850101", 5)
CARD = make_resident_card("张三", ID)
TEMPLATE = template(5)
CONFIRMER = Confirmer(confirmer_id=3, card_uid="0A0B0C0D", name="王经理")
OWN_CARD = "A1B2C305"


def shown(line_id: int, period: str, net: int = 105000, version: int = 1) -> dict[str, Any]:
    """A line's shown form as server/wages/rules.Shown.canonical() gives it."""
    return {
        "line_id": line_id,
        "version": version,
        "project": "P-001",
        "company": "示例劳务公司",
        "period": period,
        "name": "张三",
        "id_number": mask_id_number(ID),
        "bank_card": "6222********1234",
        "bank": "示例银行",
        "payer_account": "1100********0001",
        "wage_kind": "daily",
        "rate_fen": 35000,
        "days": "3",
        "hours": "27.0",
        "day_marks": "·" * 31,
        "items": [
            {
                "category": "overtime",
                "reason": "10-09 加班 3 小时",
                "amount_fen": 15000,
                "quantity": None,
                "unit": "",
                "unit_price_fen": None,
            },
            {
                "category": "advance",
                "reason": "10-05 借支",
                "amount_fen": 20000,
                "quantity": None,
                "unit": "",
                "unit_price_fen": None,
            },
        ],
        "base_fen": 110000,
        "gross_fen": 125000,
        "deductions_fen": 20000,
        "net_fen": net,
    }


def offer(line_id: int, period: str, **kw: Any) -> WageLineOffer:
    s = shown(line_id, period, **kw)
    return WageLineOffer(
        line_id=line_id,
        sheet_id=1,
        period=period,
        state="awaiting",
        state_text=("待确认", "awaiting confirmation"),
        shown_hash=shown_digest(s),
        shown=s,
        item_labels=[
            ItemLabel(zh="加班", en="overtime"),
            ItemLabel(zh="借支/预支", en="advance", deduction=True),
        ],
        wage_kind_text=("日薪", "daily"),
    )


class WageServer(FakeServer):
    """FakeServer plus the station's endpoint; a stored wage_confirm record naming an open
    line's hash closes it (as server ingest does)."""

    def __init__(self) -> None:
        super().__init__()
        self.face_opt_out = False
        self.policy = GatePolicy()
        self.open: dict[int, WageLineOffer] = {
            1: offer(1, "2026-09"),
            2: offer(2, "2026-10"),
        }
        self.fetches = 0
        base = self.transport.handler  # type: ignore[attr-defined]

        def handle(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/api/v1/edge/wage-lines" and not self.down:
                return self._lines(request)
            response: httpx.Response = base(request)
            if request.url.path == "/api/v1/edge/events" and response.status_code == 200:
                for ev in json.loads(request.content)["events"]:
                    if ev.get("purpose") == "wage_confirm" and ev["result"] == "granted":
                        for line_id, o in list(self.open.items()):
                            if o.shown_hash == ev["subject_hash"]:
                                del self.open[line_id]
            return response

        self.transport = httpx.MockTransport(handle)

    def _lines(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if json.loads(request.content)["id_number"] != ID:
            return httpx.Response(404, json={"code": "not_found", "message_en": "not found"})
        body = WageLinesResponse(
            worker_id=5,
            name="张三",
            id_number_masked=mask_id_number(ID),
            face_opt_out=self.face_opt_out,
            face_templates=[] if self.face_opt_out else [TEMPLATE],
            card_uids=[OWN_CARD],
            confirmers=[CONFIRMER],
            policy=self.policy,
            lines=list(self.open.values()),
        )
        return httpx.Response(200, content=body.model_dump_json())


class OneCard:
    def __init__(self, record: IdCardRecord | None) -> None:
        self.record = record

    def read_card(self, timeout_s: float) -> IdCardRecord | None:
        return self.record

    def close(self) -> None:
        pass


class Camera:
    """A new (blank) frame on every read: the matcher decides who is in it."""

    def __init__(self) -> None:
        self.seq = 0

    def latest(self) -> Frame:
        self.seq += 1
        return Frame(np.zeros((4, 4, 3), dtype=np.uint8), ts=float(self.seq), seq=self.seq)

    def close(self) -> None:
        pass


class Matcher:
    """The face in front of the camera: the worker's own (near their template) or another."""

    def __init__(self, who: str = "worker") -> None:
        self.who = who

    def probe(self, image_bgr: Any) -> FaceProbe:
        if self.who == "nobody":
            return FaceProbe(ProbeStatus.NO_FACE)
        base = TEMPLATE if self.who == "worker" else template(99)
        return FaceProbe(ProbeStatus.OK, as_vector([x + 0.001 for x in base]), face_px=120)


class UI:
    """Says yes to the periods in `confirm`, records what was shown."""

    def __init__(self, confirm: set[str], on_ask: Any = None) -> None:
        self.confirm = confirm
        self.on_ask = on_ask
        self.messages: list[tuple[str, str]] = []
        self.asked: list[tuple[int, str]] = []

    def show(self, zh: str, en: str) -> None:
        self.messages.append((zh, en))

    def ask_confirm(self, offer: WageLineOffer, text: str) -> bool:
        self.asked.append((offer.line_id, text))
        if self.on_ask is not None:
            self.on_ask()
        return offer.period in self.confirm

    def said(self, fragment: str) -> bool:
        return any(fragment in zh or fragment in en for zh, en in self.messages)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[dict[str, Any]]:
    key = new_private_key()
    server = WageServer()
    client = SyncClient("http://x", device_code="STATION-1", key=key, transport=server.transport)
    outbox = Outbox(tmp_path / "o.sqlite3", device_id="STATION-1", key=key)
    roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
    sync = SyncWorker(client, outbox, roster)
    yield {"server": server, "client": client, "outbox": outbox, "sync": sync, "key": key}
    client.close()
    outbox.close()
    roster.close()


def station(rig: dict[str, Any], ui: UI, **kw: Any) -> Station:
    args: dict[str, Any] = {
        "id_reader": OneCard(CARD),
        "client": rig["client"],
        "outbox": rig["outbox"],
        "ui": ui,
        "direction": Direction.IN,
        "gate": GateSettings(face_timeout_s=2.0),
        "camera": Camera(),
        "matcher": Matcher(),
        "ic_reader": FakeIcReader(),
        "upload": rig["sync"].flush_events,
        "now": lambda: AT,
    }
    args.update(kw)
    return Station(**args)


def public_key(rig: dict[str, Any]) -> str:
    from models.device_auth import public_key_hex

    return public_key_hex(rig["key"])


class TestFaceConfirmation:
    def test_the_worker_confirms_one_line_of_two(self, rig: dict[str, Any]) -> None:
        ui = UI({"2026-10"})
        result = station(rig, ui).run()
        outbox: Outbox = rig["outbox"]
        events = outbox.events()
        assert len(events) == 1
        ev = events[0]
        line = offer(2, "2026-10")
        assert (ev.purpose, ev.subject_hash) == (RecordPurpose.WAGE_CONFIRM, line.shown_hash)
        assert (ev.mode, ev.credential, ev.credential_ref) == (
            GateMode.CARD_AND_FACE,
            CredentialKind.ID_CARD,
            mask_id_number(ID),
        )
        assert (ev.result, ev.worker_id, ev.reason) == (GateResult.GRANTED, 5, None)
        assert ev.face_score is not None
        assert ev.face_score < 0.1
        assert verify_chain(events) == []
        assert verify_event_signature(public_key(rig), ev.hash, ev.signature)
        # Shown in order, the refused month skipped; uploaded, and the server closed the line.
        assert [line_id for line_id, _ in ui.asked] == [1, 2]
        assert result.skipped == [1]
        assert result.uploaded
        assert [(c.line_id, c.seq, c.applied) for c in result.confirmed] == [(2, 1, True)]
        assert outbox.stats().depth == 0
        assert ui.said("2026-10 工资单已确认")

    def test_identity_before_any_line_is_shown(self, rig: dict[str, Any]) -> None:
        ui = UI({"2026-10"})
        s = station(rig, ui, matcher=Matcher("someone else"))
        s.gate = GateSettings(face_timeout_s=2.0)
        rig["server"].policy = GatePolicy(confirm_after_face_refusal=False)
        with pytest.raises(WageConfirmError) as exc:
            s.run()
        assert "人证不符" in exc.value.message_zh
        assert ui.asked == []  # nobody's pay was shown
        (ev,) = rig["outbox"].events()
        assert (ev.purpose, ev.result, ev.reason, ev.subject_hash) == (
            RecordPurpose.WAGE_CONFIRM,
            GateResult.REFUSED,
            DenyReason.FACE_MISMATCH,
            None,
        )

    def test_no_face_times_out(self, rig: dict[str, Any]) -> None:
        rig["server"].policy = GatePolicy(confirm_after_face_refusal=False)
        s = station(
            rig, UI(set()), matcher=Matcher("nobody"), gate=GateSettings(face_timeout_s=0.2)
        )
        with pytest.raises(WageConfirmError):
            s.run()
        assert rig["outbox"].events()[0].reason is DenyReason.NO_FACE

    def test_face_refused_then_a_confirmer_vouches(self, rig: dict[str, Any]) -> None:
        ic = FakeIcReader()
        ic.uids.put(CONFIRMER.card_uid)
        result = station(rig, UI({"2026-09"}), matcher=Matcher("someone else"), ic_reader=ic).run()
        refused, confirmed = rig["outbox"].events()
        assert refused.reason is DenyReason.FACE_MISMATCH
        assert (confirmed.mode, confirmed.credential, confirmed.credential_ref) == (
            GateMode.CARD_CONFIRMED,
            CredentialKind.MANUAL,
            f"{mask_id_number(ID)}|by:3:0A0B0C0D",
        )
        assert result.confirmed[0].applied is True


class TestConfirmerPath:
    @pytest.fixture(autouse=True)
    def _declined(self, rig: dict[str, Any]) -> None:
        rig["server"].face_opt_out = True

    def test_card_and_confirmer(self, rig: dict[str, Any]) -> None:
        ic = FakeIcReader()
        ic.uids.put("0a:0b:0c:0d")  # as a reader may give it
        camera = Camera()
        result = station(rig, UI({"2026-09", "2026-10"}), ic_reader=ic, camera=camera).run()
        assert camera.seq == 0  # no face check for a worker who declined it
        events = rig["outbox"].events()
        assert [e.subject_hash for e in events] == [
            offer(1, "2026-09").shown_hash,
            offer(2, "2026-10").shown_hash,
        ]
        assert all(e.mode is GateMode.CARD_CONFIRMED for e in events)
        assert all(e.credential_ref == f"{mask_id_number(ID)}|by:3:0A0B0C0D" for e in events)
        assert all(c.applied for c in result.confirmed)

    @pytest.mark.parametrize(
        ("uid", "reason"),
        [("DEADBEEF", DenyReason.NOT_A_CONFIRMER), (None, DenyReason.CONFIRMATION_TIMEOUT)],
    )
    def test_no_confirmation_no_record_of_a_line(
        self, rig: dict[str, Any], uid: str | None, reason: DenyReason
    ) -> None:
        ic = FakeIcReader()
        if uid:
            ic.uids.put(uid)
        rig["server"].policy = GatePolicy(confirmation_timeout_s=0.3)
        ui = UI({"2026-09"})
        with pytest.raises(WageConfirmError):
            station(rig, ui, ic_reader=ic).run()
        (ev,) = rig["outbox"].events()
        assert (ev.result, ev.reason, ev.subject_hash) == (GateResult.REFUSED, reason, None)
        assert ui.asked == []

    def test_without_an_ic_reader(self, rig: dict[str, Any]) -> None:
        with pytest.raises(WageConfirmError) as exc:
            station(rig, UI(set()), ic_reader=None).run()
        assert "IC" in exc.value.message_zh
        assert rig["outbox"].events() == []


class TestConfirmerCheck:
    def test_rules(self) -> None:
        assert confirmer_check("0a0b0c0d", [CONFIRMER], []) == (CONFIRMER, None)
        assert confirmer_check("FFFF0000", [CONFIRMER], []) == (None, DenyReason.NOT_A_CONFIRMER)
        assert confirmer_check("0A0B0C0D", [CONFIRMER], ["0a0b0c0d"]) == (
            CONFIRMER,
            DenyReason.SELF_CONFIRMATION,
        )


class TestOffline:
    def test_fetched_then_offline_the_record_waits_and_uploads_later(
        self, rig: dict[str, Any]
    ) -> None:
        server: WageServer = rig["server"]

        def outage() -> None:
            server.down = True

        ui = UI({"2026-10"}, on_ask=outage)
        result = station(rig, ui).run()
        outbox: Outbox = rig["outbox"]
        assert not result.uploaded
        assert result.confirmed[0].applied is None
        assert outbox.stats().depth == 1
        assert ui.said("联网后自动上传")
        assert 2 in server.open
        server.down = False
        assert rig["sync"].flush_events() == 1
        assert outbox.stats().depth == 0
        assert 2 not in server.open

    def test_cannot_start_without_the_server(self, rig: dict[str, Any]) -> None:
        rig["server"].down = True
        with pytest.raises(WageConfirmError) as exc:
            station(rig, UI(set())).run()
        assert "无法取得工资单" in exc.value.message_zh
        assert rig["outbox"].events() == []


class TestWhatIsShown:
    def test_a_line_whose_hash_does_not_check_is_not_shown(self, rig: dict[str, Any]) -> None:
        server: WageServer = rig["server"]
        tampered = offer(2, "2026-10")
        tampered.shown["net_fen"] = 999999  # what the hash does not cover
        server.open[2] = tampered
        ui = UI({"2026-09", "2026-10"})
        result = station(rig, ui).run()
        assert [line_id for line_id, _ in ui.asked] == [1]
        assert result.unreadable == [2]
        assert [e.subject_hash for e in rig["outbox"].events()] == [offer(1, "2026-09").shown_hash]
        assert ui.said("不符")

    def test_not_on_the_project(self, rig: dict[str, Any]) -> None:
        other = make_resident_card("路人", id_number("19800101", 9))
        with pytest.raises(WageConfirmError) as exc:
            station(rig, UI(set()), id_reader=OneCard(other)).run()
        assert "不在本项目" in exc.value.message_zh

    def test_no_open_line_no_face_check(self, rig: dict[str, Any]) -> None:
        rig["server"].open.clear()
        camera = Camera()
        ui = UI(set())
        result = station(rig, ui, camera=camera).run()
        assert result.confirmed == []
        assert camera.seq == 0
        assert ui.said("没有待确认的工资单")

    def test_no_card(self, rig: dict[str, Any]) -> None:
        with pytest.raises(WageConfirmError):
            station(rig, UI(set()), id_reader=OneCard(None)).run()

    def test_session_times_out(self, rig: dict[str, Any]) -> None:
        now = [0.0]

        def walk_away() -> None:
            now[0] += 1000.0  # the worker left the station with the line on screen

        s = station(rig, UI({"2026-09", "2026-10"}, on_ask=walk_away), clock=lambda: now[0])
        result = s.run()
        assert result.confirmed == []  # the answer came after the session ended
        assert rig["outbox"].events() == []
        assert s.ui.said("操作超时")  # type: ignore[attr-defined]


class TestLineText:
    def test_chinese_first_every_amount(self) -> None:
        text = line_text(offer(2, "2026-10"))
        lines = text.splitlines()
        assert lines[0] == "2026-10 工资单 / wage line — 示例劳务公司"
        assert "  加班 / overtime: 10-09 加班 3 小时 +¥150.00" in lines
        assert "  借支/预支 / advance: 10-05 借支 −¥200.00" in lines
        assert "实发金额 / net pay: ¥1,050.00" in lines
        assert "收款卡 / paid into: 示例银行 6222********1234" in lines
        assert lines[-1] == f"哈希 / hash: {offer(2, '2026-10').shown_hash}"
        assert ID not in text  # the full ID number is never shown

    def test_piece_work_disputed_and_stale(self) -> None:
        o = offer(2, "2026-10")
        o.shown["items"] = [
            {
                "category": "piece",
                "reason": "楼板钢筋",
                "amount_fen": 10511,
                "quantity": "10.5",
                "unit": "平方米",
                "unit_price_fen": 1001,
            }
        ]
        o = o.model_copy(
            update={
                "state": "disputed",
                "stale": True,
                "item_labels": [ItemLabel(zh="计件", en="piece work")],
            }
        )
        text = line_text(o)
        assert "计件 / piece work: 楼板钢筋 (10.5 平方米 × ¥10.01) +¥105.11" in text
        assert "提出过异议" in text
        assert "考勤已变动" in text


class TestNeverAPass:
    def test_anti_passback_memory_ignores_wage_confirmations(self, tmp_path: Path) -> None:
        from edge.wage_confirm import Identity, record_attempt

        with Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN") as outbox:
            identity = Identity(GateMode.CARD_AND_FACE, CredentialKind.ID_CARD, "110101****1234")
            outbox.append(
                record_attempt(
                    at=AT,
                    direction=Direction.IN,
                    identity=identity,
                    worker_id=5,
                    subject_hash="ab" * 32,
                )
            )
            assert outbox.recent_grants(AT - dt.timedelta(hours=1)) == {}
            outbox.append(
                Attempt(
                    at=AT + dt.timedelta(seconds=5),
                    direction=Direction.IN,
                    mode=GateMode.CARD_AND_FACE,
                    result=GateResult.GRANTED,
                    credential=CredentialKind.ID_CARD,
                    worker_id=5,
                )
            )
            assert set(outbox.recent_grants(AT - dt.timedelta(hours=1))) == {5}


class TestCli:
    def test_without_an_id_card_reader_one_bilingual_line(self, tmp_path: Path) -> None:
        from typer.testing import CliRunner

        from edge.cli import app

        cfg = tmp_path / "station.yaml"
        cfg.write_text(
            "schema_version: 1\ndevice_code: STATION-1\ndirection: in\n"
            "server_url: http://127.0.0.1:9\ndata_dir: data\n",
            encoding="utf-8",
        )
        result = CliRunner().invoke(app, ["wage-confirm", "--config", str(cfg)])
        assert result.exit_code == 1
        assert "没有身份证阅读器" in result.output
        assert "no ID card reader" in result.output
        assert "Traceback" not in result.output
