"""Server settings from the environment (SITEGATE_*); fail fast on default secrets outside dev."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import string
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.sheet_reader import ImportLimits, MiB

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the value that fails fast outside dev


MIN_KEY_BYTES = 32
_HEX = frozenset(string.hexdigits)
_B64 = frozenset(string.ascii_letters + string.digits + "+/-_=")


class InsecureSettingsError(Exception):
    """Refuses to start: carries zh/en messages like every user error (sitegate_cli.errors)."""

    def __init__(self, field: str, problem: tuple[str, str]) -> None:
        env = f"SITEGATE_{field.upper()}"
        hint_zh = (
            f"请用 `sitegate admin generate-keys --out-dir DIR` 生成并设置 {env}_FILE,"
            f"或设置 {env} 为 `openssl rand -base64 32` 的输出"
        )
        hint_en = (
            f"generate one with `sitegate admin generate-keys --out-dir DIR` and set {env}_FILE, "
            f"or set {env} to the output of `openssl rand -base64 32`"
        )
        self.message_zh = f"生产环境拒绝启动:{env} {problem[0]}。{hint_zh}"
        self.message_en = f"refusing to start in production: {env} {problem[1]}; {hint_en}"
        super().__init__(f"{self.message_zh} / {self.message_en}")


def key_problem(key: str) -> tuple[str, str] | None:
    """Why `key` is not at least 32 random bytes, or None.

    A person's passphrase cannot be measured, so a key must be random bytes written as hex
    (64+ digits) or Base64 (43+ characters), as `openssl rand` or `secrets.token_urlsafe(32)`
    print them; and it must look random: enough different symbols, no repeated pattern."""
    if key == DEV_SECRET:
        return ("仍是开发默认值", "is still the development default")
    if set(key) <= _HEX:
        bits = 4 * len(key)
    elif set(key) <= _B64:
        bits = 6 * len(key.rstrip("="))
    else:
        return (
            "须为十六进制或 Base64 编码的随机字节",
            "must be random bytes written as hex or Base64",
        )
    if bits < 8 * MIN_KEY_BYTES:
        return (
            f"不足 {MIN_KEY_BYTES} 字节的随机数据({bits // 8} 字节)",
            f"holds less than {MIN_KEY_BYTES} random bytes ({bits // 8})",
        )
    alphabet = 16 if set(key) <= _HEX else 64
    # Random keys of this length show about this many different symbols; words show far fewer.
    expected = alphabet * (1 - (1 - 1 / alphabet) ** len(key))
    period = next(p for p in range(1, len(key) + 1) if key == (key[:p] * len(key))[: len(key)])
    if period < len(key) // 2 or len(set(key)) < 0.6 * expected:
        return (
            "不是随机数据(字符种类过少或有重复)",
            "is not random (too few different symbols, or a repeated pattern)",
        )
    return None


def _read_key_file(path: str, field: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InsecureSettingsError(
            field, (f"的密钥文件 {path} 无法读取", f"key file {path} cannot be read ({exc})")
        ) from None


def generate_key_files(out_dir: Path) -> list[Path]:
    """Two fresh keys (32 random bytes, Base64) as owner-only files; never overwrites one."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("secret.key", "template.key"):
        path = out_dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        key = base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode()
        while key_problem(key):  # astronomically rare; never hand out a key we would refuse
            key = base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode()
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
        written.append(path)
    return written


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SITEGATE_", env_file=".env", extra="ignore")

    environment: Literal["dev", "test", "production"] = "dev"
    database_url: str = "sqlite:///var/sitegate.sqlite3"
    secret_key: str = DEV_SECRET
    # Face templates are encrypted at rest with a key derived from this (Fernet, AES-128-CBC+HMAC).
    template_key: str = DEV_SECRET
    # Or each key from a file (a container secret, or `sitegate admin generate-keys`).
    secret_key_file: str = ""
    template_key_file: str = ""
    # The server's Ed25519 key for daily digests and evidence packs (server/anchors/server_key):
    # a file of 32 random bytes as hex; empty: derived from the secret key.
    signing_key_file: str = ""
    # Missing daily digests (server/anchors/digest.py) are issued at start and this often by a
    # background thread of the server; 0: never (the `sitegate digest issue` command still
    # does). Never in the test environment, whose tests issue them themselves.
    digest_every_s: int = Field(default=600, ge=0)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    device_freshness_s: int = Field(default=300, ge=10)
    # A gate clock off by more than this is flagged on the gates page and in each affected
    # record's 考勤凭证 (the recorded times may be shifted).
    clock_skew_flag_s: int = Field(default=300, ge=1)
    # Failed sign-ins (server/auth/throttle.py): an account from one address locks after
    # login_max_failures within login_window_s, for login_lockout_s doubling per repeat; one
    # address over every account after login_address_max_failures; an account from addresses
    # it never signed in from after login_account_max_failures. No block outlasts
    # login_max_block_s, so nobody keeps another locked out for good.
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_s: int = Field(default=60, ge=1)
    login_window_s: int = Field(default=900, ge=1)
    login_address_max_failures: int = Field(default=30, ge=1)
    login_address_block_s: int = Field(default=300, ge=1)
    login_account_max_failures: int = Field(default=20, ge=1)
    login_max_block_s: int = Field(default=3600, ge=1)
    provision_max_failures: int = Field(default=10, ge=1)
    # A worker's one-time activation code (server/auth/activation.py) is valid this many days.
    activation_code_days: int = Field(default=14, ge=1, le=90)
    # The address workers open on their phones, printed on activation slips with /activate
    # (e.g. https://sitegate.example.cn); empty: the address the page or API was called on.
    public_url: str = ""
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
    # The API docs (/docs, /redoc, /openapi.json), served from local assets; off: not served.
    api_docs: bool = True
    # Operations (server/ops): logs one JSON object per line, or readable lines for a console;
    # /metrics answers a request with `Authorization: Bearer <metrics_token>`, or, with no token
    # set, only requests from the loopback address (a Prometheus on the same machine).
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    metrics_token: str = ""
    # Several server processes (`sitegate server --workers N`, server/workers.py): PostgreSQL
    # only, as SQLite has one writer. The server's own files (the per-start folder where the
    # workers' metrics meet) go under data_dir.
    workers: int = Field(default=1, ge=1, le=64)
    data_dir: str = "var"

    @model_validator(mode="after")
    def _keys(self) -> Settings:
        for field in ("secret_key", "template_key"):
            path = getattr(self, f"{field}_file")
            if path:
                setattr(self, field, _read_key_file(path, field))
        if self.environment == "production":
            for field in ("secret_key", "template_key"):
                problem = key_problem(getattr(self, field))
                if problem:
                    raise InsecureSettingsError(field, problem)
            if self.secret_key == self.template_key:
                raise InsecureSettingsError(
                    "template_key",
                    ("不能与 SITEGATE_SECRET_KEY 相同", "must differ from the secret key"),
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
