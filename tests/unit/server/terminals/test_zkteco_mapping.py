"""server/terminals/zkteco.py: ATTLOG lines to records, queued commands to zk commands, results
back to commands. No database, no HTTP."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from models.enums import CredentialKind, GateMode, GateResult
from server.terminals import zkteco
from server.terminals.models import TerminalCommand
from server.terminals.receipt import line_digest
from terminals.zkteco_push import protocol as zk

SHANGHAI = ZoneInfo("Asia/Shanghai")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00face\xff\xd9"


def _line(pin: str, verify: int, status: int = 0) -> zk.AttLogLine:
    at = dt.datetime(2026, 3, 2, 7, 30, 5)  # noqa: DTZ001 - device wall time, naive by protocol
    return zk.attlog_line(pin, at, status=status, verify=verify)


def test_a_face_line_of_a_known_worker() -> None:
    line = _line("42", zk.VERIFY_FACE)
    got = zkteco.received(line, zone=SHANGHAI, known={42})
    assert got.worker_id == 42
    assert got.credential_ref is None
    assert (got.mode, got.credential, got.result) == (
        GateMode.FACE_ONLY, CredentialKind.FACE, GateResult.GRANTED,
    )  # fmt: skip
    assert got.at == dt.datetime(2026, 3, 1, 23, 30, 5, tzinfo=dt.UTC)  # 07:30 in Shanghai
    assert got.direction is None  # the terminal's registered side of the turnstile
    assert got.ref == line_digest(line.raw)


def test_card_and_unknown_pins_and_the_punch_status_is_not_the_direction() -> None:
    card = zkteco.received(_line("42", zk.VERIFY_CARD, status=1), zone=SHANGHAI, known={42})
    assert (card.mode, card.credential, card.direction) == (
        GateMode.CARD_ONLY, CredentialKind.IC_CARD, None,
    )  # fmt: skip
    stranger = zkteco.received(_line("43", zk.VERIFY_FACE), zone=SHANGHAI, known={42})
    assert stranger.worker_id is None
    assert stranger.credential_ref == "pin:43"
    admin = zkteco.received(_line("A1", zk.VERIFY_FACE, status=4), zone=SHANGHAI, known={42})
    assert admin.worker_id is None
    assert admin.direction is None
    finger = zkteco.received(_line("42", 1), zone=SHANGHAI, known={42})
    assert finger.credential is None


def _cmd(action: str, **payload: str) -> TerminalCommand:
    return TerminalCommand(
        id=7, device_id=1, worker_id=42, pin="42", action=action, payload=payload
    )


def test_an_upsert_with_face_sends_user_then_photo() -> None:
    parts = zkteco.commands_for(_cmd("upsert", name="张三", card="0A1B2C3D", access="face"), JPEG)
    assert parts == [
        zk.UpdateUser(pin="42", name="张三", card="[0A1B2C3D]"),
        zk.UpdateBioPhoto("42", content=JPEG),
    ]
    assert zk.card_number("[0A1B2C3D]") == str(int.from_bytes(bytes.fromhex("0A1B2C3D"), "little"))
    text = zkteco.issued([(_cmd("upsert", access="face"), parts)])
    assert [line.split(":", 2)[1] for line in text.split("\n")] == ["7N0", "7"]


def test_card_only_drops_any_photo_and_delete_removes_the_user() -> None:
    parts = zkteco.commands_for(_cmd("upsert", name="李四", card="", access="card"), None)
    assert parts == [zk.UpdateUser(pin="42", name="李四", card=""), zk.DeleteBioPhoto("42")]
    assert zkteco.commands_for(_cmd("delete"), None) == [
        zk.DeleteBioPhoto("42"),
        zk.DeleteUser("42"),
    ]
    assert zkteco.issued([]) == "OK"


def test_outcomes_close_a_command_on_its_last_part() -> None:
    def result(cmd_id: str, code: int) -> zk.CommandResult:
        return zk.CommandResult(cmd_id, code, "DATA", {})

    got = zkteco.command_outcome(
        [result("7N0", 0), result("7", 0), result("8N0", 0), result("8", -2), result("9N0", 0),
         result("x", 0), result("9" * 20, 0), result("10N0", -10), result("10", 0)]
    )  # fmt: skip
    assert sorted((o.command_id, o.ok, o.return_code) for o in got) == [
        (7, True, 0), (8, False, -2), (10, False, -10),
    ]  # fmt: skip
