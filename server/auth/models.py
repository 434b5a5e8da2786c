"""People's accounts, their project scope, sign-in sessions, device nonces, the audit log and the
workers' activation codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.enums import Role
from server.db.base import Base, BigId, IdMixin, TimestampMixin
from server.db.types import UTCDateTime, utcnow
from server.registry.models import str_enum


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    full_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    region: Mapped[str] = mapped_column(String(64), default="")  # inspectors: their region
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("worker.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when an admin gives out a temporary password: until the owner picks their own, the
    # account may only change its password (API 403 auth.password_change_required).
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class UserProject(IdMixin, Base):
    """Projects a site manager or inspector may see."""

    __tablename__ = "user_project"
    __table_args__ = (UniqueConstraint("user_id", "project_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))


class AuthSession(IdMixin, Base):
    """An opaque bearer token / cookie session; only its SHA-256 is stored."""

    __tablename__ = "auth_session"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AuthThrottle(Base):
    """Failed attempts under one key: a client address, an account from one address, an account
    from addresses it never signed in from, or provisioning from one address (auth/throttle.py).
    A table rather than process memory, so every server process counts alike."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class KnownAddress(IdMixin, Base):
    """A client address an account signed in from: an attack on the account from elsewhere
    does not block its owner there."""

    __tablename__ = "auth_known_address"
    __table_args__ = (UniqueConstraint("user_id", "address"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(64))
    last_success_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeviceNonce(IdMixin, Base):
    """Nonces seen inside the freshness window: a replayed signed request is refused."""

    __tablename__ = "device_nonce"
    __table_args__ = (UniqueConstraint("device_id", "nonce"),)

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class AuditLog(IdMixin, Base):
    """Every change made by a person: who, what, when, before/after."""

    __tablename__ = "audit_log"

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(BigId, index=True)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(BigId)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ActivationCode(IdMixin, Base):
    """A one-time code a worker signs up with (ID number + code), issued by the site office for
    one project. Only an HMAC of the code is stored (auth/activation.py): the code is shown
    once, on the printed slip. A newer code for the worker voids an unused older one."""

    __tablename__ = "activation_code"

    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The account the code created (or whose password it set), once used.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
