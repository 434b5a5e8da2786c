"""SamIdCardEmulator: a SAM_V reader on a pty, answering the exact GA 467 bytes.

Scriptable from tests (`present`, `remove`, `inject`), loadable from a YAML/JSON card file, and
runnable from `sitegate drivers emulate idcard`. State machine per PROTOCOLS.md §1.6:
NO_CARD -> PRESENT -> SELECTED -> READ_DONE; in READ_DONE find answers 80 until the card is
removed and presented again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from drivers.emulators.pty import PtyEmulator
from drivers.sam_idcard import framer
from drivers.sam_idcard.framer import BadFrame, SamCommand, Sw3
from drivers.sam_idcard.records import (
    LONG_TERM,
    CardType,
    IdCardRecord,
    Nation,
    encode_address,
    encode_base_message,
    make_resident_card,
    synthetic_photo,
)

DEFAULT_SAM_ID = "05.01-20101026-0012345678-0987654321"


class CardState(StrEnum):
    NO_CARD = "no_card"
    PRESENT = "present"
    SELECTED = "selected"
    READ_DONE = "read_done"


class CardFault(StrEnum):
    """Per-card behaviour, as an installer's test card set would contain."""

    NO_CARD = "no_card"  # a gap in a card sequence: nothing in the field
    UNREADABLE = "unreadable"  # read answers 41
    AUTH_FAILED = "auth_failed"  # read answers 32 (SAM failed to authenticate the card)
    WRONG_TYPE = "wrong_type"  # select answers 40
    SELECT_FAILED = "select_failed"  # select answers 81
    BAD_CHECKSUM = "bad_checksum"  # read answer arrives with a corrupted checksum
    NO_RESPONSE = "no_response"  # read is never answered


class WireFault(StrEnum):
    """One-shot faults applied to the next answer frame."""

    SILENT = "silent"
    BAD_CHECKSUM = "bad_checksum"
    GARBAGE = "garbage"  # junk before and after the frame
    SPLIT = "split"  # frame dribbles out in small chunks
    TRUNCATE = "truncate"  # only the first half arrives
    LATE = "late"  # answer after `late_s`
    UNPLUG = "unplug"  # half the frame, then the port vanishes


GARBAGE = b"\x00\xff\x13junk\xaa\xaa\x96"


@dataclass
class EmulatedCard:
    record: IdCardRecord | None
    fault: CardFault | None = None
    newest_address: str | None = None


@dataclass
class _Queued:
    fault: WireFault
    late_s: float = 0.5


@dataclass
class SamEmulatorState:
    """What tests may inspect: commands seen and the state machine."""

    state: CardState = CardState.NO_CARD
    commands: list[SamCommand] = field(default_factory=list)
    reads: int = 0


