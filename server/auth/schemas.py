from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from models.enums import Role
from server.auth.models import User
from server.auth.rules import MAX_LENGTH, password_problems

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]+$"


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - OAuth2 token type, not a secret
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    role: Role
    region: str
    worker_id: int | None
    active: bool = True
    must_change_password: bool = False
    project_ids: list[int] = Field(default_factory=list)
    locked_until: dt.datetime | None = None
    created_at: dt.datetime | None = None


def user_out(
    user: User, project_ids: list[int] | None = None, *, locked_until: dt.datetime | None = None
) -> UserOut:
    out = UserOut.model_validate(user)
    out.project_ids = list(project_ids or [])
    out.locked_until = locked_until  # a block on the account from some address (auth/throttle)
    return out


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)  # the policy: auth/rules.py
    role: Role
    full_name: str = Field(default="", max_length=64)
    region: str = Field(default="", max_length=64)
    worker_id: int | None = None
    project_ids: list[int] = Field(default_factory=list)
    must_change_password: bool = False

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        # Here as well as in the service, so a 422 lists the password beside the other fields.
        problems = password_problems(value, username=str(info.data.get("username", "")))
        if problems:
            raise ValueError("; ".join(en for _, en in problems))
        return value


class UserUpdate(BaseModel):
    """Only the fields sent change; `worker_id: null` unlinks, other fields may not be null."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, max_length=64)
    role: Role | None = None
    region: str | None = Field(default=None, max_length=64)
    worker_id: int | None = None
    project_ids: list[int] | None = None
    active: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [k for k, v in data.items() if v is None and k != "worker_id"]
            if nulls:
                raise ValueError(f"may not be null: {', '.join(sorted(nulls))}")
        return data


class PasswordSet(BaseModel):
    """An admin's temporary password for someone else (who must change it, by default)."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    must_change_password: bool = True


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: str = Field(min_length=1, max_length=MAX_LENGTH)


# --- activation codes --------------------------------------------------------------------------


class ActivationCodesIn(BaseModel):
    """Which of the project's workers get a code: all (the default), a team, or chosen ids."""

    model_config = ConfigDict(extra="forbid")

    worker_ids: list[int] | None = Field(default=None, max_length=20_000)
    team_id: int | None = None
    reset_existing: bool = Field(
        default=False, description="also workers with an account: their code sets its password"
    )


class IssuedCodeOut(BaseModel):
    worker_id: int
    name: str
    id_number_masked: str
    team: str | None
    code: str = Field(description="shown once: only its HMAC is stored")
    resets_account: bool


class SkippedWorkerOut(BaseModel):
    worker_id: int
    name: str
    id_number_masked: str
    team: str | None
    reason: str
    message_zh: str
    message_en: str


class ActivationCodesOut(BaseModel):
    project_id: int
    issued_at: dt.datetime
    expires_at: dt.datetime
    signup_url: str
    issued: list[IssuedCodeOut]
    skipped: list[SkippedWorkerOut]
    voided: int = Field(description="earlier unused codes the new ones replaced")


class ActivateIn(BaseModel):
    """A worker's sign-up: own ID number, the code from the slip, a new password."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(min_length=1, max_length=32)
    code: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)  # the policy: auth/rules.py


class ActivateOut(TokenOut):
    username: str = Field(description="sign in with this from now on")
    created: bool = Field(description="a new account (else the existing one's password was set)")
