"""Log lines: one JSON object each, with the request's fields; ID numbers, bank cards and
secrets masked wherever they appear."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from server.ops import logs


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("id 11010519491231002X seen", "id 110105********002X seen"),
        ("id 110105194912310021", "110105********0021"),
        ("港澳台 810000199408230021", "810000********0021"),
        ("2023 permanent 932682198501010017", "932682********0017"),
        ("old permanent USA110085020107", "USA110*****0107"),
        ("card 6222021234567890123 paid", "card 6222****0123 paid"),
        ("card 6222 0212 3456 7890 paid", "card 6222****7890 paid"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
    ],
)
def test_mask_text(raw: str, masked: str) -> None:
    assert masked in logs.mask_text(raw)
    assert logs.mask_text(logs.mask_text(raw)) == logs.mask_text(raw)  # masking twice: same


@pytest.mark.parametrize(
    "kept",
    [
        "2026-12-04T18:30:20Z",
        "seq 1234567 of gate GATE-0001-IN",
        "route=/api/v1/projects/{project_id} status=200 duration_ms=12.5",
        "3 rows, 11 columns",
    ],
)
def test_ordinary_text_is_kept(kept: str) -> None:
    assert logs.mask_text(kept) == kept


def test_mask_value_walks_structures_and_drops_secrets() -> None:
    got = logs.mask_value(
        {
            "password": "hunter2",
            "worker": {"id_number": "110105194912310021", "bank_card": 6222021234567890123},
            "headers": [("x-device-signature", "abc")],
            "SITEGATE_SECRET_KEY": "k",
            "count": 3,
        }
    )
    assert got["password"] == logs.MASK
    assert got["SITEGATE_SECRET_KEY"] == logs.MASK
    assert got["worker"] == {"id_number": "110105********0021", "bank_card": "6222****0123"}
    assert got["count"] == 3


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()
    logging.getLogger("uvicorn.access").disabled = False


def test_json_lines_from_structlog_and_stdlib(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("json", "INFO")
    with structlog.contextvars.bound_contextvars(request_id="r-1"):
        structlog.stdlib.get_logger("sitegate.request").info(
            "request", method="GET", route="/x/{id}", status=200, duration_ms=3.2,
            note="worker 110105194912310021", token="s3cret",
        )  # fmt: skip
    logging.getLogger("sitegate.payroll").warning("card %s refused", "6222021234567890123")
    try:
        raise ValueError("bad id 110105194912310021")
    except ValueError:
        logging.getLogger("sitegate.server").exception("unhandled")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 3
    first, second, third = lines
    assert first["event"] == "request"
    assert (first["request_id"], first["method"], first["route"], first["status"]) == (
        "r-1", "GET", "/x/{id}", 200
    )  # fmt: skip
    assert first["duration_ms"] == 3.2
    assert first["token"] == logs.MASK
    assert "110105194912310021" not in json.dumps(lines)
    assert "6222021234567890123" not in json.dumps(lines)
    assert second["event"] == "card 6222****0123 refused"
    assert (second["level"], second["logger"]) == ("warning", "sitegate.payroll")
    assert "ValueError" in third["exception"]
    assert "timestamp" in first


def test_unknown_format_is_a_user_error() -> None:
    with pytest.raises(logs.LogSettingsError) as err:
        logs.configure("xml")
    assert "json" in err.value.message_zh
