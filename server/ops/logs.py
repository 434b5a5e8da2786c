"""Logs: one JSON object per line (SITEGATE_LOG_FORMAT=json) or readable lines (console), for
the server and every `sitegate` command, structlog's and the standard library's loggers alike.

Whatever a log line says, ID numbers, bank card numbers and secrets never reach it: the last
processor before rendering masks them in every value (tracebacks too), the way RULES.md shows ID
numbers (first 6 + last 4), and drops the value of any key that names a secret.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

# 18-character resident / residence-permit / 2023 permanent-residence numbers, and the older
# 15-character foreigner's permanent-residence card (three letters, twelve digits).
_ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])([A-Z]{3}\d{3})\d{5}(\d{4})(?![0-9A-Za-z])")
# Bank card numbers (12-19 digits, spaces or dashes allowed between groups of four).
_CARD = re.compile(r"(?<!\d)(\d{4})(?:[ -]?\d){4,11}([ -]?\d{4})(?!\d)")
_BEARER = re.compile(r"(?i)\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]+")
_SECRET_KEYS = re.compile(
    r"(?i)(pass(word)?|secret|token|api[_-]?key|private|authorization|cookie|signature|"
    r"credential|session)"
)
MASK = "***"
FORMATS = ("console", "json")


class LogSettingsError(ValueError):
    def __init__(self, fmt: str) -> None:
        self.message_zh = f"SITEGATE_LOG_FORMAT 只能是 json 或 console,不是 {fmt!r}"
        self.message_en = f"SITEGATE_LOG_FORMAT must be json or console, not {fmt!r}"
        super().__init__(self.message_en)


def mask_text(text: str) -> str:
    text = _ID18.sub(lambda m: f"{m.group(1)}********{m.group(2)[-4:]}", text)
    text = _ID15.sub(lambda m: f"{m.group(1)}*****{m.group(2)}", text)
    text = _CARD.sub(lambda m: f"{m.group(1)}****{m.group(2)[-4:]}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def mask_value(value: Any, key: str = "") -> Any:
    if key and _SECRET_KEYS.search(key):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10**11:
        return mask_text(str(value))  # a card or ID number passed as a number
    return value


def mask_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    """structlog processor: mask every value of the event (keys kept)."""
    for key in list(event):
        if key in ("level", "timestamp", "logger"):
            continue
        event[key] = mask_value(event[key], "" if key == "event" else key)
    return event


def configure(fmt: str = "console", level: str = "INFO") -> None:
    """Route structlog and standard logging through one handler on stderr."""
    if fmt not in FORMATS:
        raise LogSettingsError(fmt)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    json_lines = fmt == "json"
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if json_lines else _keep,
            mask_event,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv = logging.getLogger(name)
        uv.handlers = []
        uv.propagate = True
    # Our request log says the same with the route template and request id; uvicorn's access
    # line would repeat the raw path (with its query string) on every request.
    logging.getLogger("uvicorn.access").disabled = True


def _keep(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    return event


def route_to_stdlib() -> None:
    """Until `configure` runs (tests, an embedding program), structlog's events go to standard
    logging as plain records, so they follow whatever handlers the host set up."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            mask_event,
            structlog.stdlib.render_to_log_kwargs,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
