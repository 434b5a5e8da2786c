"""Column layouts: the canonical template plus per-bank mappings loaded from YAML."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.payroll.parsers.row import FIELD_BY_NAME, FIELDS, TransferStatus

BANK_LAYOUTS_PATH = Path(__file__).resolve().parent.parent / "bank_layouts.yaml"
SCHEMA_VERSION = 1


def normalise_header(text: str) -> str:
    """Header comparison ignores width, case, spaces, '*' required markers and bracketed units."""
    t = unicodedata.normalize("NFKC", text).lower().replace("\ufeff", "")
    t = re.sub(r"\((?:元|yuan|rmb|cny)\)", "", t)
    return re.sub(r"[\s*_\-:]", "", t)


class BankLayout(BaseModel):
    """How one bank's 代发 result file names its columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Layout key, e.g. 'bank_a_result'")
    title: str = Field(default="", description="Human title, zh / en")
    columns: dict[str, list[str]] = Field(
        description="Canonical field -> header names used by the bank (any one matches)"
    )
    header_row: Annotated[int, Field(ge=1, le=50)] | None = Field(
        default=None, description="Excel row of the header; None = find it in the first 20 rows"
    )
    status_words: dict[TransferStatus, list[str]] = Field(
        default_factory=dict, description="Extra status words, added to the built-in ones"
    )
    default_status: TransferStatus | None = Field(
        default=None, description="Status when the file has no status column"
    )
    encoding: str | None = Field(default=None, description="CSV encoding; None = detect")
    delimiter: str | None = Field(default=None, description="CSV delimiter; None = detect")
    skip_row_prefixes: list[str] = Field(
        default_factory=lambda: ["合计", "总计", "小计", "total"],
        description="Rows whose first non-empty cell starts with one of these are totals",
    )

    @field_validator("columns", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = set(value) - set(FIELD_BY_NAME)
        if unknown:
            raise ValueError(
                f"unknown payroll fields {sorted(unknown)}; known: {list(FIELD_BY_NAME)}"
            )
        return value

    def header_index(self) -> dict[str, str]:
        """Normalised header text -> canonical field."""
        return {normalise_header(h): f for f, names in self.columns.items() for h in names}


class BankLayoutFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int
    layouts: list[BankLayout]

    @field_validator("schema_version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"schema_version {value} not supported (expected {SCHEMA_VERSION})")
        return value


CANONICAL = BankLayout(
    name="canonical",
    title="标准模板 / canonical template",
    columns={f.name: [f.header_zh, f.name, *f.aliases] for f in FIELDS},
)


def load_layouts(path: Path = BANK_LAYOUTS_PATH) -> dict[str, BankLayout]:
    """Layouts by name, canonical first. Raises pydantic.ValidationError on a bad file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    parsed = BankLayoutFile.model_validate(data)
    layouts = {CANONICAL.name: CANONICAL}
    for layout in parsed.layouts:
        if layout.name in layouts:
            raise ValueError(f"duplicate layout name {layout.name!r} in {path}")
        layouts[layout.name] = layout
    return layouts
