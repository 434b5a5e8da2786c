"""Commands (getrequest answers) and their results (devicecmd bodies): exact text, refusal of
values that would inject fields or commands, and round trips."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminals.zkteco_push import commands as zk_commands
from terminals.zkteco_push import protocol as zk

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\xff\xd9"
B64 = base64.b64encode(JPEG).decode()


class TestFormatCommand:
    @pytest.mark.parametrize(
        ("cmd_id", "command", "line"),
        [
            (
                101,
                zk.UpdateUser("982", "张三", card="123456789"),
                "C:101:DATA UPDATE USERINFO PIN=982\tName=张三\tPri=0\tPasswd=\tCard=123456789"
                "\tGrp=1\tTZ=0000000000000000",
            ),
            (
                "a7",
                zk.UpdateUser(
                    "7", "Li Si", card="[15CD5B07]", privilege=14, password="1234", group=2
                ),
                "C:a7:DATA UPDATE USERINFO PIN=7\tName=Li Si\tPri=14\tPasswd=1234\tCard=[15CD5B07]"
                "\tGrp=2\tTZ=0000000000000000",
            ),
            (
                102,
                zk.UpdateBioPhoto("982", JPEG),
                f"C:102:DATA UPDATE BIOPHOTO PIN=982\tType=9\tSize={len(B64)}\tContent={B64}"
                "\tFormat=0",
            ),
            (
                103,
                zk.UpdateBioPhoto("982", url="iclock/file/982.jpg"),
                "C:103:DATA UPDATE BIOPHOTO PIN=982\tType=9\tFormat=1\tUrl=iclock/file/982.jpg",
            ),
            (
                104,
                zk.UpdateUserPic("982", JPEG),
                f"C:104:DATA UPDATE USERPIC PIN=982\tSize={len(B64)}\tContent={B64}",
            ),
            (105, zk.DeleteUser("982"), "C:105:DATA DELETE USERINFO PIN=982"),
            (106, zk.DeleteBioPhoto("982"), "C:106:DATA DELETE BIOPHOTO PIN=982\tType=9"),
            (107, zk.DeleteUserPic("982"), "C:107:DATA DELETE USERPIC PIN=982"),
            (108, zk.OtherCommand("REBOOT", "REBOOT"), "C:108:REBOOT"),
        ],
    )
    def test_golden(self, cmd_id: str | int, command: zk.Command, line: str) -> None:
        assert zk.format_command(cmd_id, command) == line
        assert zk.parse_command(line).cmd_id == str(cmd_id)

    def test_size_is_the_base64_length(self) -> None:
        assert len(B64) == 20
        assert len(JPEG) == 13
        assert "\tSize=20\t" in zk.format_command(1, zk.UpdateBioPhoto("1", JPEG))

    def test_several_commands_and_none(self) -> None:
        body = zk.format_commands([(1, zk.UpdateUser("1", "a")), (2, zk.DeleteUser("2"))])
        assert body == (
            "C:1:DATA UPDATE USERINFO PIN=1\tName=a\tPri=0\tPasswd=\tCard=\tGrp=1"
            "\tTZ=0000000000000000\nC:2:DATA DELETE USERINFO PIN=2"
        )
        assert zk.format_commands([]) == "OK"

    @pytest.mark.parametrize(
        "command",
        [
            zk.UpdateUser("1", "张三\tPri=14"),  # a tab would add a field: privilege escalation
            zk.UpdateUser("1", "张三\nC:999:DATA DELETE USERINFO PIN=2"),  # a second command
            zk.UpdateUser("1", "张三\r"),
            zk.UpdateUser("1", "x", card="123\t456"),
            zk.UpdateUser("1", "x", card="1\x00"),
            zk.UpdateUser("1", "x", password="\x1b[2J"),
            zk.UpdateUser("1 2", "x"),
            zk.UpdateUser("1\tName=y", "x"),
            zk.UpdateUser("", "x"),
            zk.DeleteUser("2\nC:1:REBOOT"),
            zk.UpdateBioPhoto("1", url="a\tb"),
            zk.OtherCommand("SET", "SET OPTION Delay=1\nC:2:REBOOT"),
        ],
    )
    def test_values_never_become_code(self, command: zk.Command) -> None:
        with pytest.raises(zk.ZkProtocolError):
            zk.format_command(1, command)

    @pytest.mark.parametrize("cmd_id", ["", "a:b", "1 2", "x" * 17, "1\n"])
    def test_bad_command_id(self, cmd_id: str) -> None:
        with pytest.raises(zk.ZkProtocolError, match="CmdID"):
            zk.format_command(cmd_id, zk.DeleteUser("1"))


class TestParseCommand:
    def test_document_style_user(self) -> None:
        # The document spells the password key Password= in one place and Passwd= in another.
        line = "C:info8487:DATA UPDATE USERINFO PIN=3\tName=王五\tPri=0\tPassword=9\tCard=77\tGrp=1"
        assert zk.parse_command(line) == zk.IssuedCommand(
            "info8487",
            zk.UpdateUser("3", "王五", card="77", password="9", timezones="0000000000000000"),
        )

    def test_photo_keeps_the_size_it_was_sent_with(self) -> None:
        issued = zk.parse_command(f"C:9:DATA UPDATE BIOPHOTO PIN=1\tType=9\tSize=99\tContent={B64}")
        assert issued.command == zk.UpdateBioPhoto("1", JPEG, size=99)

    def test_url_photo(self) -> None:
        issued = zk.parse_command("C:9:DATA UPDATE USERPIC PIN=1\tFormat=1\tUrl=x/1.jpg")
        assert issued.command == zk.UpdateUserPic("1", b"", "x/1.jpg")

    def test_other_commands(self) -> None:
        assert zk.parse_command("C:5:REBOOT").command == zk.OtherCommand("REBOOT", "REBOOT")
        query = zk.parse_command("C:6:DATA QUERY USERINFO PIN=1").command
        assert query == zk.OtherCommand("DATA", "DATA QUERY USERINFO PIN=1")
        assert zk.result_cmd(query) == "DATA"

    @pytest.mark.parametrize(
        ("line", "code"),
        [
            ("DATA UPDATE USERINFO PIN=1", "zk.command.bad_line"),
            ("C:1", "zk.command.bad_line"),
            ("C::REBOOT", "zk.command.bad_line"),
            ("X:1:REBOOT", "zk.command.bad_line"),
            ("C:1:DATA UPDATE USERINFO Name=x", "zk.command.no_pin"),
            ("C:1:DATA UPDATE USERINFO PIN=1\tPri=boss", "zk.value.bad_pri"),
            ("C:1:DATA UPDATE BIOPHOTO PIN=1\tContent=not base64!", "zk.command.bad_base64"),
            ("C:1:DATA DELETE BIOPHOTO PIN=1\tType=face", "zk.value.bad_type"),
        ],
    )
    def test_malformed(self, line: str, code: str) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_commands("C:0:REBOOT\n" + line)
        assert (info.value.code, info.value.line_no) == (code, 2)

    def test_no_commands(self) -> None:
        assert zk.parse_commands("OK") == []
        assert zk.parse_commands("OK\r\n") == []
        assert zk.parse_commands("") == []


class TestCardNumber:
    @pytest.mark.parametrize(
        ("card", "number"),
        [("[15CD5B07]", "123456789"), ("123456789", "123456789"), ("00123", "123"), ("", "")],
    )
    def test_both_document_forms(self, card: str, number: str) -> None:
        assert zk_commands.card_number(card) == number


class TestCommandResults:
    def test_golden(self) -> None:
        assert zk.format_command_result("101", 0) == "ID=101&Return=0&CMD=DATA"
        assert zk.format_command_result("9", -1002, "REBOOT") == "ID=9&Return=-1002&CMD=REBOOT"

    def test_document_example(self) -> None:
        body = (
            "ID=info8487&Return=0&CMD=DATA\nID=info8488&Return=0&CMD=DATA\n"
            "ID=info8489&Return=0&CMD=DATA\nID=info7464&Return=0&CMD=DATA\n"
            "ID=fp7464&Return=-10&CMD=DATA\n"
        )
        results = zk.parse_command_results(body)
        assert [(r.cmd_id, r.return_code, r.cmd, r.ok) for r in results] == [
            ("info8487", 0, "DATA", True),
            ("info8488", 0, "DATA", True),
            ("info8489", 0, "DATA", True),
            ("info7464", 0, "DATA", True),
            ("fp7464", -10, "DATA", False),
        ]
        assert [r.line_no for r in results] == [1, 2, 3, 4, 5]

    def test_extra_fields_and_following_lines(self) -> None:
        body = (
            "ID=3&Return=0&CMD=VERIFY SUM&StartTime=2026-03-01 00:00:00&AttlogSum=12\r\n"
            "ID=4&Return=0&CMD=INFO\n~DeviceName=SpeedFace-V5L\nMAC=00:17:61:12:34:56\n"
        )
        verify, info = zk.parse_command_results(body)
        assert dict(verify.extra) == {"STARTTIME": "2026-03-01 00:00:00", "ATTLOGSUM": "12"}
        assert info.detail == ("~DeviceName=SpeedFace-V5L", "MAC=00:17:61:12:34:56")

    @pytest.mark.parametrize(
        ("body", "code", "line_no"),
        [
            ("Return=0&CMD=DATA", "zk.result.bad_line", 1),
            ("ID=1&Return=0&CMD=DATA\nID=2&CMD=DATA", "zk.result.no_return", 2),
            ("ID=1&Return=ok&CMD=DATA", "zk.value.bad_return", 1),
            ("\nID=&Return=0&CMD=DATA", "zk.result.no_id", 2),
        ],
    )
    def test_malformed(self, body: str, code: str, line_no: int) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_command_results(body)
        assert (info.value.code, info.value.line_no) == (code, line_no)

    @pytest.mark.parametrize(("cmd_id", "cmd"), [("1&Return=0", "DATA"), ("1", "DATA\nID=2")])
    def test_format_refuses_injection(self, cmd_id: str, cmd: str) -> None:
        with pytest.raises(zk.ZkProtocolError):
            zk.format_command_result(cmd_id, 0, cmd)


_value = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
_pin = st.from_regex(r"[A-Za-z0-9]{1,24}", fullmatch=True)
_users = st.builds(
    zk.UpdateUser,
    pin=_pin,
    name=_value,
    card=_value,
    privilege=st.sampled_from([0, 2, 6, 10, 14]),
    password=_value,
    group=st.integers(0, 99),
    timezones=st.from_regex(r"[0-9]{16}", fullmatch=True),
)
_ids = st.from_regex(r"[A-Za-z0-9]{1,16}", fullmatch=True)


class TestRoundTrip:
    @given(_ids, _users)
    def test_user(self, cmd_id: str, command: zk.UpdateUser) -> None:
        assert zk.parse_command(zk.format_command(cmd_id, command)) == zk.IssuedCommand(
            cmd_id, command
        )

    @given(_ids, _pin, st.binary(max_size=300), st.booleans())
    def test_photos(self, cmd_id: str, pin: str, content: bytes, bio: bool) -> None:
        size = len(base64.b64encode(content))  # what the parsed command says it was sent with
        command: zk.Command
        expected: zk.Command
        if bio:
            command, expected = (
                zk.UpdateBioPhoto(pin, content),
                zk.UpdateBioPhoto(pin, content, size=size),
            )
        else:
            command, expected = (
                zk.UpdateUserPic(pin, content),
                zk.UpdateUserPic(pin, content, size=size),
            )
        assert zk.parse_command(zk.format_command(cmd_id, command)).command == expected

    @given(st.lists(st.tuples(_ids, _users), max_size=8))
    def test_a_whole_answer(self, batch: list[tuple[str, zk.UpdateUser]]) -> None:
        parsed = zk.parse_commands(zk.format_commands(batch))
        assert [(c.cmd_id, c.command) for c in parsed] == batch

    @given(_pin, _value, st.characters(categories=["Cc"]))
    def test_any_control_character_is_refused(self, pin: str, name: str, bad: str) -> None:
        with pytest.raises(zk.ZkProtocolError):
            zk.format_command(1, zk.UpdateUser(pin, name + bad + name))

    @given(st.lists(st.tuples(_ids, st.integers(-2000, 2000)), max_size=10))
    def test_results(self, pairs: list[tuple[str, int]]) -> None:
        body = "\n".join(zk.format_command_result(i, r) for i, r in pairs)
        assert [(r.cmd_id, r.return_code, r.cmd) for r in zk.parse_command_results(body)] == [
            (i, r, "DATA") for i, r in pairs
        ]
