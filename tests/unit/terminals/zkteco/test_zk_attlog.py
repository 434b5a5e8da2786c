"""ATTLOG lines: the document's example body, malformed lines with their numbers, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zk_loopback import wall

from terminals.zkteco_push import protocol as zk

# The document's example upload (上传考勤记录 示例), first and last lines, tabs restored.
DOC_BODY = "1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0\n8965\t2015-07-30 15:16:37\t0\t1\t0\t0\t0"


class TestParseAttlog:
    def test_document_example(self) -> None:
        lines = zk.parse_attlog(DOC_BODY)
        assert [(x.pin, x.time, x.status, x.verify, x.workcode, x.reserved) for x in lines] == [
            ("1452", wall(2015, 7, 30, 15, 16, 28), 0, 1, "0", ("0", "0")),
            ("8965", wall(2015, 7, 30, 15, 16, 37), 0, 1, "0", ("0", "0")),
        ]
        assert [x.raw for x in lines] == DOC_BODY.split("\n")
        assert [x.line_no for x in lines] == [1, 2]

    def test_crlf_trailing_blank_lines_and_new_firmware_fields(self) -> None:
        body = (
            "7\t2026-03-02 07:30:00\t0\t15\t0\t0\t0\t1\t36.4\t97.5\t+28800\t\r\n"
            "8\t2026-03-02 07:31:00\t1\t4\r\n\r\n\n"
        )
        first, second = zk.parse_attlog(body)
        assert first.verify == zk.VERIFY_FACE
        assert first.reserved == ("0", "0", "1", "36.4", "97.5", "+28800", "")
        assert first.raw == "7\t2026-03-02 07:30:00\t0\t15\t0\t0\t0\t1\t36.4\t97.5\t+28800\t"
        assert (second.status, second.verify, second.workcode, second.reserved) == (1, 4, "0", ())
        assert second.line_no == 2

    def test_empty_body(self) -> None:
        assert zk.parse_attlog("") == []
        assert zk.parse_attlog("\r\n\n") == []

    @pytest.mark.parametrize(
        ("body", "line_no", "code", "message_en"),
        [
            ("1\t2015-07-30\t0\t1", 1, "zk.value.bad_time", "time must be YYYY-MM-DD HH:MM:SS"),
            ("1\t2015-02-30 10:00:00\t0\t1", 1, "zk.value.bad_time", "no such date/time"),
            (DOC_BODY + "\n9\t2015-07-30 15:16:37\tIN\t1", 3, "zk.value.bad_status", "Status must"),
            ("\n\n1\t2015-07-30 15:16:28\t0\tface", 3, "zk.value.bad_verify", "Verify must"),
            ("1\t2015-07-30 15:16:28\t0", 1, "zk.attlog.too_few_fields", "at least 4"),
            ("\t2015-07-30 15:16:28\t0\t1", 1, "zk.attlog.no_pin", "PIN is empty"),
            ("1 2015-07-30 15:16:28 0 1", 1, "zk.attlog.too_few_fields", "tab-separated"),
            ("1\t2015-07-30 15:16:28\t0\t\uff11", 1, "zk.value.bad_verify", "integer"),
        ],
    )
    def test_malformed_lines_are_named(
        self, body: str, line_no: int, code: str, message_en: str
    ) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_attlog(body)
        assert info.value.code == code
        assert info.value.line_no == line_no
        assert info.value.message_en.startswith(f"line {line_no}: ")
        assert message_en in info.value.message_en
        assert info.value.message_zh.startswith(f"第 {line_no} 行：")

    def test_several_bad_lines(self) -> None:
        body = "x\n" + DOC_BODY + "\ny\nz"
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_attlog(body)
        assert info.value.line_no == 1
        assert info.value.message_en.endswith("(and 2 more bad lines)")
        assert info.value.message_zh.endswith("（另有 2 行有误）")

    def test_split_keeps_the_good_lines(self) -> None:
        result = zk.split_attlog("x\n" + DOC_BODY + "\ny")
        assert [x.pin for x in result.lines] == ["1452", "8965"]
        assert [x.line_no for x in result.lines] == [2, 3]
        assert [e.line_no for e in result.errors] == [1, 4]


class TestFormatAttlog:
    def test_golden(self) -> None:
        lines = [
            zk.attlog_line("1452", wall(2015, 7, 30, 15, 16, 28), verify=1),
            zk.attlog_line("8965", wall(2015, 7, 30, 15, 16, 37), verify=1),
        ]
        assert zk.format_attlog(lines) == DOC_BODY

    def test_face_and_card_defaults(self) -> None:
        face = zk.attlog_line("7", wall(2026, 3, 2, 7, 30, 0).replace(microsecond=999))
        card = zk.attlog_line("7", wall(2026, 3, 2, 17, 0), status=1, verify=zk.VERIFY_CARD)
        assert face.raw == "7\t2026-03-02 07:30:00\t0\t15\t0\t0\t0"
        assert face.time == wall(2026, 3, 2, 7, 30, 0)
        assert card.raw == "7\t2026-03-02 17:00:00\t1\t4\t0\t0\t0"

    @pytest.mark.parametrize(("pin", "workcode"), [("1\t2", "0"), ("1", "0\n1"), ("", "0")])
    def test_values_that_would_break_the_line(self, pin: str, workcode: str) -> None:
        with pytest.raises(zk.ZkProtocolError):
            zk.attlog_line(pin, wall(2026, 3, 2, 7, 30), workcode=workcode)


_field = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)
_lines = st.builds(
    zk.attlog_line,
    pin=st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True),
    time=st.datetimes(min_value=wall(2000, 1, 1), max_value=wall(2099, 12, 31)),
    status=st.integers(-1, 255),
    verify=st.integers(0, 300),
    workcode=_field,
    reserved=st.lists(_field, max_size=8),
)


class TestRoundTrip:
    @given(st.lists(_lines, max_size=30))
    def test_parse_inverts_format(self, lines: list[zk.AttLogLine]) -> None:
        assert zk.parse_attlog(zk.format_attlog(lines)) == lines

    @given(st.lists(_lines, min_size=1, max_size=10), st.sampled_from(["\n", "\r\n"]))
    def test_line_endings_and_trailing_blank_lines(
        self, lines: list[zk.AttLogLine], eol: str
    ) -> None:
        body = eol.join(x.raw for x in lines) + eol * 2
        parsed = zk.parse_attlog(body)
        assert parsed == lines
        assert [x.line_no for x in parsed] == list(range(1, len(lines) + 1))
