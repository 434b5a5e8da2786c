"""The parent's handle on a LazyFS mount: start the daemon, cut power, unmount."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[1]


class MountError(RuntimeError):
    """FUSE cannot be mounted here; the message says why."""


class LazyMount:
    """`with LazyMount(backing, mountpoint) as m:` mounts; `m.cut()` drops everything unsynced;
    leaving the block unmounts (after a cut, nothing more reaches the backing directory)."""

    def __init__(self, backing: Path, mountpoint: Path, *, log: Path | None = None) -> None:
        self.backing = backing
        self.mountpoint = mountpoint
        self.log = log or mountpoint.with_name(mountpoint.name + ".lazyfs.log")
        self._proc: subprocess.Popen[str] | None = None

    def mount(self, timeout_s: float = 15.0) -> None:
        if not Path("/dev/fuse").exists():
            raise MountError("/dev/fuse is missing")
        if shutil.which("fusermount3") is None and shutil.which("fusermount") is None:
            raise MountError("fusermount3 is not installed (apt-get install fuse3)")
        self.backing.mkdir(parents=True, exist_ok=True)
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "soak.lazyfs", str(self.backing), str(self.mountpoint)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
        deadline = time.monotonic() + timeout_s
        while not os.path.ismount(self.mountpoint):
            if self._proc.poll() is not None:
                self._proc = None
                raise MountError(f"lazyfs exited: {self._log_tail()}")
            if time.monotonic() > deadline:
                self._stop_process()
                raise MountError(f"lazyfs did not mount in {timeout_s:.0f} s: {self._log_tail()}")
            time.sleep(0.02)

    def cut(self) -> str:
        """Power loss; the daemon's answer, e.g. "cut 2 40960 0" (files, dirty bytes, names)."""
        return self._command("cut")

    def sync(self) -> str:
        return self._command("sync")

    def unmount(self) -> None:
        if self._proc is None:
            return
        tool = shutil.which("fusermount3") or "fusermount"
        for _ in range(50):  # a killed process's open files may take a moment to be released
            done = subprocess.run(
                [tool, "-u", str(self.mountpoint)], capture_output=True, text=True, check=False
            )
            if done.returncode == 0 or not os.path.ismount(self.mountpoint):
                break
            time.sleep(0.1)
        else:
            lazy = [tool, "-uz", str(self.mountpoint)]
            subprocess.run(lazy, capture_output=True, check=False)
        self._stop_process()

    def __enter__(self) -> LazyMount:
        self.mount()
        return self

    def __exit__(
        self, tp: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.unmount()

    def _command(self, word: str) -> str:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise MountError("lazyfs is not mounted")
        proc.stdin.write(word + "\n")
        proc.stdin.flush()
        answer = proc.stdout.readline().strip()
        if not answer.startswith(word):
            raise MountError(f"lazyfs answered {answer!r} to {word!r}: {self._log_tail()}")
        return answer

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-800:].strip() or "(no output)"
        except OSError:
            return "(no log)"


def probe(workdir: Path) -> str | None:
    """None when a LazyFS mount works here, else the reason it does not."""
    try:
        with LazyMount(workdir / "probe-disk", workdir / "probe-mnt") as m:
            (m.mountpoint / "probe").write_bytes(b"x")
    except (MountError, OSError) as exc:
        return str(exc)
    return None
