"""One way for every CLI command to fail: a bilingual one-line message and exit code 1.

Any exception carrying `message_zh` and `message_en` (SiteGateError, ContractError, driver errors)
is shown as such; nothing of ours is imported here so every area's CLI can use it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True)


def is_user_error(exc: BaseException) -> bool:
    return hasattr(exc, "message_zh") and hasattr(exc, "message_en")


def report(exc: BaseException) -> None:
    zh = getattr(exc, "message_zh", str(exc))
    en = getattr(exc, "message_en", "")
    # soft_wrap: one line however long (a path, a row and column), never cut at 80 columns.
    err_console.print(
        f"[bold red]错误 / error:[/] {zh}" + (f" / {en}" if en else ""), soft_wrap=True
    )


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command so a user error exits 1 with its message instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except Exception as exc:
            if not is_user_error(exc):
                raise
            report(exc)
            raise typer.Exit(1) from None

    return wrapper
