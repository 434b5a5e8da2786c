"""Which dlib the gate runs: the OpenBLAS-linked build of scripts/install_dlib_blas.sh when this
machine has one, else the `dlib-bin` wheel the project installs (built without BLAS).

Both compute the same descriptors (within 1e-6); the BLAS build does the ResNet encoding about
5x faster, which is most of a gate decision (../shared/design/FACE_FACTS.md). The build lives
in its own folder, never in the virtualenv, so the package manager never undoes it: `activate()`
puts that folder first on the import path before dlib is first imported. SITEGATE_DLIB_DIR
names another folder; SITEGATE_DLIB_DIR=off keeps dlib-bin.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

ENV = "SITEGATE_DLIB_DIR"
MARKER = "SITEGATE_DLIB_OK"  # written by the install script once the build imports with BLAS


def blas_dir() -> Path | None:
    """The folder a BLAS build is looked for in, or None when turned off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0") else Path(configured)
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}"
    return Path.home() / ".cache" / "sitegate" / "dlib-blas" / tag


def installed() -> Path | None:
    """The BLAS build's folder when one is installed there."""
    folder = blas_dir()
    return folder if folder is not None and (folder / MARKER).is_file() else None


def activate() -> bool:
    """Use the BLAS build for this process, if there is one and dlib is not imported yet.

    One BLAS thread: the gate decides one frame at a time, and two threads measured slower."""
    folder = installed()
    if folder is None or "dlib" in sys.modules:
        return False
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return True


@dataclass(frozen=True, slots=True)
class Backend:
    name: str  # "dlib+OpenBLAS" or "dlib-bin (no BLAS)"
    version: str
    blas: bool
    path: str

    def text(self) -> str:
        return f"{self.name} {self.version} ({self.path})"


def describe() -> Backend:
    """The dlib this process runs (importing it: call where dlib is about to load anyway)."""
    activate()
    import dlib  # type: ignore[import-untyped]

    blas = bool(getattr(dlib, "DLIB_USE_BLAS", False))
    return Backend(
        "dlib+OpenBLAS" if blas else "dlib-bin (no BLAS)",
        str(getattr(dlib, "__version__", "?")),
        blas,
        str(Path(dlib.__file__).parent),
    )


def expected() -> str:
    """What the gate will run, without importing dlib (for `sitegate edge status`)."""
    folder = installed()
    if folder is not None:
        return f"dlib+OpenBLAS ({folder})"
    return "dlib-bin (no BLAS: bash scripts/install_dlib_blas.sh makes the encoder ~5x faster)"
