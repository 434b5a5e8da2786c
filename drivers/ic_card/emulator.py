"""IcCardEmulator: a serial IC-card reader on a pty that "sees" cards on `tap()`."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from drivers.emulators.pty import PtyEmulator
from drivers.ic_card import framer
from drivers.ic_card.framer import ByteOrder, UidFormat
from drivers.ic_card.reader import IcProtocol


class IcCardEmulator(PtyEmulator):
    name = "iccard"

    def __init__(
        self,
        *,
        protocol: IcProtocol = "line",
        uid_format: UidFormat = UidFormat.HEX,
        byte_order: ByteOrder = ByteOrder.MSB,
        terminator: bytes = b"\r\n",
        cycle_uids: Sequence[str] = (),
        cycle_interval_s: float = 3.0,
        link: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(link=link)
        self.protocol = protocol
        self.uid_format = UidFormat(uid_format)
        self.byte_order = ByteOrder(byte_order)
        self.terminator = terminator
        self.cycle_uids = list(cycle_uids)
        self.cycle_interval_s = cycle_interval_s
        self._next_at = time.monotonic() + 0.5
        self._index = 0

    def encode(self, uid_hex: str) -> bytes:
        if self.protocol == "rdm6300":
            return framer.encode_rdm6300(uid_hex)
        text = framer.format_uid(uid_hex, self.uid_format, self.byte_order)
        return text.encode("ascii") + self.terminator

    def tap(self, uid_hex: str, *, repeats: int = 1, interval_s: float = 0.05) -> None:
        """Card held on the reader: it reports `repeats` times, `interval_s` apart."""
        for i in range(repeats):
            if i:
                time.sleep(interval_s)
            self.send(self.encode(uid_hex))

    def send_raw(self, data: bytes) -> None:
        self.send(data)

    def on_bytes(self, data: bytes) -> None:
        """These readers only talk; anything the host sends is ignored."""

    def on_tick(self) -> None:
        if self.cycle_uids and time.monotonic() >= self._next_at:
            self._next_at = time.monotonic() + self.cycle_interval_s
            self.send(self.encode(self.cycle_uids[self._index % len(self.cycle_uids)]))
            self._index += 1
