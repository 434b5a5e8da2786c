"""SamIdCardReader: find -> select -> read over any byte port, with retries and timeouts."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import serial

from drivers.base import ByteTransport, _Closeable
from drivers.errors import DevicePortError, DeviceTimeoutError, FrameError
from drivers.sam_idcard import framer
from drivers.sam_idcard.framer import BadFrame, SamResponse, SamStatusError, Sw3
from drivers.sam_idcard.records import IdCardRecord, parse_address, parse_base_message
from drivers.transport import open_transport

log = logging.getLogger(__name__)

# SAM says our frame was damaged on the wire: sending it again is the fix.
_RETRY_SW3 = frozenset({Sw3.CHECKSUM_ERROR, Sw3.LENGTH_ERROR})


class SamIdCardReader(_Closeable):
    """GA 467 host side. Either pass an open `transport`, or an `opener` (or both): with an
    opener the reader reopens the port on the next call after the port vanished."""

    def __init__(
        self,
        transport: ByteTransport | None = None,
        *,
        opener: Callable[[], ByteTransport] | None = None,
        command_timeout_s: float = 0.3,
        read_timeout_s: float = 3.0,
        retries: int = 2,
        poll_interval_s: float = 0.1,
        with_fingerprint: bool = False,
        with_newest_address: bool = False,
    ) -> None:
        if transport is None and opener is None:
            raise ValueError("need a transport or an opener")
        self._transport = transport
        self._opener = opener
        self.command_timeout_s = command_timeout_s
        self.read_timeout_s = read_timeout_s
        self.retries = retries
        self.poll_interval_s = poll_interval_s
        self.with_fingerprint = with_fingerprint
        self.with_newest_address = with_newest_address
        self._buf = bytearray()

    @classmethod
    def open(cls, url: str, *, baudrate: int = 115200, **kwargs: Any) -> SamIdCardReader:
        def opener() -> ByteTransport:
            return open_transport(url, baudrate=baudrate, timeout=0.02)

        return cls(opener(), opener=opener, **kwargs)

    # --- transport ----------------------------------------------------------------------

    def _port(self) -> ByteTransport:
        if self._transport is None:
            if self._opener is None:
                raise DevicePortError("身份证阅读器端口已关闭", "ID-card reader port is closed")
            self._transport = self._opener()
        return self._transport

    def _drop_port(self) -> None:
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.close()
        if self._opener is not None:
            self._transport = None

    def close(self) -> None:
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.close()
        self._transport = None
        self._opener = None

    def _exchange(self, cmd: int, para: int, data: bytes, timeout_s: float) -> SamResponse:
        """One command, one answer; raises typed errors, never retries."""
        port = self._port()
        request = framer.encode_command(cmd, para, data)
        self._buf.clear()
        try:
            port.reset_input_buffer()  # stale bytes from an earlier timeout are not our answer
            port.write(request)
            deadline = time.monotonic() + timeout_s
            while True:
                used, frame = framer.decode_response(self._buf)
                if used:
                    del self._buf[:used]
                if isinstance(frame, BadFrame):
                    self._buf.clear()
                    raise frame.error()
                if frame is not None:
                    return frame
                if used:
                    continue
                if time.monotonic() >= deadline:
                    break
                chunk = port.read(max(1, port.in_waiting))
                if chunk:
                    self._buf += chunk
        except (serial.SerialException, OSError) as exc:
            self._drop_port()
            raise DevicePortError(
                f"身份证阅读器端口断开: {exc}", f"ID-card reader port failed: {exc}",
                code="idcard.port_lost",
            ) from exc
        got = len(self._buf)
        self._buf.clear()
        what = f"{cmd:02X} {para:02X}"
        if got:
            raise DeviceTimeoutError(
                f"身份证阅读器应答不完整 (命令 {what}, 收到 {got} 字节)",
                f"incomplete answer from the ID-card reader (command {what}, {got} bytes)",
                code="idcard.truncated",
            )
        raise DeviceTimeoutError(
            f"身份证阅读器无应答 (命令 {what}, {timeout_s:.1f} 秒)",
            f"no answer from the ID-card reader (command {what}, {timeout_s:.1f} s)",
            code="idcard.timeout",
        )

    def transact(
        self, cmd: int, para: int, data: bytes = b"", *, timeout_s: float | None = None
    ) -> SamResponse:
        """Send a command and return the answer, retrying wire-level failures `retries` times.

        A non-success SW3 is returned as is (callers decide); `raise_for_status()` makes it an
        error.
        """
        timeout = self.command_timeout_s if timeout_s is None else timeout_s
        attempt = 0
        while True:
            try:
                response = self._exchange(cmd, para, data, timeout)
            except (DeviceTimeoutError, FrameError) as exc:
                if attempt >= self.retries:
                    raise
                log.debug("sam retry cmd=%02X%02X after %s", cmd, para, exc.code)
            else:
                if response.sw3 not in _RETRY_SW3 or attempt >= self.retries:
                    return response
            attempt += 1

    # --- GA 467 commands ----------------------------------------------------------------

    def reset_sam(self) -> None:
        self.transact(*framer.CMD_RESET_SAM).raise_for_status()

    def sam_status(self) -> None:
        """Raises SamStatusError unless the SAM reports 90."""
        self.transact(*framer.CMD_SAM_STATUS).raise_for_status()

    def read_sam_id(self) -> str:
        return framer.parse_sam_id(self.transact(*framer.CMD_READ_SAM_ID).raise_for_status().data)

    def find_card(self) -> bool:
        """True when a card is in the field; False on 80 (no card); other SW3 raise."""
        response = self.transact(*framer.CMD_FIND_CARD)
        if response.sw3 == Sw3.FIND_FAILED:
            return False
        response.raise_for_status()
        return True

    def select_card(self) -> None:
        self.transact(*framer.CMD_SELECT_CARD).raise_for_status()

    def read_base_message(self, *, with_fingerprint: bool | None = None) -> IdCardRecord:
        fp = self.with_fingerprint if with_fingerprint is None else with_fingerprint
        command = framer.CMD_READ_BASE_FP if fp else framer.CMD_READ_BASE
        response = self.transact(*command, timeout_s=self.read_timeout_s).raise_for_status()
        return parse_base_message(response.data, with_fingerprint=fp)

    def read_newest_address(self) -> str | None:
        """The newest appended address (30 03), or None when the card has none (SW3 91)."""
        response = self.transact(*framer.CMD_READ_NEWEST_ADDRESS, timeout_s=self.read_timeout_s)
        if response.sw3 == Sw3.NO_CONTENT:
            return None
        return parse_address(response.raise_for_status().data) or None

    def set_baudrate(self, baudrate: int) -> None:
        """Command 60; the caller reopens the port at the new speed afterwards."""
        self.transact(framer.CMD_SET_BAUD, framer.BAUD_PARAM[baudrate]).raise_for_status()

    def read_card(self, timeout_s: float) -> IdCardRecord | None:
        """Poll find-card until a card arrives (None after `timeout_s`), then select and read."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.find_card():
                self.select_card()
                record = self.read_base_message()
                if self.with_newest_address:
                    try:
                        newest = self.read_newest_address()
                    except SamStatusError:
                        newest = None
                    record = _with_newest(record, newest)
                return record
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(self.poll_interval_s, remaining))


def _with_newest(record: IdCardRecord, newest: str | None) -> IdCardRecord:
    return replace(record, newest_address=newest)
