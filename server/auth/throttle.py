"""Throttling of failed sign-ins and provisioning attempts, by client address as well as account.

Four counters, each a row of `auth_throttle` (so every server process sees the same counts):

- `addr:<address>` — failed sign-ins from one address, whatever the username (password spraying);
- `pair:<username>|<address>` — one account from one address: the classic lockout, but only
  for the address that failed, so a stranger cannot lock the owner out from elsewhere;
- `acct:<user id>` — one account from addresses it never signed in from (a distributed guess):
  addresses where the owner signed in before (`auth_known_address`) are not held by it;
- `prov:<address>` — wrong provisioning codes from one address.

A worker's activation (ID number + one-time code, auth/activation.py) counts as a sign-in: a
wrong attempt adds to `addr:<address>` and to `pair:<ID number>|<address>` (the ID number is the
account's username once it exists), so neither codes nor passwords can be tried faster by
alternating between the two forms. There is no count per worker over every address: with 31**8
codes, per-address limits already make a guess hopeless, and such a count would let a stranger
keep a worker from activating.

Every block ends (rules.Limit doubles it up to a ceiling) and a success clears the pair's count.
Blocked attempts answer 429 with Retry-After and do not verify the password at all.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.requests import Request

from server.auth import rules
from server.auth.models import AuthThrottle, KnownAddress, User
from server.config import Settings
from server.errors import SiteGateError

# An address a sign-in succeeded from stays "known" this long.
KNOWN_FOR = dt.timedelta(days=90)


class TooManyAttemptsError(SiteGateError):
    code = "auth.too_many_attempts"
    status_code = 429

    def __init__(self, zh: str, en: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(zh, en, code=code)
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


@dataclass(frozen=True)
class Limits:
    address: rules.Limit
    pair: rules.Limit
    account: rules.Limit
    provisioning: rules.Limit


def limits_of(settings: Settings) -> Limits:
    return Limits(
        address=rules.Limit(
            settings.login_address_max_failures,
            settings.login_window_s,
            settings.login_address_block_s,
            settings.login_max_block_s,
        ),
        pair=rules.Limit(
            settings.login_max_failures,
            settings.login_window_s,
            settings.login_lockout_s,
            settings.login_max_block_s,
        ),
        account=rules.Limit(
            settings.login_account_max_failures,
            settings.login_window_s,
            settings.login_address_block_s,
            settings.login_max_block_s,
        ),
        provisioning=rules.Limit(
            settings.provision_max_failures,
            settings.login_window_s,
            settings.login_address_block_s,
            settings.login_max_block_s,
        ),
    )


def client_address(request: Request) -> str:
    """The caller's address as the ASGI server saw it. Behind a reverse proxy, run uvicorn with
    --proxy-headers and --forwarded-allow-ips set to the proxy, so this is the real client's."""
    return request.client.host if request.client else "unknown"


def _address_key(address: str) -> str:
    return f"addr:{address}"[:200]


def _pair_key(username: str, address: str) -> str:
    return f"pair:{username.strip().lower()}|{address}"[:200]


def _account_key(user_id: int) -> str:
    return f"acct:{user_id}"


def _provision_key(address: str) -> str:
    return f"prov:{address}"[:200]


def _load(session: Session, key: str) -> rules.Counter:
    row = session.get(AuthThrottle, key)
    if row is None:
        return rules.Counter()
    return rules.Counter(row.failures, row.window_started_at, row.blocked_until, row.strikes)


