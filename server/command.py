"""One unit of work for a `sitegate` command: its settings (from --database-url or the
environment), the migrations applied, a session committed on success, the engine disposed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.orm import Session

from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError
from server.registry import repository as registry_repo
from server.registry.models import Project


@contextmanager
def unit(database_url: str | None) -> Iterator[tuple[Session, Settings]]:
    settings = Settings(database_url=database_url) if database_url else Settings()
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            yield session, settings
    finally:
        engine.dispose()


def project(session: Session, code: str) -> Project:
    """The project with this code, or a one-line error naming it."""
    found = registry_repo.project_by_code(session, code)
    if found is None:
        raise NotFoundError(f"项目 {code}", f"project {code}")
    return found


@contextmanager
def units(
    database_url: str | None,
) -> Iterator[tuple[Callable[[], AbstractContextManager[Session]], Settings]]:
    """Many short units of work on one engine (a run that records each answer as it comes)."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    makers = make_sessionmaker(engine)
    try:
        yield (lambda: unit_of_work(makers)), settings
    finally:
        engine.dispose()
