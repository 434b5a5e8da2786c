"""The pages' "now": real time, or a fixed instant a test puts on app.state.web_clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import Request

from server.db.types import utcnow


def now_utc(request: Request) -> dt.datetime:
    clock: Callable[[], dt.datetime] | None = getattr(request.app.state, "web_clock", None)
    return clock() if clock is not None else utcnow()
