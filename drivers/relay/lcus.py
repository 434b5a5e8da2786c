"""LcusRelay: pulse one channel of an LCUS USB relay (it has no inputs, so no door state)."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import serial

from drivers.base import ByteTransport, _Closeable
from drivers.errors import DevicePortError
from drivers.relay import framer
from drivers.transport import open_transport


class LcusRelay(_Closeable):
    def __init__(self, transport: ByteTransport, *, channel: int = 1) -> None:
        framer.encode(channel, False)  # validates the channel early
        self._port: ByteTransport | None = transport
        self.channel = channel

    @classmethod
    def open(cls, url: str, *, baudrate: int = 9600, **kwargs: Any) -> LcusRelay:
        return cls(open_transport(url, baudrate=baudrate), **kwargs)

    def _write(self, on: bool) -> None:
        if self._port is None:
            raise DevicePortError("继电器端口已关闭", "relay port is closed")
        try:
            self._port.write(framer.encode(self.channel, on))
        except (serial.SerialException, OSError) as exc:
            raise DevicePortError(
                f"继电器端口写入失败: {exc}", f"writing to the relay failed: {exc}",
                code="relay.port_lost",
            ) from exc

    def on(self) -> None:
        self._write(True)

    def off(self) -> None:
        self._write(False)

    def pulse(self, ms: int) -> None:
        """ON, wait, OFF - OFF is sent even if the wait is interrupted, so no gate stays open."""
        if ms <= 0:
            raise ValueError("pulse must be > 0 ms")
        self.on()
        try:
            time.sleep(ms / 1000)
        finally:
            self.off()

    def door_state(self) -> bool | None:
        return None

    def close(self) -> None:
        if self._port is not None:
            with contextlib.suppress(Exception):
                self._port.close()
            self._port = None
