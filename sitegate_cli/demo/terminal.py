"""The demo's face terminal: a ZKTeco terminal (the PUSH emulator, real HTTP) at the side gate.

Registered and approved like a site manager would, it fetches the roster as commands (the face
workers with the picture the enrollment station captured, the others card-only), lets some
workers through this morning, turns a stranger away, and uploads: the passes are stored, sealed
by the server, and show on the Gates page and in each worker's records beside the gate PCs'.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from models.enums import Direction
from server.config import Settings
from server.db.types import utcnow
from server.registry.models import Project
from server.terminals import commands, service
from server.terminals.zkteco import zk_card
from sitegate_cli.demo.seed import WorkerSpec
from terminals.zkteco_push.emulator import ZkPushTerminal

CODE, SERIAL = "ZK-SIDE-IN", "CKJX212360042"
SITE_TZ = ZoneInfo("Asia/Shanghai")


def side_gate(
    factory: sessionmaker[Session],
    server_url: str,
    project_id: int,
    workers: list[WorkerSpec],
    *,
    passes: int = 12,
) -> dict[str, Any]:
    settings = Settings()
    with factory.begin() as s:
        project = s.get(Project, project_id)
        assert project is not None  # noqa: S101 - seeded above
        device = service.add_terminal(
            s, settings, None, project, code=CODE, vendor="zkteco", serial_number=SERIAL,
            direction=Direction.IN, model="SpeedFace-V5L", name="侧门 人脸终端",
        )  # fmt: skip
        service.approve(s, settings, None, device, now=utcnow())
        device_id = device.id
    with ZkPushTerminal(server_url, SERIAL) as terminal:
        terminal.register()
        while terminal.poll_commands():  # the server hands out 20 commands a poll
            pass
        held = dict(terminal.users)
        shown = 0
        # the terminal's wall clock is set to the site's time (Beijing), whatever the PC's zone
        # and the passes end now: seven seconds apart, the last one this second
        at = dt.datetime.now(SITE_TZ).replace(microsecond=0, tzinfo=None)
        at -= dt.timedelta(seconds=7 * (passes + 1))
        names: list[str] = []
        for w in workers:
            if shown >= passes:
                break
            pin = str(w.worker_id)
            if pin not in held:
                continue
            face = w.photo_person is not None
            card = None if face or not w.card_uid else zk_card(w.card_uid)
            if terminal.present(pin=pin if face else None, card=card, face=face, at=at):
                shown += 1
                names.append(w.name)
                at += dt.timedelta(seconds=7)
        terminal.present(pin="999999", face=True, at=at)  # a stranger: turned away, no record
        uploaded = terminal.upload()
    with factory() as s:
        state = commands.status(s, [device_id])[device_id]
    faces = sum(1 for u in held.values() if u.has_face)
    return {
        "code": CODE,
        "faces_on_terminal": faces,
        "serial": SERIAL,
        "users_on_terminal": len(held),
        "users_confirmed": state.users,
        "passes": shown,
        "passed": names,
        "uploaded": uploaded,
        "refused_at_terminal": len(terminal.refusals),
    }
