"""A project to soak: workers with cards, a gate with a one-time provisioning code, seeded
through the server's own services (migrations first)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import httpx

from soak.procs import SECRET_KEY, TEMPLATE_KEY


@dataclass
class Person:
    name: str
    id_number: str
    worker_id: int = 0
    assignment_id: int = 0
    card_uid: str | None = None


@dataclass
class Seeded:
    project_id: int
    device_code: str
    device_pk: int
    provisioning_code: str
    people: dict[str, Person] = field(default_factory=dict)


def seed(
    db_url: str,
    people: list[tuple[str, str, str | None, list[list[float]], bool]],
    *,
    direction: str = "in",
) -> Seeded:
    """people: (key, name, card uid or None, face templates, left?). Runs migrations first."""
    from sqlalchemy.orm import Session

    from models.enums import Direction
    from server.config import Settings
    from server.db import migrate
    from server.db.session import make_engine
    from server.registry import service as registry_service
    from tests.factories import (
        make_assignment,
        make_company,
        make_device,
        make_id_number,
        make_project,
        make_worker,
    )

    migrate.upgrade(db_url)
    settings = Settings(database_url=db_url, template_key=TEMPLATE_KEY, secret_key=SECRET_KEY)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            project = make_project(session)
            company = make_company(session, project)
            device = make_device(session, project, Direction(direction))
            code, _ = registry_service.issue_provisioning_code(session, None, device)
            out = Seeded(project.id, device.code, device.id, code)
            for i, (key, name, uid, templates, left) in enumerate(people):
                id_number = make_id_number(birth=dt.date(1980 + i, 3, 1))
                worker = make_worker(session, name=name, id_number=id_number)
                assignment = make_assignment(session, project, worker, company)
                if uid:
                    registry_service.bind_card(session, None, assignment, uid=uid)
                if templates:
                    registry_service.set_consent(session, None, worker, consent=True)
                    for t in templates:
                        registry_service.add_face_template(
                            session, settings, None, worker, encoding=t
                        )
                if left:
                    registry_service.leave(session, None, assignment, on=dt.date(2026, 1, 10))
                out.people[key] = Person(name, id_number, worker.id, assignment.id, uid)
            from server.registry import versioning

            versioning.bump(session, project.id)
            session.commit()
            return out
    finally:
        engine.dispose()


ADMIN, ADMIN_PASSWORD = "soak-admin", "soak-admin-password-2026"


def add_admin(db_url: str) -> None:
    """An admin account for the checks that read through the people's API."""
    from sqlalchemy.orm import Session

    from models.enums import Role
    from server.auth import service as auth_service
    from server.db.session import make_engine

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            auth_service.create_user(s, username=ADMIN, password=ADMIN_PASSWORD, role=Role.ADMIN)
            s.commit()
    finally:
        engine.dispose()


def admin_client(server_url: str) -> httpx.Client:
    token = httpx.post(
        f"{server_url}/api/v1/auth/token", data={"username": ADMIN, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    return httpx.Client(
        base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
