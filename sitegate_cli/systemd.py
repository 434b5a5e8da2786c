"""systemd's notify protocol (sd_notify(3)) for `Type=notify` units with `WatchdogSec=`.

The service manager passes a datagram socket in $NOTIFY_SOCKET (a path, or "@name" for an
abstract socket) and, with a watchdog, the interval in $WATCHDOG_USEC. A process says READY=1
once it serves and WATCHDOG=1 while it is healthy; if the pings stop, systemd kills and restarts
it. Outside systemd (no $NOTIFY_SOCKET) every call does nothing. Stdlib only: the protocol is one
datagram of "KEY=value" lines, not worth a dependency."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        # "@name" is Linux's abstract namespace, spelt with a leading NUL byte.
        self._address = "\0" + raw[1:] if raw.startswith("@") else raw
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        # WATCHDOG_PID names the process meant to ping; a child that inherited the variables
        # must not ping on the parent's behalf (sd_watchdog_enabled(3)).
        mine = not pid or pid == str(os.getpid())
        self.watchdog_s: float | None = int(usec) / 1e6 if usec.isdigit() and mine else None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def ping_interval_s(self) -> float | None:
        """How often to send WATCHDOG=1: half the watchdog time, as sd_watchdog_enabled(3)
        advises; None without a watchdog."""
        return self.watchdog_s / 2 if self.watchdog_s else None

    def notify(self, *lines: str) -> None:
        if not self._address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto("\n".join(lines).encode(), self._address)
        except OSError as exc:
            # A lost notification must never stop a gate or the server; systemd acts on it.
            if not self._warned:
                log.warning("sd_notify failed socket=%s error=%s", self._address, exc)
                self._warned = True

    def ready(self, status: str = "") -> None:
        self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> None:
        if self.watchdog_s:
            self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")
