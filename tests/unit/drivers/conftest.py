"""Driver tests: golden-frame loader and a leak check (threads, fds) around every test."""

from tests.support.drivers import _no_leaks, golden

__all__ = ["_no_leaks", "golden"]
