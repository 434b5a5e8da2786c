"""PtyPair: an emulator thread on a pty master; software opens the slave path like /dev/ttyUSB0.

The slave stays open here too (in raw mode) so the tty does not hang up between client opens,
and so bytes the emulator writes are never echoed back to it by the line discipline.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Self

from drivers.base import _Closeable

log = logging.getLogger(__name__)


class PtyPair(_Closeable):
    """Owns one pty. `on_bytes(data)` runs in the pair's thread for every chunk the client sends;
    `on_tick()` runs at least every `tick_s` (timers such as auto re-presenting a card)."""

    def __init__(
        self,
        on_bytes: Callable[[bytes], None],
        *,
        on_tick: Callable[[], None] | None = None,
        tick_s: float = 0.02,
        link: str | os.PathLike[str] | None = None,
        name: str = "emulator",
    ) -> None:
        self._on_bytes = on_bytes
        self._on_tick = on_tick
        self._tick_s = tick_s
        self._name = name
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.slave_path = os.ttyname(self._slave)
        self._link = Path(link) if link is not None else None
        if self._link is not None:
            # A stable name like a udev /dev/serial/by-id link; re-pointed on "replug".
            with contextlib.suppress(FileNotFoundError):
                self._link.unlink()
            self._link.symlink_to(self.slave_path)
        self._wake_r, self._wake_w = os.pipe()
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.hung_up = False

    @property
    def path(self) -> str:
        """What client software should open."""
        return str(self._link) if self._link is not None else self.slave_path

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"pty-{self._name}", daemon=True
            )
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master, self._wake_r], [], [], self._tick_s)
            except (OSError, ValueError):
                break
            if self._master in ready:
                try:
                    data = os.read(self._master, 4096)
                except BlockingIOError:
                    data = b""
                except OSError as exc:
                    if exc.errno != errno.EIO:
                        break
                    data = b""
                    time.sleep(self._tick_s)
                if data:
                    self._safe(self._on_bytes, data)
            if self._on_tick is not None and not self._stop.is_set():
                self._safe(self._on_tick)
        if self.hung_up:
            self._close_fds()

    def _safe(self, fn: Callable[..., None], *args: bytes) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("emulator %s handler failed", self._name)

    def write(self, data: bytes) -> None:
        """Send bytes to the client; waits for room rather than blocking the thread forever."""
        with self._write_lock:
            view = memoryview(data)
            while view and not self._stop.is_set() and not self.hung_up:
                try:
                    n = os.write(self._master, view)
                except BlockingIOError:
                    select.select([], [self._master], [], self._tick_s)
                    continue
                except OSError:
                    return
                view = view[n:]

    def hang_up(self) -> None:
        """The port vanishes (USB unplugged): the client's next read fails.

        Safe to call from inside `on_bytes`; the fds are closed by the pair's own thread.
        """
        self.hung_up = True
        self._stop.set()
        os.write(self._wake_w, b"x")
        if threading.current_thread() is not self._thread:
            self._join()
            self._close_fds()

    def _join(self) -> None:
        if self._thread is not None and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def _close_fds(self) -> None:
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self._link is not None and self._link.is_symlink() and \
                os.readlink(self._link) == self.slave_path:
            self._link.unlink()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        self._join()
        self._close_fds()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


class PtyEmulator(_Closeable):
    """Base for device emulators: subclasses implement `on_bytes` (and maybe `on_tick`)."""

    name = "device"

    def __init__(self, *, link: str | os.PathLike[str] | None = None) -> None:
        self._link = link
        self._pty: PtyPair | None = None

    def start(self) -> Self:
        if self._pty is None:
            self._pty = PtyPair(
                self.on_bytes, on_tick=self.on_tick, link=self._link, name=self.name
            ).start()
        return self

    def __enter__(self) -> Self:
        return self.start()

    @property
    def path(self) -> str:
        if self._pty is None:
            raise RuntimeError("emulator not started")
        return self._pty.path

    def on_bytes(self, data: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def on_tick(self) -> None:
        """Periodic hook (runs in the emulator thread)."""

    def send(self, data: bytes) -> None:
        if self._pty is not None:
            self._pty.write(data)

    def hang_up(self) -> None:
        if self._pty is not None:
            self._pty.hang_up()

    def close(self) -> None:
        if self._pty is not None:
            self._pty.close()
            self._pty = None
