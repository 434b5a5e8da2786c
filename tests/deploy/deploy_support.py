"""Readers for the packaging files: Dockerfile instructions and systemd unit settings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "deploy"
UNITS = PACKAGING / "systemd"


@dataclass(frozen=True)
class Instruction:
    stage: int  # 0-based index of the FROM it belongs to
    name: str  # upper case: FROM, RUN, COPY, ...
    args: str  # the rest of the (joined) line


def dockerfile(path: Path = PACKAGING / "Dockerfile") -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    logical: list[str] = []
    buf = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    out: list[Instruction] = []
    stage = -1
    for text in logical:
        name, _, args = text.partition(" ")
        if name.upper() == "FROM":
            stage += 1
        out.append(Instruction(stage, name.upper(), " ".join(args.split())))
    return out


def exec_form(args: str) -> list[str]:
    """A CMD/ENTRYPOINT/HEALTHCHECK CMD in exec (JSON) form."""
    value = json.loads(args)
    assert isinstance(value, list)
    return [str(v) for v in value]


def image_env(instructions: list[Instruction]) -> dict[str, str]:
    """ENV of the final stage (KEY=VALUE pairs, unquoted values only)."""
    last = max(i.stage for i in instructions)
    env: dict[str, str] = {}
    for i in instructions:
        if i.stage == last and i.name == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", i.args):
                env[key] = value
    return env


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """section -> key -> values, in order (a key may repeat, as Environment= does)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: a setting before any section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(settings: dict[str, list[str]], key: str) -> str:
    values = settings.get(key, [])
    assert len(values) == 1, f"{key}: expected one value, got {values}"
    return values[0]
