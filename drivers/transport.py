"""One way to open any byte port: `serial.serial_for_url`.

The same reader then runs on /dev/ttyUSB0, a pty path from an emulator, `socket://host:port`,
`loop://`, or `spy://PORT?file=...` for a hex dump when debugging on site.
"""

from __future__ import annotations

from typing import Any, cast

import serial

from drivers.base import ByteTransport
from drivers.errors import DevicePortError


def open_transport(
    url: str,
    *,
    baudrate: int = 115200,
    bytesize: int = 8,
    parity: str = "N",
    stopbits: float = 1,
    timeout: float | None = 0.1,
    write_timeout: float | None = 1.0,
    **kwargs: Any,
) -> ByteTransport:
    """Open `url` as a serial-like port; a failure becomes a bilingual DevicePortError."""
    try:
        port = serial.serial_for_url(
            url,
            baudrate=baudrate,
            bytesize=bytesize,
            parity=parity,
            stopbits=stopbits,
            timeout=timeout,
            write_timeout=write_timeout,
            **kwargs,
        )
    except (serial.SerialException, OSError, ValueError) as exc:
        raise DevicePortError(
            f"无法打开端口 {url}: {exc}",
            f"cannot open port {url}: {exc}",
            code="driver.port_open",
        ) from exc
    return cast(ByteTransport, port)
