"""Registration (options block), query parameters and answers, against the document's examples."""

from __future__ import annotations

import pytest

from terminals.zkteco_push import protocol as zk

# The document's example answer (考勤PUSH 初始化信息交互 示例), with this codec's defaults for the
# keys the example leaves out of its TransFlag and with Encrypt=0.
GOLDEN_OPTIONS = (
    "GET OPTION FROM: 0316144680030\n"
    "ATTLOGStamp=None\n"
    "OPERLOGStamp=9999\n"
    "ATTPHOTOStamp=None\n"
    "ErrorDelay=30\n"
    "Delay=10\n"
    "TransTimes=00:00;14:05\n"
    "TransInterval=1\n"
    "TransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic"
    "\tFACE\tBioPhoto\n"
    "TimeZone=8\n"
    "Realtime=1\n"
    "Encrypt=0"
)


class TestOptionsBlock:
    def test_golden(self) -> None:
        assert zk.options_block("0316144680030", attlog_stamp="None", operlog_stamp=9999) == (
            GOLDEN_OPTIONS
        )

    def test_every_knob_and_extra_keys(self) -> None:
        text = zk.options_block(
            "AB12",
            attlog_stamp=0,
            operlog_stamp=5,
            attphoto_stamp=7,
            error_delay=60,
            delay=3,
            trans_times="08:00",
            trans_interval=0,
            trans_flag="1111000000",
            timezone=330,
            realtime=0,
            encrypt=1,
            extra={"ServerVer": "2.4.1", "PushProtVer": "2.4.1"},
        )
        assert text == (
            "GET OPTION FROM: AB12\nATTLOGStamp=0\nOPERLOGStamp=5\nATTPHOTOStamp=7\n"
            "ErrorDelay=60\nDelay=3\nTransTimes=08:00\nTransInterval=0\nTransFlag=1111000000\n"
            "TimeZone=330\nRealtime=0\nEncrypt=1\nServerVer=2.4.1\nPushProtVer=2.4.1"
        )

    @pytest.mark.parametrize("sn", ["", "AB 12", "AB\n12", "../etc", "X" * 33])
    def test_bad_serial_number(self, sn: str) -> None:
        with pytest.raises(zk.ZkProtocolError, match="SN"):
            zk.options_block(sn, attlog_stamp=0, operlog_stamp=0)

    def test_line_break_in_a_value_is_refused(self) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.options_block("AB12", attlog_stamp="0\nDelay=1", operlog_stamp=0)
        assert info.value.code == "zk.options.bad_value"


class TestParseOptionsBlock:
    def test_golden(self) -> None:
        options = zk.parse_options_block(GOLDEN_OPTIONS)
        assert options.sn == "0316144680030"
        assert (options.attlog_stamp, options.operlog_stamp, options.attphoto_stamp) == (
            "None",
            "9999",
            "None",
        )
        assert (options.error_delay, options.delay, options.trans_interval) == (30, 10, 1)
        assert options.trans_times == ("00:00", "14:05")
        assert options.trans_flag.startswith("TransData AttLog\tOpLog\t")
        assert options.timezone == 8
        assert options.utc_offset_minutes == 480
        assert options.realtime is True
        assert options.encrypt == "0"

    def test_crlf_and_an_old_server_with_short_keys(self) -> None:
        body = "GET OPTION FROM: AB12\r\nStamp=82983982\r\nOpStamp=9999\r\nDelay=30\r\n\r\n"
        options = zk.parse_options_block(body)
        assert (options.attlog_stamp, options.operlog_stamp, options.delay) == (
            "82983982",
            "9999",
            30,
        )
        assert options.error_delay == 30  # default

    def test_half_hour_zone_in_minutes(self) -> None:
        body = zk.options_block("AB12", attlog_stamp=0, operlog_stamp=0, timezone=330)
        assert zk.parse_options_block(body).utc_offset_minutes == 330

    def test_round_trip(self) -> None:
        body = zk.options_block("AB12", attlog_stamp=12, operlog_stamp="None", delay=2)
        options = zk.parse_options_block(body)
        assert (options.attlog_stamp, options.operlog_stamp, options.delay) == ("12", "None", 2)
        assert dict(options.raw)["TransTimes"] == "00:00;14:05"

    def test_no_header(self) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_options_block("OK\n")
        assert info.value.line_no == 1
        assert "GET OPTION FROM" in info.value.message_en

    def test_not_a_number_names_the_line(self) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_options_block("GET OPTION FROM: AB12\nATTLOGStamp=1\nDelay=ten\n")
        assert info.value.line_no == 3
        assert info.value.message_en == "line 3: Delay must be an integer: 'ten'"
        assert info.value.message_zh == "第 3 行：Delay 应为整数：'ten'"

    def test_line_without_equals(self) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_options_block("GET OPTION FROM: AB12\nDelay\n")
        assert (info.value.code, info.value.line_no) == ("zk.options.bad_line", 2)


class TestQuery:
    def test_registration(self) -> None:
        query = zk.parse_query(
            {"SN": "0316144680030", "options": "all", "pushver": "2.2.14", "language": "83"}
        )
        assert query == zk.IclockQuery("0316144680030", None, None, True, "2.2.14", ())

    def test_upload(self) -> None:
        query = zk.parse_query({"SN": "AB12", "table": "attlog", "Stamp": "9999"})
        assert (query.table, query.stamp, query.wants_options) == ("ATTLOG", "9999", False)

    def test_info(self) -> None:
        params = {"SN": "AB12", "INFO": "Ver 2.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111"}
        assert zk.parse_query(params).info[0] == "Ver 2.0.12-20150625"
        assert zk.parse_query(params).info[-1] == "111"

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({}, "zk.query.no_sn"),
            ({"SN": " "}, "zk.query.no_sn"),
            ({"SN": "A;B"}, "zk.value.bad_sn"),
        ],
    )
    def test_bad_sn(self, params: dict[str, str], code: str) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.query_sn(params)
        assert info.value.code == code

    def test_lowercase_sn_accepted(self) -> None:
        assert zk.query_sn({"sn": "AB12"}) == "AB12"

    def test_helpers(self) -> None:
        assert zk.query_table({"SN": "A"}) is None
        assert zk.query_stamp({"SN": "A"}) is None
        assert zk.query_wants_options({"options": "ALL"}) is True
        assert zk.query_wants_options({}) is False


class TestAnswers:
    def test_ok(self) -> None:
        assert zk.ok_answer(9) == "OK: 9"
        assert zk.ok_answer() == "OK"

    @pytest.mark.parametrize(
        ("body", "n"), [("OK: 9", 9), ("OK:9", 9), ("OK:9\n", 9), ("OK", -1), ("OK\r\n", -1)]
    )
    def test_parse_ok(self, body: str, n: int) -> None:
        assert zk.parse_ok_answer(body) == n

    @pytest.mark.parametrize("body", ["", "ERROR", "Unknown device", "OK: nine", "<html>"])
    def test_not_ok(self, body: str) -> None:
        assert zk.parse_ok_answer(body) is None

    def test_error_answer_never_reads_as_ok(self) -> None:
        assert zk.error_answer("database\nbusy") == "database busy"
        assert zk.parse_ok_answer(zk.error_answer("OK then")) is None
