"""LcusEmulator: an LCUS board on a pty; records every contact change with its time."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from drivers.emulators.pty import PtyEmulator
from drivers.relay import framer


@dataclass(frozen=True, slots=True)
class ContactChange:
    ts: float  # monotonic
    channel: int
    on: bool


class LcusEmulator(PtyEmulator):
    name = "lcus"

    def __init__(self, channels: int = 1, *, link: str | os.PathLike[str] | None = None) -> None:
        super().__init__(link=link)
        self.channels = channels
        self.contacts = dict.fromkeys(range(1, channels + 1), False)
        self.history: list[ContactChange] = []
        self.bad_bytes = 0
        self._buf = bytearray()
        self._lock = threading.Lock()

    def on_bytes(self, data: bytes) -> None:
        with self._lock:
            self._buf += data
            while True:
                used, cmd = framer.decode(self._buf)
                if not used:
                    break
                del self._buf[:used]
                if cmd is None:
                    self.bad_bytes += used
                elif cmd.channel in self.contacts:  # a 1-channel board ignores channel 2
                    self.contacts[cmd.channel] = cmd.on
                    self.history.append(ContactChange(time.monotonic(), cmd.channel, cmd.on))

    def pulses(self, channel: int = 1) -> list[float]:
        """Durations (s) of completed ON->OFF pulses on `channel`."""
        with self._lock:
            out: list[float] = []
            start: float | None = None
            for ch in self.history:
                if ch.channel != channel:
                    continue
                if ch.on and start is None:
                    start = ch.ts
                elif not ch.on and start is not None:
                    out.append(ch.ts - start)
                    start = None
            return out

    def wait_for_pulses(self, n: int, channel: int = 1, timeout_s: float = 2.0) -> list[float]:
        deadline = time.monotonic() + timeout_s
        while len(got := self.pulses(channel)) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return got
