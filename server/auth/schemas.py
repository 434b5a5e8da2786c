from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.enums import Role


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


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=128)
    role: Role
    full_name: str = Field(default="", max_length=64)
    region: str = Field(default="", max_length=64)
    worker_id: int | None = None
    project_ids: list[int] = Field(default_factory=list)
