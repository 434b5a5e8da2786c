"""Fixtures for the driver tests (unit and e2e): golden-frame loader and a leak check (threads,
fds) around every test. Each driver conftest imports them, so both folders keep collecting."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FRAMES = Path(__file__).resolve().parents[1] / "fixtures" / "frames"


def load_hex(path: Path) -> bytes:
    out = bytearray()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("@zeros"):
            out += bytes(int(line.split()[1]))
        elif line:
            out += bytes.fromhex(line)
    return bytes(out)


@pytest.fixture
def golden() -> Callable[[str], bytes]:
    """golden("sam-idcard/find-ok") -> the bytes of tests/fixtures/frames/sam-idcard/find-ok.hex"""
    return lambda name: load_hex(FRAMES / f"{name}.hex")


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def _no_leaks() -> Iterator[None]:
    threads = set(threading.enumerate())
    fds = _fds()
    yield
    deadline = time.monotonic() + 2
    while True:
        extra_threads = [t for t in threading.enumerate() if t not in threads and t.is_alive()]
        extra_fds = _fds() - fds
        if (not extra_threads and not extra_fds) or time.monotonic() > deadline:
            break
        gc.collect()  # only when something is left: a full collection costs ~0.4 s here
        time.sleep(0.02)
    assert not extra_threads, f"test left threads running: {extra_threads}"
    assert not extra_fds, f"test left fds open: {sorted(extra_fds)}"


# The shared face photos (LFW-style, 250x250) the camera tests replay; absent on a bare checkout.
FACES = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "faces"
needs_faces = pytest.mark.skipif(not FACES.is_dir(), reason="shared testdata not present")
