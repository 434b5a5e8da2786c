"""IcSerialReader: card numbers from a serial reader, normalised and debounced."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, Literal

import serial

from drivers.base import ByteTransport, _Closeable
from drivers.errors import DevicePortError, FrameError
from drivers.ic_card import framer
from drivers.ic_card.framer import BadRdmFrame, ByteOrder, UidFormat
from drivers.transport import open_transport

IcProtocol = Literal["line", "rdm6300"]


class Debouncer:
    """Drops a UID repeated within `window_s` of its last sighting.

    Readers repeat a card every few hundred ms while it lies on them; each repeat extends the
    window, so a card held on the reader counts once, and a new tap after a pause counts again.
    """

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._last: str | None = None
        self._seen_at = float("-inf")

    def accept(self, uid: str) -> bool:
        now = self._clock()
        repeat = uid == self._last and now - self._seen_at < self.window_s
        self._last, self._seen_at = uid, now
        return not repeat


class IcCardChecksumError(FrameError):
    code = "iccard.frame_checksum"


class IcSerialReader(_Closeable):
    def __init__(
        self,
        transport: ByteTransport,
        *,
        protocol: IcProtocol = "line",
        uid_format: UidFormat = UidFormat.AUTO,
        byte_order: ByteOrder = ByteOrder.MSB,
        debounce_s: float = 1.0,
    ) -> None:
        self._port: ByteTransport | None = transport
        self.protocol = protocol
        self.uid_format = UidFormat(uid_format)
        self.byte_order = ByteOrder(byte_order)
        self.debouncer = Debouncer(debounce_s)
        self._buf = bytearray()

    @classmethod
    def open(cls, url: str, *, baudrate: int = 9600, **kwargs: Any) -> IcSerialReader:
        return cls(open_transport(url, baudrate=baudrate, timeout=0.05), **kwargs)

    def _next(self) -> str | None:
        """One raw UID (before debounce) from the buffer, or None if incomplete."""
        while self._buf:
            if self.protocol == "rdm6300":
                used, got = framer.decode_rdm6300(self._buf)
                if not used:
                    return None
                del self._buf[:used]
                if isinstance(got, BadRdmFrame):
                    raise IcCardChecksumError(
                        f"RDM6300 帧校验错误: {got.raw.hex(' ')}",
                        f"RDM6300 frame checksum mismatch: {got.raw.hex(' ')}",
                    )
                if got is not None:
                    return framer.normalise(got, UidFormat.HEX, self.byte_order)
            else:
                used, line = framer.decode_line(self._buf)
                if not used:
                    return None
                del self._buf[:used]
                if line is not None:
                    return framer.normalise(line, self.uid_format, self.byte_order)
        return None

    def read_uid(self, timeout_s: float) -> str | None:
        """Next new card's canonical UID; None after `timeout_s` with no new card.

        A malformed line raises IcCardFormatError and is dropped, so the next call goes on.
        """
        if self._port is None:
            raise DevicePortError("IC卡读卡器端口已关闭", "IC-card reader port is closed")
        deadline = time.monotonic() + timeout_s
        while True:
            uid = self._next()
            if uid is not None:
                if self.debouncer.accept(uid):
                    return uid
                continue
            if time.monotonic() >= deadline:
                return None
            try:
                chunk = self._port.read(max(1, self._port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                raise DevicePortError(
                    f"IC卡读卡器端口断开: {exc}", f"IC-card reader port failed: {exc}",
                    code="iccard.port_lost",
                ) from exc
            self._buf += chunk

    def close(self) -> None:
        if self._port is not None:
            with contextlib.suppress(Exception):
                self._port.close()
            self._port = None
