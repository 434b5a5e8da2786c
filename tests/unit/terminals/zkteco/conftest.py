"""ZKTeco PUSH tests: the drivers' leak check (threads, fds) around every test, a loopback
server and a terminal pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from zk_loopback import NOW, SN, IclockTestServer

from terminals.zkteco_push.emulator import ZkPushTerminal
from tests.support.drivers import _no_leaks

__all__ = ["_no_leaks"]


@pytest.fixture
def iclock() -> Iterator[IclockTestServer]:
    with IclockTestServer() as server:
        yield server


@pytest.fixture
def terminal(iclock: IclockTestServer) -> Iterator[ZkPushTerminal]:
    with ZkPushTerminal(iclock.base_url, SN, clock=lambda: NOW, timeout=10) as term:
        yield term
