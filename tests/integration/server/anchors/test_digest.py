"""Daily digests over real checkpoints: a gate's Outbox seals them, its SyncClient uploads them
through the app on the days the server is told it receives them; the digests chain day after
day, are issued once, download byte for byte the same, verify under the server's key, name key
changes and who issued the code, put a late checkpoint in the day it arrived, and contradict a
gate record altered in the database after they were issued."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from edge.decision import Attempt
from edge.outbox import CheckpointPolicy, Outbox
from edge.sync import SyncClient
from models import checkpoint as cp
from models.device_auth import (
    key_fingerprint,
    new_private_key,
    public_key_hex,
    verify_event_signature,
)
from models.enums import CredentialKind, Direction, GateMode, GateResult, RecordPurpose, Role
from models.gate_event import GateEvent, verify_hash
from models.ids import mask_id_number
from server.anchors import digest, server_key
from server.anchors.models import DailyDigest
from server.auth.models import AuditLog, User
from server.config import Settings
from server.ingest.models import GateEventRow
from server.registry import service as registry_service
from server.registry.models import Device, Project, Worker
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_project,
    make_user,
    make_worker,
)

ZONE = ZoneInfo("Asia/Shanghai")
D4, D5, D6, D7 = (dt.date(2026, 5, d) for d in (4, 5, 6, 7))


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


@dataclass
class Site:
    project: Project
    device: Device
    admin: User
    a: Worker
    b: Worker
    outbox: Outbox
    sync: SyncClient
    key_hex: str


def _set_audit_times(session: Session, device: Device, at: dt.datetime) -> None:
    """The gate was set up at `at`: its code issued a minute before, its key enrolled then."""
    rows = session.scalars(
        select(AuditLog).where(AuditLog.entity == "device", AuditLog.entity_id == device.id)
    ).all()
    for row in rows:
        if row.at > at:  # only the rows written just now (real time), not earlier setups
            row.at = at - dt.timedelta(minutes=1) if row.action == "provisioning_code" else at
    session.commit()


def _provision(
    client: TestClient, session: Session, device: Device, admin: User, at: dt.datetime
) -> Any:
    code, _ = registry_service.issue_provisioning_code(session, admin, device)
    session.commit()
    key = new_private_key()
    r = client.post(
        "/api/v1/edge/provision", json={"code": code, "public_key": public_key_hex(key)}
    )
    assert r.status_code == 200, r.text
    session.expire_all()  # the app's session changed the device row
    _set_audit_times(session, device, at)
    return key


@pytest.fixture
def site(client: TestClient, session: Session, tmp_path: Path) -> Iterator[Site]:
    project = make_project(session, name="摘要测试项目", timezone="Asia/Shanghai")
    a, b = make_worker(session, name="王五"), make_worker(session, name="赵六")
    make_assignment(session, project, a)
    make_assignment(session, project, b)
    admin = make_user(session, Role.ADMIN)
    device = make_device(session, project)
    key = _provision(client, session, device, admin, local(D4, 7))
    outbox = Outbox(
        tmp_path / "outbox.sqlite3",
        device_id=device.code,
        key=key,
        checkpoints=CheckpointPolicy(zone=ZONE, every_n=3),
    )
    sync = SyncClient(
        "http://testserver", device_code=device.code, key=key, transport=client._transport
    )
    yield Site(project, device, admin, a, b, outbox, sync, public_key_hex(key))
    sync.close()
    outbox.close()


def _pass(w: Worker, when: dt.datetime, direction: Direction) -> Attempt:
    return Attempt(
        at=when,
        direction=direction,
        mode=GateMode.CARD_ONLY,
        result=GateResult.GRANTED,
        credential=CredentialKind.ID_CARD,
        credential_ref=mask_id_number(w.id_number),
        worker_id=w.id,
    )


def _day(site: Site, day: dt.date) -> None:
    """A, B in; A out: the 3rd record makes a checkpoint (every 3) at the next record."""
    site.outbox.append(_pass(site.a, local(day, 8), Direction.IN))
    site.outbox.append(_pass(site.b, local(day, 8, 1), Direction.IN))
    site.outbox.append(_pass(site.a, local(day, 17), Direction.OUT))
    site.outbox.checkpoint_if_day_over(local(day + dt.timedelta(days=1), 1))


def _upload(site: Site, monkeypatch: pytest.MonkeyPatch, received: dt.datetime) -> None:
    """Upload everything pending, the server's clock at `received` for what it stores."""
    monkeypatch.setattr("server.ingest.router.utcnow", lambda: received.astimezone(dt.UTC))
    ack = site.sync.upload(site.outbox.pending(1000))
    assert ack.errors == []
    site.outbox.ack_through(ack.highest_contiguous_seq)


