"""ModbusRelayEmulator: a Modbus RTU relay/IO module on a pty (FC 01, 02, 05, 06, 0F).

Bad CRC is ignored silently (as on a real RS-485 bus); other slaves' addresses are ignored;
out-of-range addresses get exception 02. Inputs are set from tests to model PASS feedback.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from drivers.emulators.pty import PtyEmulator
from drivers.modbus import framer as mb


@dataclass(frozen=True, slots=True)
class CoilChange:
    ts: float
    coil: int
    on: bool


class ModbusRelayEmulator(PtyEmulator):
    name = "modbus-relay"

    def __init__(
        self,
        *,
        device_id: int = 1,
        coils: int = 8,
        inputs: int = 8,
        link: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(link=link)
        self.device_id = device_id
        self.coils = [False] * coils
        self.inputs = [False] * inputs
        self.registers = [0] * 8
        self.history: list[CoilChange] = []
        self.silent = False  # stop answering (cable cut)
        self._buf = bytearray()
        self._lock = threading.Lock()

    def set_input(self, index: int, active: bool) -> None:
        with self._lock:
            self.inputs[index] = active

    def on_bytes(self, data: bytes) -> None:
        for reply in self.handle(data):
            if not self.silent:
                self.send(reply)

    def handle(self, data: bytes) -> list[bytes]:
        replies: list[bytes] = []
        with self._lock:
            self._buf += data
            while True:
                used, req = mb.decode_request(self._buf)
                if not used:
                    break
                del self._buf[:used]
                if req is not None and req.address == self.device_id:
                    replies.append(self._dispatch(req))
        return replies

    def _dispatch(self, req: mb.RtuRequest) -> bytes:
        fc, body, addr = req.function, req.body, req.address
        if fc in (mb.FC_READ_COILS, mb.FC_READ_DISCRETE_INPUTS):
            start, count = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
            table = self.coils if fc == mb.FC_READ_COILS else self.inputs
            if not 1 <= count <= 2000:
                return mb.exception_reply(addr, fc, mb.EX_ILLEGAL_VALUE)
            if start + count > len(table):
                return mb.exception_reply(addr, fc, mb.EX_ILLEGAL_ADDRESS)
            return mb.bits_reply(addr, fc, table[start : start + count])
        if fc == mb.FC_WRITE_COIL:
            coil, value = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
            if value not in (mb.COIL_ON, mb.COIL_OFF):
                return mb.exception_reply(addr, fc, mb.EX_ILLEGAL_VALUE)
            if coil >= len(self.coils):
                return mb.exception_reply(addr, fc, mb.EX_ILLEGAL_ADDRESS)
            self._set_coil(coil, value == mb.COIL_ON)
            return req.raw  # the normal answer is an exact echo
        if fc == mb.FC_WRITE_COILS:
            start, count = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
            if start + count > len(self.coils):
                return mb.exception_reply(addr, fc, mb.EX_ILLEGAL_ADDRESS)
            packed = body[5:]
            for i in range(count):
                self._set_coil(start + i, bool(packed[i // 8] >> (i % 8) & 1))
            return mb.with_crc(req.raw[:6])
        if fc == mb.FC_WRITE_REGISTER:
            reg = int.from_bytes(body[0:2], "big")
            if reg >= len(self.registers):
                return mb.exception_reply(addr, fc, mb.EX_ILLEGAL_ADDRESS)
            self.registers[reg] = int.from_bytes(body[2:4], "big")
            return req.raw
        return mb.exception_reply(addr, fc, mb.EX_ILLEGAL_FUNCTION)

    def _set_coil(self, coil: int, on: bool) -> None:
        if self.coils[coil] != on:
            self.history.append(CoilChange(time.monotonic(), coil, on))
        self.coils[coil] = on

    def pulses(self, coil: int = 0) -> list[float]:
        with self._lock:
            out: list[float] = []
            start: float | None = None
            for ch in self.history:
                if ch.coil != coil:
                    continue
                if ch.on:
                    start = ch.ts
                elif start is not None:
                    out.append(ch.ts - start)
                    start = None
            return out