class SamIdCardEmulator(PtyEmulator):
    name = "sam-idcard"

    def __init__(
        self,
        cards: Sequence[EmulatedCard | IdCardRecord] = (),
        *,
        sam_id: str = DEFAULT_SAM_ID,
        read_delay_s: float = 0.0,
        cycle: bool = False,
        represent_after_s: float = 1.5,
        link: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(link=link)
        self.cards = [c if isinstance(c, EmulatedCard) else EmulatedCard(c) for c in cards]
        self.sam_id = sam_id
        self.read_delay_s = read_delay_s
        self.cycle = cycle
        self.represent_after_s = represent_after_s
        self.sam_sw3: int | None = None  # force every answer's SW3 (e.g. 0x60 self-test failed)
        self.status = SamEmulatorState()
        self._card: EmulatedCard | None = None
        self._index = 0
        self._buf = bytearray()
        self._faults: deque[_Queued] = deque()
        self._lock = threading.RLock()
        self._represent_at: float | None = None
        if self.cards:
            self._present_index(0)

    # --- scripting ----------------------------------------------------------------------

    @property
    def state(self) -> CardState:
        return self.status.state

    def present(self, card: EmulatedCard | IdCardRecord) -> None:
        """Put a card on the reader (replacing any card there)."""
        with self._lock:
            self._card = card if isinstance(card, EmulatedCard) else EmulatedCard(card)
            no_card = self._card.record is None or self._card.fault is CardFault.NO_CARD
            self.status.state = CardState.NO_CARD if no_card else CardState.PRESENT

    def remove(self) -> None:
        with self._lock:
            self._card = None
            self.status.state = CardState.NO_CARD

    def inject(self, fault: WireFault | str, *, times: int = 1, late_s: float = 0.5) -> None:
        with self._lock:
            for _ in range(times):
                self._faults.append(_Queued(WireFault(fault), late_s))

    def _present_index(self, index: int) -> None:
        self._index = index % len(self.cards)
        self.present(self.cards[self._index])

    def on_tick(self) -> None:
        with self._lock:
            if self._represent_at is not None and time.monotonic() >= self._represent_at:
                self._represent_at = None
                self._present_index(self._index + 1)

    # --- protocol -----------------------------------------------------------------------

    def on_bytes(self, data: bytes) -> None:
        for reply in self.handle(data):
            self._send_with_faults(reply)

    def handle(self, data: bytes) -> list[bytes]:
        """Feed received bytes, return the answer frames (pure apart from the state machine)."""
        replies: list[bytes] = []
        with self._lock:
            self._buf += data
            while self._buf:
                if self._buf.startswith(framer.PREAMBLE) and len(self._buf) >= framer.HEADER_LEN:
                    length = int.from_bytes(self._buf[5:7], "big")
                    if length < 3 or length > framer.MAX_LEN:
                        del self._buf[: framer.HEADER_LEN]
                        replies.append(framer.encode_response(Sw3.LENGTH_ERROR))
                        continue
                used, frame = framer.decode_command(self._buf)
                if not used:
                    break
                del self._buf[:used]
                if isinstance(frame, BadFrame):
                    replies.append(framer.encode_response(Sw3.CHECKSUM_ERROR))
                elif frame is not None:
                    self.status.commands.append(frame)
                    reply = self._dispatch(frame)
                    if reply is not None:
                        replies.append(reply)
        return replies

    def _dispatch(self, cmd: SamCommand) -> bytes | None:
        ok = framer.encode_response
        if self.sam_sw3 is not None:
            return ok(self.sam_sw3)
        key = (cmd.cmd, cmd.para)
        card = self._card
        state = self.status.state
        if key in (framer.CMD_RESET_SAM, framer.CMD_SAM_STATUS) or cmd.cmd == framer.CMD_SET_BAUD:
            return ok(Sw3.OK)
        if key == framer.CMD_SET_RF_FRAME:
            return ok(Sw3.OK if len(cmd.data) == 1 else Sw3.LENGTH_ERROR)
        if key == framer.CMD_READ_SAM_ID:
            return ok(Sw3.OK, framer.encode_sam_id(self.sam_id))
        if key == framer.CMD_FIND_CARD:
            if state in (CardState.PRESENT, CardState.SELECTED):
                return ok(Sw3.FIND_OK, bytes(4))
            return ok(Sw3.FIND_FAILED)
        if key == framer.CMD_SELECT_CARD:
            if state not in (CardState.PRESENT, CardState.SELECTED) or card is None:
                return ok(Sw3.SELECT_FAILED)
            if card.fault is CardFault.SELECT_FAILED:
                return ok(Sw3.SELECT_FAILED)
            if card.fault is CardFault.WRONG_TYPE:
                return ok(Sw3.WRONG_CARD_TYPE)
            self.status.state = CardState.SELECTED
            return ok(Sw3.OK, bytes(8))
        if key in (framer.CMD_READ_BASE, framer.CMD_READ_BASE_FP):
            # A repeated read while the card is still selected is served again (host retry).
            if state not in (CardState.SELECTED, CardState.READ_DONE) or card is None or \
                    card.record is None:
                return ok(Sw3.COMMAND_ERROR)
            if self.read_delay_s:
                time.sleep(self.read_delay_s)
            if card.fault is CardFault.UNREADABLE:
                return ok(Sw3.READ_FAILED)
            if card.fault is CardFault.AUTH_FAILED:
                return ok(Sw3.SAM_AUTH_CARD_FAILED)
            if card.fault is CardFault.NO_RESPONSE:
                return None
            self.status.state = CardState.READ_DONE
            self.status.reads += 1
            if self.cycle and len(self.cards) > 1:
                self._represent_at = time.monotonic() + self.represent_after_s
            with_fp = key == framer.CMD_READ_BASE_FP
            frame = ok(Sw3.OK, encode_base_message(card.record, with_fingerprint=with_fp))
            if card.fault is CardFault.BAD_CHECKSUM:
                frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
            return frame
        if key == framer.CMD_READ_NEWEST_ADDRESS:
            if state not in (CardState.SELECTED, CardState.READ_DONE) or card is None:
                return ok(Sw3.COMMAND_ERROR)
            if not card.newest_address:
                return ok(Sw3.NO_CONTENT)  # PROTOCOLS.md §9.4: 91 assumed, unconfirmed
            return ok(Sw3.OK, encode_address(card.newest_address))
        return ok(Sw3.COMMAND_ERROR)

    def _send_with_faults(self, reply: bytes) -> None:
        with self._lock:
            queued = self._faults.popleft() if self._faults else None
        if queued is None:
            self.send(reply)
            return
        fault = queued.fault
        if fault is WireFault.SILENT:
            return
        if fault is WireFault.BAD_CHECKSUM:
            self.send(reply[:-1] + bytes([reply[-1] ^ 0xFF]))
        elif fault is WireFault.GARBAGE:
            self.send(GARBAGE + reply + GARBAGE[:4])
        elif fault is WireFault.SPLIT:
            for i in range(0, len(reply), 7):
                self.send(reply[i : i + 7])
                time.sleep(0.002)
        elif fault is WireFault.TRUNCATE:
            self.send(reply[: len(reply) // 2])
        elif fault is WireFault.LATE:
            time.sleep(queued.late_s)
            self.send(reply)
        elif fault is WireFault.UNPLUG:
            self.send(reply[: len(reply) // 2])
            time.sleep(0.02)
            self.hang_up()


# --- card files ---------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == LONG_TERM or value == "long_term":
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).replace("-", "")
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def card_from_dict(spec: Mapping[str, Any]) -> EmulatedCard:
    """One card entry of a card file (YAML or JSON); see firmware_configs/cards/*.yaml."""
    fault = CardFault(spec["fault"]) if spec.get("fault") else None
    if fault is CardFault.NO_CARD:
        return EmulatedCard(None, fault)
    kind = CardType(spec.get("card_type", CardType.RESIDENT))
    photo = bytes.fromhex(spec["photo_hex"]) if "photo_hex" in spec else None
    newest = spec.get("newest_address")
    if kind is CardType.RESIDENT:
        kwargs: dict[str, Any] = {
            k: spec[k] for k in ("gender", "nation", "address", "issuer") if k in spec
        }
        if "birth_date" in spec:
            kwargs["birth_date"] = _as_date(spec["birth_date"])
        if "valid_from" in spec:
            kwargs["valid_from"] = _as_date(spec["valid_from"])
        if "valid_to" in spec:
            kwargs["valid_to"] = _as_date(spec["valid_to"])
        record = make_resident_card(
            str(spec.get("name", "张三")), str(spec.get("id_number", "110101199003071233")),
            photo=photo, **kwargs,
        )
        return EmulatedCard(record, fault, newest)
    birth = _as_date(spec["birth_date"])
    valid_from = _as_date(spec["valid_from"])
    if birth is None or valid_from is None:
        raise ValueError("birth_date and valid_from are required")
    record = IdCardRecord(
        card_type=kind,
        name=str(spec.get("name", spec.get("english_name", ""))),
        gender=str(spec.get("gender", "1")),
        nation=Nation.of(str(spec["nation"])) if "nation" in spec else None,
        birth_date=birth,
        address=str(spec.get("address", "")),
        id_number=str(spec["id_number"]),
        issuer=str(spec.get("issuer", "")),
        valid_from=valid_from,
        valid_to=_as_date(spec.get("valid_to")),
        photo=photo if photo is not None else synthetic_photo(str(spec["id_number"])),
    )
    extras: dict[str, Any] = {k: str(spec[k]) for k in _EXTRA_FIELDS if k in spec}
    return EmulatedCard(replace(record, **extras), fault, newest)


_EXTRA_FIELDS = (
    "english_name", "nationality", "permit_number", "issue_count", "renewal_count",
    "card_version", "authority_code", "previous_number",
)


def load_card_file(path: str | os.PathLike[str]) -> tuple[list[EmulatedCard], dict[str, Any]]:
    """Cards plus emulator options (sam_id, read_delay_ms, cycle) from a YAML or JSON file."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    doc = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("cards"), list):
        raise ValueError(f"{p}: expected a mapping with a 'cards' list")
    cards = [card_from_dict(c) for c in doc["cards"]]
    options: dict[str, Any] = {}
    if "sam_id" in doc:
        options["sam_id"] = str(doc["sam_id"])
    if "read_delay_ms" in doc:
        options["read_delay_s"] = float(doc["read_delay_ms"]) / 1000
    if "cycle" in doc:
        options["cycle"] = bool(doc["cycle"])
    return cards, options


def emulator_from_file(path: str | os.PathLike[str], **overrides: Any) -> SamIdCardEmulator:
    cards, options = load_card_file(path)
    options.update(overrides)
    return SamIdCardEmulator(cards, **options)

