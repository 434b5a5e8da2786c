"""`service.gc_paused`: the collector is off inside and restored as it was, also on errors."""

from __future__ import annotations

import gc
import threading

import pytest

from server.rosters.service import gc_paused


@pytest.fixture(autouse=True)
def _collector_on() -> object:
    was = gc.isenabled()
    gc.enable()
    yield None
    if not was:
        gc.disable()


def test_off_inside_and_back_on_after() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_keeps_it_off_until_the_outer_leaves() -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()


def test_overlapping_threads_re_enable_once_the_last_leaves() -> None:
    inside = threading.Barrier(2)
    first_left = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            inside.wait()
        first_left.set()

    def second() -> None:
        with gc_paused():
            inside.wait()
            first_left.wait(5)
            seen.append(gc.isenabled())  # the first thread left: still off for this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False]
    assert gc.isenabled()
