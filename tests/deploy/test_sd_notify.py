"""sitegate_cli/systemd.py speaks sd_notify(3) to a socket the test opens."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegate_cli.systemd import Notifier


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    name = f"@sitegate-test-{uuid.uuid4().hex}"  # abstract: no path-length limit, no file
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name[1:])
    sock.settimeout(2)
    yield sock, name
    sock.close()


class TestNotifier:
    def test_ready_and_watchdog_datagrams(self, listener: tuple[socket.socket, str]) -> None:
        sock, name = listener
        n = Notifier({"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "4000000"})
        assert n.enabled
        assert n.ping_interval_s() == 2.0
        n.ready("serving")
        n.watchdog()
        n.stopping()
        got = [sock.recv(4096).decode() for _ in range(3)]
        assert got == ["READY=1\nSTATUS=serving", "WATCHDOG=1", "STOPPING=1"]

    def test_a_path_socket(self, tmp_path: Path) -> None:
        path = tmp_path / "n.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(str(path))
            sock.settimeout(2)
            Notifier({"NOTIFY_SOCKET": str(path)}).ready()
            assert sock.recv(4096) == b"READY=1"

    def test_no_watchdog_no_ping(self, listener: tuple[socket.socket, str]) -> None:
        sock, name = listener
        n = Notifier({"NOTIFY_SOCKET": name})
        assert n.ping_interval_s() is None
        n.watchdog()
        n.ready()
        assert sock.recv(4096) == b"READY=1"  # the ping was never sent

    def test_watchdog_meant_for_another_process(self, listener: tuple[socket.socket, str]) -> None:
        _, name = listener
        env = {"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
        assert Notifier(env).watchdog_s is None
        mine = {**env, "WATCHDOG_PID": str(os.getpid())}
        assert Notifier(mine).watchdog_s == 1.0

    def test_outside_systemd_does_nothing(self) -> None:
        n = Notifier({})
        assert not n.enabled
        n.ready()
        n.watchdog()

    def test_a_dead_socket_never_raises(self, caplog: pytest.LogCaptureFixture) -> None:
        n = Notifier({"NOTIFY_SOCKET": f"@nobody-{uuid.uuid4().hex}", "WATCHDOG_USEC": "1"})
        n.ready()
        n.watchdog()
        assert sum("sd_notify failed" in r.message for r in caplog.records) == 1
