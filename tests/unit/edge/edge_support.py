"""Edge unit test helpers: roster entries with valid ID numbers, a fixed clock, contexts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from edge.config import GateSettings, thresholds
from edge.decision import Context
from edge.roster_cache import RosterSnapshot
from models.enums import AssignmentStatus, Direction, GateMode
from models.ids import resident_id_check_char
from models.roster import GatePolicy, RosterEntry

TODAY = dt.date(2026, 3, 2)
AT = dt.datetime(2026, 3, 2, 7, 30, tzinfo=dt.UTC)


def id_number(birth: str, serial: int, male: bool = True) -> str:
    """A valid 18-digit resident ID (Beijing region) for a birth date YYYYMMDD."""
    seq = serial * 2 + (1 if male else 0)
    first17 = f"110101{birth}{seq:03d}"
    return first17 + resident_id_check_char(first17)


def template(seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    v = rng.normal(0, 0.1, 128)
    return [float(x) for x in v]


def make_entry(worker_id: int, **kw: Any) -> RosterEntry:
    male = kw.pop("male", True)
    birth = kw.pop("birth", "19850101")
    data: dict[str, Any] = {
        "assignment_id": worker_id + 1000,
        "worker_id": worker_id,
        "name": f"工人{worker_id}",
        "id_number": id_number(birth, worker_id, male),
        "gender": "M" if male else "F",
        "birth_date": dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:])),
        "status": AssignmentStatus.ACTIVE,
        "entered_on": dt.date(2026, 1, 5),
        "contract_signed": True,
        "safety_trained": True,
        "card_uids": [f"A1B2C3{worker_id:02X}"],
        "face_templates": [template(worker_id)],
    }
    data.update(kw)
    return RosterEntry(**data)


def make_context(
    entries: list[RosterEntry],
    *,
    mode: GateMode = GateMode.CARD_AND_FACE,
    camera_ok: bool = True,
    project: GatePolicy | None = None,
    **gate_kw: Any,
) -> Context:
    gate = GateSettings(mode=mode, **gate_kw)
    project = project or GatePolicy()
    return Context(
        roster=RosterSnapshot(entries, version=1, project_id=7, policy=project),
        project=project,
        gate=gate,
        thresholds=thresholds(gate, project),
        direction=Direction.IN,
        today=TODAY,
        camera_ok=camera_ok,
    )


class FakeServer:
    """An in-memory stand-in for the server's edge API, behind httpx.MockTransport."""

    def __init__(self, roster: list[RosterEntry] | None = None) -> None:
        import httpx

        self.events: dict[int, Any] = {}
        self.inserted_total = 0
        self.duplicates_total = 0
        self.down = False
        self.status_override: int | None = None
        self.tip_override: str | None = None  # a server holding another record
        self.requests: list[tuple[str, str]] = []
        self.roster_entries = roster or []
        self.roster_version = 3
        self.enrollments: list[dict[str, Any]] = []
        self.transport = httpx.MockTransport(self._handle)

    def highest(self) -> int:
        h = 0
        while h + 1 in self.events:
            h += 1
        return h

    def _handle(self, request: Any) -> Any:
        import json

        import httpx

        from models.device_auth import HEADER_SIGNATURE

        self.requests.append((request.method, request.url.path))
        if self.down:
            raise httpx.ConnectError("server down", request=request)
        if self.status_override is not None:
            return httpx.Response(self.status_override, json={"code": "x", "message_en": "no"})
        path = request.url.path
        if path != "/api/v1/edge/provision" and HEADER_SIGNATURE not in request.headers:
            return httpx.Response(401, json={"code": "auth", "message_en": "unsigned"})
        if path == "/api/v1/edge/events":
            batch = json.loads(request.content)
            inserted = dups = 0
            for ev in batch["events"]:
                if ev["seq"] in self.events:
                    dups += 1
                else:
                    self.events[ev["seq"]] = ev
                    inserted += 1
            self.inserted_total += inserted
            self.duplicates_total += dups
            return httpx.Response(
                200,
                json={
                    "inserted": inserted,
                    "duplicates": dups,
                    "highest_contiguous_seq": self.highest(),
                    "tip_hash": self.tip_override
                    or (self.events[self.highest()]["hash"] if self.highest() else None),
                },
            )
        if path == "/api/v1/edge/heartbeat":
            return httpx.Response(
                200,
                json={
                    "server_time": "2026-03-02T07:30:00Z",
                    "clock_skew_ms": 12,
                    "roster_version": self.roster_version,
                },
            )
        if path == "/api/v1/edge/roster":
            since = int(request.url.params["since"])
            return httpx.Response(
                200,
                json={
                    "project_id": 7,
                    "version": self.roster_version,
                    "since_version": since,
                    "full": since == 0,
                    "entries": [e.model_dump(mode="json") for e in self.roster_entries]
                    if since < self.roster_version
                    else [],
                    "removed": [],
                    "policy": GatePolicy().model_dump(mode="json"),
                },
            )
        if path == "/api/v1/edge/enrollments":
            self.enrollments.append(json.loads(request.content))
            return httpx.Response(
                200,
                json={
                    "worker_id": 100 + len(self.enrollments),
                    "assignment_id": 1,
                    "created": True,
                },
            )
        return httpx.Response(404, json={"code": "not_found"})


class FakeIcReader:
    """Hands out UIDs pushed by the test."""

    def __init__(self) -> None:
        import queue

        self.uids: queue.Queue[str] = queue.Queue()

    def read_uid(self, timeout_s: float) -> str | None:
        import queue

        try:
            return self.uids.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def close(self) -> None:
        pass


class FakeRelay:
    def __init__(self) -> None:
        self.pulses: list[int] = []

    def pulse(self, ms: int) -> None:
        self.pulses.append(ms)

    def door_state(self) -> bool | None:
        return None

    def close(self) -> None:
        pass


class FakeCamera:
    """Serves a new frame on every call; the person in view is set by the test."""

    def __init__(self) -> None:
        self.person = 0  # 0: nobody
        self.seq = 0

    def latest(self) -> Any:
        import time

        from drivers.base import Frame

        self.seq += 1
        image = np.full((4, 4, 3), self.person, dtype=np.uint8)
        return Frame(image=image, ts=time.monotonic(), seq=self.seq)

    def close(self) -> None:
        pass


class FakeMatcher:
    """Pixel value = person; the encoding is that person's template (worker id = person)."""

    def probe(self, image_bgr: Any) -> Any:
        from edge.face import FaceProbe, ProbeStatus, as_vector

        person = int(image_bgr[0, 0, 0])
        if person == 0:
            return FaceProbe(ProbeStatus.NO_FACE)
        return FaceProbe(ProbeStatus.OK, as_vector(template(person)), (0, 4, 4, 0), 100)