def _lock_row(session: Session, key: str, user_id: int | None, now: dt.datetime) -> AuthThrottle:
    """The counter's row, created if missing, locked for this transaction (PostgreSQL: two
    processes counting the same key must not lose a failure; SQLite writes are serialised)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(AuthThrottle)
        .values(key=key, user_id=user_id, failures=0, strikes=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.scalar(
        select(AuthThrottle)
        .where(AuthThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None  # noqa: S101 - inserted just above
    return row


def _fail(
    session: Session, key: str, limit: rules.Limit, now: dt.datetime, user_id: int | None = None
) -> int:
    """Count one failure under `key`; the seconds it is now blocked for (0: not blocked)."""
    row = _lock_row(session, key, user_id, now)
    current = rules.Counter(row.failures, row.window_started_at, row.blocked_until, row.strikes)
    after = rules.record_failure(current, limit, now)
    row.failures = after.failures
    row.window_started_at = after.window_started_at
    row.blocked_until = after.blocked_until
    row.strikes = after.strikes
    row.updated_at = now
    session.flush()
    return rules.blocked_for(after, now)


def _refuse(wait: int, *, who: str) -> TooManyAttemptsError:
    if who == "address":
        return TooManyAttemptsError(
            f"此地址登录失败次数过多,请 {wait} 秒后再试",
            f"too many failed sign-ins from this address, try again in {wait} s",
            retry_after_s=wait,
        )
    if who == "activation":
        return TooManyAttemptsError(
            f"开通账号失败次数过多,请 {wait} 秒后再试",
            f"too many failed activations, try again in {wait} s",
            retry_after_s=wait,
            code="auth.activation_locked",
        )
    if who == "provisioning":
        return TooManyAttemptsError(
            f"激活码错误次数过多,请 {wait} 秒后再试",
            f"too many wrong provisioning codes, try again in {wait} s",
            retry_after_s=wait,
            code="device.too_many_attempts",
        )
    return TooManyAttemptsError(
        f"登录失败次数过多,请 {wait} 秒后再试",
        f"too many failed sign-ins, try again in {wait} s",
        retry_after_s=wait,
        code="auth.locked",
    )


def is_known(session: Session, user_id: int, address: str, now: dt.datetime) -> bool:
    seen = session.scalar(
        select(KnownAddress.last_success_at).where(
            KnownAddress.user_id == user_id, KnownAddress.address == address
        )
    )
    return seen is not None and now - seen <= KNOWN_FOR


def check_sign_in(
    session: Session, *, username: str, user: User | None, address: str, now: dt.datetime
) -> None:
    """Raise TooManyAttemptsError before the password is even looked at, if any counter that
    applies to this attempt is blocked."""
    wait = rules.blocked_for(_load(session, _address_key(address)), now)
    if wait:
        raise _refuse(wait, who="address")
    wait = rules.blocked_for(_load(session, _pair_key(username, address)), now)
    if wait:
        raise _refuse(wait, who="account")
    if user is not None and not is_known(session, user.id, address, now):
        wait = rules.blocked_for(_load(session, _account_key(user.id)), now)
        if wait:
            raise _refuse(wait, who="account")


def sign_in_failed(
    session: Session,
    settings: Settings,
    *,
    username: str,
    user: User | None,
    address: str,
    now: dt.datetime,
) -> int:
    """Count a failed password; the seconds the account is now blocked for at this address
    (0: not blocked). Unknown usernames count too, under the name tried, so the answer does
    not tell which accounts exist."""
    limits = limits_of(settings)
    _fail(session, _address_key(address), limits.address, now)
    user_id = user.id if user is not None else None
    pair_wait = _fail(session, _pair_key(username, address), limits.pair, now, user_id)
    if user is not None and not is_known(session, user.id, address, now):
        _fail(session, _account_key(user.id), limits.account, now, user.id)
    if secrets.randbelow(100) == 0:  # now and then, forget counters nobody has touched for long
        prune(session, now, older_than=dt.timedelta(days=1))
    return pair_wait


def sign_in_succeeded(session: Session, *, user: User, address: str, now: dt.datetime) -> None:
    session.execute(
        delete(AuthThrottle).where(AuthThrottle.key == _pair_key(user.username, address))
    )
    known = session.scalar(
        select(KnownAddress).where(KnownAddress.user_id == user.id, KnownAddress.address == address)
    )
    if known is None:
        session.add(KnownAddress(user_id=user.id, address=address[:64], last_success_at=now))
    else:
        known.last_success_at = now
    session.flush()


def clear_account(session: Session, user: User) -> None:
    """An admin's password reset lifts every block on the account (not the address counters)."""
    session.execute(delete(AuthThrottle).where(AuthThrottle.user_id == user.id))
    session.execute(
        delete(AuthThrottle).where(AuthThrottle.key.like(f"pair:{user.username.lower()}|%"))
    )


def locked_until(session: Session, user_id: int, now: dt.datetime) -> dt.datetime | None:
    """The latest block on the account from any address, for the admins' list."""
    until = session.scalar(
        select(AuthThrottle.blocked_until)
        .where(AuthThrottle.user_id == user_id, AuthThrottle.blocked_until > now)
        .order_by(AuthThrottle.blocked_until.desc())
        .limit(1)
    )
    return until


def check_activation(session: Session, *, id_number: str, address: str, now: dt.datetime) -> None:
    """Raise TooManyAttemptsError before the code is looked at, as check_sign_in does."""
    for key in (_address_key(address), _pair_key(id_number, address)):
        wait = rules.blocked_for(_load(session, key), now)
        if wait:
            raise _refuse(wait, who="activation")


def activation_failed(
    session: Session, settings: Settings, *, id_number: str, address: str, now: dt.datetime
) -> int:
    """Count a failed activation like a failed sign-in of the ID number; the seconds it is now
    blocked for at this address (0: not blocked). Unknown ID numbers count alike."""
    limits = limits_of(settings)
    _fail(session, _address_key(address), limits.address, now)
    return _fail(session, _pair_key(id_number, address), limits.pair, now)


def activation_succeeded(session: Session, *, id_number: str, address: str) -> None:
    session.execute(delete(AuthThrottle).where(AuthThrottle.key == _pair_key(id_number, address)))


def check_provisioning(session: Session, *, address: str, now: dt.datetime) -> None:
    wait = rules.blocked_for(_load(session, _provision_key(address)), now)
    if wait:
        raise _refuse(wait, who="provisioning")


def provisioning_failed(
    session: Session, settings: Settings, *, address: str, now: dt.datetime
) -> None:
    _fail(session, _provision_key(address), limits_of(settings).provisioning, now)


def prune(session: Session, now: dt.datetime, *, older_than: dt.timedelta) -> int:
    """Forget counters untouched for `older_than` (and no longer blocking)."""
    cutoff = now - older_than
    result = session.execute(
        delete(AuthThrottle).where(
            AuthThrottle.updated_at < cutoff,
            (AuthThrottle.blocked_until.is_(None)) | (AuthThrottle.blocked_until < now),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
