"""Fixtures for ingest: a project with a provisioned gate."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.registry.models import Project
from tests.factories import make_device, make_project
from tests.integration.server.ingest.ingest_support import Gate


@pytest.fixture
def project(session: Session) -> Project:
    return make_project(session)


@pytest.fixture
def gate(client: TestClient, session: Session, project: Project) -> Gate:
    return Gate.provision(client, session, make_device(session, project))