def _issue(session: Session, settings: Settings, site: Site, now: dt.datetime) -> list[str]:
    rows = digest.issue_through(session, settings, site.project.id, now=now)
    session.commit()
    return [r.day for r in rows]


def _bodies(session: Session, project_id: int) -> list[tuple[dict[str, Any], str]]:
    rows = session.scalars(
        select(DailyDigest).where(DailyDigest.project_id == project_id).order_by(DailyDigest.day)
    ).all()
    return [(json.loads(r.body), r.body) for r in rows]


@pytest.fixture
def three_days(
    session: Session, settings: Settings, site: Site, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """May 4 and 5 each uploaded that evening, May 6 nothing; issued on the morning of May 7."""
    _day(site, D4)
    _upload(site, monkeypatch, local(D4, 20))
    _day(site, D5)
    _upload(site, monkeypatch, local(D5, 20))
    return _issue(session, settings, site, local(D7, 9))


def test_issued_day_by_day_chained_with_each_days_checkpoints(
    session: Session, settings: Settings, site: Site, three_days: list[str]
) -> None:
    assert three_days == ["2026-05-04", "2026-05-05", "2026-05-06"]
    bodies = _bodies(session, site.project.id)
    assert [b["day"] for b, _ in bodies] == three_days
    assert bodies[0][0]["prev_sha256"] == "0" * 64
    assert digest.chain_problems([b for b, _ in bodies], [t for _, t in bodies]) == []
    row = session.scalars(select(DailyDigest).order_by(DailyDigest.day)).first()
    assert row is not None
    assert row.sha256 == hashlib.sha256(row.body.encode()).hexdigest()
    seqs = [[c["seq"] for c in b["checkpoints"]] for b, _ in bodies]
    assert seqs == [[4], [8], []]  # the empty day is issued too: no hole in the chain
    for body, _ in bodies:
        assert (body["type"], body["version"]) == ("sitegate.daily_digest", 1)
        assert body["project"] == {"id": site.project.id, "name": "摘要测试项目"}
        assert body["gates"] == [
            {
                "code": site.device.code,
                "public_key": site.key_hex,
                "fingerprint": key_fingerprint(site.key_hex),
            }
        ]
        assert body["server_key"]["fingerprint"] == server_key.fingerprint(settings)
        for record in body["checkpoints"]:
            event = GateEvent.model_validate(record)
            assert verify_hash(event)  # rebuilt exactly as the gate hashed it
            assert verify_event_signature(site.key_hex, event.hash, event.signature)
            assert event.purpose is RecordPurpose.CHECKPOINT
            assert event.checkpoint is not None
    # the first day names the gate's enrolment, and the admin who issued its code
    assert bodies[0][0]["key_changes"] == [
        {
            "gate": site.device.code,
            "at": "2026-05-03T23:00:00.000000Z",
            "how": "provision",
            "old_public_key": None,
            "new_public_key": site.key_hex,
            "by": site.admin.username,
        }
    ]
    assert bodies[1][0]["key_changes"] == bodies[2][0]["key_changes"] == []


def test_issued_once_and_never_rewritten(
    session: Session, settings: Settings, site: Site, three_days: list[str]
) -> None:
    before = {r.day: (r.body, r.signature) for r in session.scalars(select(DailyDigest))}
    assert _issue(session, settings, site, local(D7, 23)) == []  # still May 7: nothing new
    assert _issue(session, settings, site, local(D7 + dt.timedelta(days=1), 9)) == ["2026-05-07"]
    after = {r.day: (r.body, r.signature) for r in session.scalars(select(DailyDigest))}
    assert {d: after[d] for d in before} == before
    bodies = _bodies(session, site.project.id)
    assert digest.chain_problems([b for b, _ in bodies], [t for _, t in bodies]) == []


def test_a_racing_issuer_reads_the_row_it_lost_to(
    session: Session,
    settings: Settings,
    site: Site,
    three_days: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An issuer that read the chain before another wrote it tries the same day, hits the
    unique (project, day), and goes on from the row that stands: no second digest of a day."""
    real = digest._latest
    calls = {"n": 0}

    def stale(s: Session, project_id: int) -> tuple[dt.date, str] | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(s, project_id)

    monkeypatch.setattr(digest, "_latest", stale)
    assert _issue(session, settings, site, local(D7 + dt.timedelta(days=1), 9)) == ["2026-05-07"]
    days = session.scalars(select(DailyDigest.day).order_by(DailyDigest.day)).all()
    assert days == ["2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07"]
    bodies = _bodies(session, site.project.id)
    assert digest.chain_problems([b for b, _ in bodies], [t for _, t in bodies]) == []


def test_a_project_without_checkpoints_or_keys_has_no_digest(
    session: Session, settings: Settings
) -> None:
    project = make_project(session)
    make_device(session, project)  # registered, never enrolled
    assert digest.issue_through(session, settings, project.id, now=local(D7, 9)) == []


def test_download_is_the_same_bytes_and_verifies_under_the_server_key(
    client: TestClient,
    session: Session,
    settings: Settings,
    site: Site,
    three_days: list[str],
) -> None:
    headers = login(client, site.admin)
    url = f"/api/v1/projects/{site.project.id}/digests/2026-05-04"
    first, again = client.get(url, headers=headers), client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/json"
    assert first.headers["content-disposition"] == (
        f"attachment; filename=sitegate-digest-{site.project.id}-2026-05-04.json"
    )
    assert first.content == again.content
    row = digest.get(session, site.project.id, "2026-05-04")
    assert row is not None
    assert digest.digest_file(row) == first.content
    wrapper = json.loads(first.content)
    assert wrapper["format"] == "sitegate.signed/1"
    assert wrapper["public_key"] == server_key.public_key(settings)
    pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(server_key.public_key(settings)))
    pub.verify(bytes.fromhex(wrapper["signature"]), wrapper["body"].encode("utf-8"))
    assert digest.verify_file(first.content) == json.loads(row.body)
    # one changed byte of the body and it no longer verifies
    forged = dict(wrapper, body=wrapper["body"].replace('"version":1', '"version":2'))
    with pytest.raises(digest.DigestFileError):
        digest.verify_file(json.dumps(forged).encode())

    listed = client.get(f"/api/v1/projects/{site.project.id}/digests", headers=headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["day"], i["checkpoints"]) for i in items] == [
        ("2026-05-06", 0),
        ("2026-05-05", 1),
        ("2026-05-04", 1),
    ]
    assert items[0]["prev_sha256"] == items[1]["sha256"]
    assert {i["server_key_fingerprint"] for i in items} == {server_key.fingerprint(settings)}


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2026-5-4", "2026-05-04x"])
def test_a_malformed_day_is_422_with_a_message(
    client: TestClient, site: Site, three_days: list[str], day: str
) -> None:
    r = client.get(
        f"/api/v1/projects/{site.project.id}/digests/{day}", headers=login(client, site.admin)
    )
    assert r.status_code == 422, r.text
    assert "YYYY-MM-DD" in r.json()["message_en"]
    assert "YYYY-MM-DD" in r.json()["message_zh"]


def test_a_day_not_issued_yet_is_404_with_a_message(
    client: TestClient, site: Site, three_days: list[str]
) -> None:
    r = client.get(
        f"/api/v1/projects/{site.project.id}/digests/2026-05-07",
        headers=login(client, site.admin),
    )
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "digest.not_issued"
    assert "2026-05-07" in r.json()["message_zh"]


def test_another_projects_manager_sees_nothing(
    client: TestClient, session: Session, site: Site, three_days: list[str]
) -> None:
    other = make_user(session, Role.SITE_MANAGER, [make_project(session)])
    mine = make_user(session, Role.SITE_MANAGER, [site.project])
    inspector = make_user(session, Role.INSPECTOR, region=site.project.region)
    session.commit()
    url = f"/api/v1/projects/{site.project.id}/digests"
    assert client.get(url, headers=login(client, other)).status_code == 404
    assert client.get(f"{url}/2026-05-04", headers=login(client, other)).status_code == 404
    assert client.get(url, headers=login(client, mine)).status_code == 200
    assert client.get(f"{url}/2026-05-04", headers=login(client, inspector)).status_code == 200


def test_a_reprovisioned_gate_is_named_with_its_old_and_new_key(
    client: TestClient,
    session: Session,
    settings: Settings,
    site: Site,
    three_days: list[str],
) -> None:
    manager = make_user(session, Role.SITE_MANAGER, [site.project])
    new_key = _provision(client, session, site.device, manager, local(D7, 10, 30))
    assert _issue(session, settings, site, local(D7 + dt.timedelta(days=1), 9)) == ["2026-05-07"]
    body = _bodies(session, site.project.id)[-1][0]
    new_hex = public_key_hex(new_key)
    assert body["key_changes"] == [
        {
            "gate": site.device.code,
            "at": "2026-05-07T02:30:00.000000Z",
            "how": "reprovision",
            "old_public_key": site.key_hex,
            "new_public_key": new_hex,
            "by": manager.username,
        }
    ]
    assert body["gates"][0]["public_key"] == new_hex
    assert body["gates"][0]["fingerprint"] == key_fingerprint(new_hex)


def test_a_late_checkpoint_is_in_the_digest_of_the_day_it_arrived(
    session: Session, settings: Settings, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate was offline on May 4 and 5: both days' checkpoints arrive on May 6."""
    _day(site, D4)
    _day(site, D5)
    _upload(site, monkeypatch, local(D6, 11))
    assert _issue(session, settings, site, local(D7, 9)) == [
        "2026-05-04",
        "2026-05-05",
        "2026-05-06",
    ]
    bodies = [b for b, _ in _bodies(session, site.project.id)]
    assert [len(b["checkpoints"]) for b in bodies] == [0, 0, 2]
    assert [c["checkpoint"]["day"] for c in bodies[2]["checkpoints"]] == [
        "2026-05-04",
        "2026-05-05",
    ]


def _stored_records(session: Session, device: Device, lo: int, hi: int) -> list[Any]:
    rows = session.execute(
        select(GateEventRow.seq, GateEventRow.hash, GateEventRow.worker_id)
        .where(GateEventRow.device_id == device.id, GateEventRow.seq.between(lo, hi))
        .order_by(GateEventRow.seq)
    ).all()
    return [(int(s), str(h), None if w is None else int(w)) for s, h, w in rows]


def test_a_record_altered_after_the_digest_is_contradicted_by_the_archived_copy(
    client: TestClient, session: Session, site: Site, three_days: list[str]
) -> None:
    r = client.get(
        f"/api/v1/projects/{site.project.id}/digests/2026-05-04",
        headers=login(client, site.admin),
    )
    archived = digest.verify_file(r.content)  # the inspector's office keeps this file
    sealed = cp.Checkpoint.model_validate(archived["checkpoints"][0]["checkpoint"])
    assert cp.problems(sealed, _stored_records(session, site.device, 1, 3)) == []
    # later, whoever runs the database gives B's May 4 entry to A
    session.execute(
        update(GateEventRow)
        .where(GateEventRow.device_id == site.device.id, GateEventRow.seq == 2)
        .values(worker_id=site.a.id)
    )
    session.commit()
    found = cp.problems(sealed, _stored_records(session, site.device, 1, 3))
    # the day had two workers, now one: the root the gate signed no longer adds up
    assert [what for what, _, _ in found] == ["workers_root", "workers"]
    assert found[0][1] == sealed.workers_root
    # and the server cannot answer with a different digest of that day
    session.expire_all()
    again = client.get(
        f"/api/v1/projects/{site.project.id}/digests/2026-05-04",
        headers=login(client, site.admin),
    )
    assert again.content == r.content


def test_the_background_issuer_issues_at_start_and_stops(
    settings: Settings, site: Site, three_days: list[str], session: Session
) -> None:
    """The app's thread (off in tests): one round at start, then it waits; stop() ends it."""
    factory = _factory_on(session)
    issuer = digest.Issuer(
        factory, settings, every_s=3600, clock=lambda: local(D7 + dt.timedelta(days=1), 9)
    ).start()
    try:
        for _ in range(200):
            if issuer.rounds:
                break
            time.sleep(0.02)
    finally:
        issuer.stop()
    assert issuer.rounds == 1
    session.expire_all()
    count = session.scalar(
        select(func.count())
        .select_from(DailyDigest)
        .where(DailyDigest.project_id == site.project.id)
    )
    assert count == 4


def test_a_background_issuer_that_does_not_lead_issues_nothing(
    settings: Settings, site: Site, three_days: list[str], session: Session
) -> None:
    """Several server processes: only the leader's rounds issue (server/db/leader.py)."""

    def stored() -> int | None:
        session.expire_all()
        return session.scalar(
            select(func.count())
            .select_from(DailyDigest)
            .where(DailyDigest.project_id == site.project.id)
        )

    before = stored()
    factory = _factory_on(session)
    issuer = digest.Issuer(
        factory,
        settings,
        every_s=3600,
        clock=lambda: local(D7 + dt.timedelta(days=1), 9),
        leads=lambda: False,
    ).start()
    try:
        for _ in range(200):
            if issuer.rounds:
                break
            time.sleep(0.02)
    finally:
        issuer.stop()
    assert (issuer.rounds, issuer.issuing_rounds) == (1, 0)
    assert stored() == before  # the leader's round would add the missing day (as above)


def _factory_on(session: Session) -> sessionmaker[Session]:
    """A sessionmaker whose sessions join the test's connection (as the app's do here)."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def test_a_checkpoint_row_edited_past_reading_is_shown_as_stored(
    session: Session, settings: Settings, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint record edited in the database before its day is issued into something no
    gate could sign is not left out (nor does issuing fail): it is in the digest as stored."""
    _day(site, D4)
    _upload(site, monkeypatch, local(D4, 20))
    session.execute(
        update(GateEventRow)
        .where(GateEventRow.device_id == site.device.id, GateEventRow.seq == 4)
        .values(direction="sideways")
    )
    session.commit()
    assert _issue(session, settings, site, local(D5, 9)) == ["2026-05-04"]
    (record,) = _bodies(session, site.project.id)[0][0]["checkpoints"]
    assert record["direction"] == "sideways"
    assert record["seq"] == 4
    assert record["device_id"] == site.device.code
    assert "received_at" not in record
