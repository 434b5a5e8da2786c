"""What every check is given: where to work, which databases, how long to go on."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Context:
    workdir: Path
    quick: bool
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    pg_url: str = DEFAULT_PG_URL
    seed: int = 20261202
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def size(self, quick: int, full: int) -> int:
        return quick if self.quick else full
