"""Server settings from the environment (SITEGATE_*); fail fast on default secrets outside dev."""

from __future__ import annotations

import base64
import hashlib
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.sheet_reader import ImportLimits, MiB

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the value that fails fast outside dev


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SITEGATE_", env_file=".env", extra="ignore")

    environment: Literal["dev", "test", "production"] = "dev"
    database_url: str = "sqlite:///var/sitegate.sqlite3"
    secret_key: str = DEV_SECRET
    # Face templates are encrypted at rest with a key derived from this (Fernet, AES-128-CBC+HMAC).
    template_key: str = DEV_SECRET
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    device_freshness_s: int = Field(default=300, ge=10)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_s: int = Field(default=60, ge=1)
    default_timezone: str = "Asia/Shanghai"
    # Off: one signature per contiguous run at ingest (the chain carries the proof to the rest);
    # on: every event's signature at ingest. verify_chain always checks every one.
    ingest_verify_every_signature: bool = False
    echo_sql: bool = False
    # What one uploaded spreadsheet may cost (server.tabular.ImportLimits), checked before any
    # parser runs. 20,000 rows of a bank file or roster parse in a few seconds; uploads are also
    # bounded by max_body_bytes.
    import_max_bytes: int = Field(default=8 * MiB, ge=1024)
    import_max_unzipped_bytes: int = Field(default=64 * MiB, ge=MiB)
    import_max_zip_members: int = Field(default=256, ge=16)
    import_max_zip_ratio: int = Field(default=100, ge=10)
    # at most 30,000: a roster import matches its rows with one IN list, and SQLite allows
    # 32,766 bound values per statement
    roster_max_rows: int = Field(default=20_000, ge=1, le=30_000)
    payroll_max_rows: int = Field(default=20_000, ge=1)

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        if self.environment == "production" and DEV_SECRET in (self.secret_key, self.template_key):
            raise ValueError(
                "生产环境必须设置 SITEGATE_SECRET_KEY 与 SITEGATE_TEMPLATE_KEY / "
                "production needs SITEGATE_SECRET_KEY and SITEGATE_TEMPLATE_KEY set"
            )
        return self

    def import_limits(self, kind: Literal["roster", "payroll"]) -> ImportLimits:
        return ImportLimits(
            max_bytes=self.import_max_bytes,
            max_unzipped_bytes=self.import_max_unzipped_bytes,
            max_zip_members=self.import_max_zip_members,
            max_zip_ratio=self.import_max_zip_ratio,
            max_rows=self.roster_max_rows if kind == "roster" else self.payroll_max_rows,
        )

    def fernet_key(self) -> bytes:
        return base64.urlsafe_b64encode(hashlib.sha256(self.template_key.encode()).digest())
