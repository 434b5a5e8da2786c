"""E2E helpers: the real server in a subprocess on a free port, seeded through its own services.

The process helpers live in soak/procs.py (the reliability command uses them too)."""

from __future__ import annotations

from soak.procs import (
    REPO,
    SECRET_KEY,
    TEMPLATE_KEY,
    ServerProc,
    chain_breaks,
    free_port,
    server_env,
    server_events,
)
from soak.world import Person, Seeded, seed

FACES = (REPO.parent / "shared" / "testdata" / "faces").resolve()

__all__ = [
    "FACES",
    "REPO",
    "SECRET_KEY",
    "TEMPLATE_KEY",
    "Person",
    "Seeded",
    "ServerProc",
    "chain_breaks",
    "free_port",
    "seed",
    "server_env",
    "server_events",
]
