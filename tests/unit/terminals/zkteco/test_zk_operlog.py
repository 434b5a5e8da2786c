"""OPERLOG lines: operations, users, photos and templates, unknown kinds kept raw."""

from __future__ import annotations

import base64

import pytest
from zk_loopback import wall

from terminals.zkteco_push import protocol as zk

JPEG = b"\xff\xd8\xff\xe0face\xff\xd9"
PHOTO = base64.b64encode(JPEG).decode()

BODY = (
    "OPLOG 4\t14\t2015-07-30 10:22:34\t0\t0\t0\t0\n"
    "USER PIN=982\tName=张三\tPri=0\tPasswd=\tCard=[15CD5B07]\tGrp=1\tTZ=0000000000000000"
    "\tVerify=0\n"
    "FACE PIN=982\tFID=0\tValid=1\tSize=4\tTMP=AAAA\n"
    f"BIOPHOTO PIN=982\tFileName=982.jpg\tType=9\tNo=0\tIndex=0\tSize={len(PHOTO)}"
    f"\tContent={PHOTO}\n"
    f"USERPIC PIN=982\tFileName=982.jpg\tSize={len(PHOTO)}\tContent={PHOTO}\n"
    "BIODATA Pin=982\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=58\tMinorVer=12"
    "\tFormat=0\tTmp=AAAA\n"
    "IDCARD PIN=0\tIDNum=110101199003070011\n"
)


class TestParseOperlog:
    def test_every_kind(self) -> None:
        oplog, user, face, biophoto, userpic, biodata, idcard = zk.parse_operlog(BODY)
        assert oplog == zk.OpLogRecord(
            4, "14", wall(2015, 7, 30, 10, 22, 34), ("0", "0", "0", "0"), BODY.split("\n")[0]
        )
        assert isinstance(user, zk.UserRecord)
        assert (user.pin, user.name, user.privilege, user.card, user.group) == (
            "982",
            "张三",
            0,
            "[15CD5B07]",
            "1",
        )
        assert user.fields["VERIFY"] == "0"
        assert isinstance(face, zk.BiometricRecord)
        assert (face.kind, face.pin, face.data) == ("FACE", "982", b"\x00\x00\x00")
        assert isinstance(biophoto, zk.BiometricRecord)
        assert (biophoto.kind, biophoto.fields["TYPE"], biophoto.data) == ("BIOPHOTO", "9", JPEG)
        assert isinstance(userpic, zk.BiometricRecord)
        assert (userpic.kind, userpic.data) == ("USERPIC", JPEG)
        assert isinstance(biodata, zk.BiometricRecord)
        assert (biodata.kind, biodata.pin) == ("BIODATA", "982")  # spelled Pin= there
        assert idcard == zk.UnknownRecord("IDCARD", "IDCARD PIN=0\tIDNum=110101199003070011")
        assert [r.line_no for r in (oplog, user, face, biophoto, userpic, biodata, idcard)] == [
            1,
            2,
            3,
            4,
            5,
            6,
            7,
        ]

    def test_content_that_is_not_base64(self) -> None:
        (record,) = zk.parse_operlog("USERPIC PIN=1\tSize=3\tContent=%%%")
        assert isinstance(record, zk.BiometricRecord)
        assert record.data is None

    @pytest.mark.parametrize(
        ("line", "code"),
        [
            ("OPLOG 4\t14", "zk.operlog.too_few_fields"),
            ("OPLOG four\t14\t2015-07-30 10:22:34", "zk.value.bad_optype"),
            ("OPLOG 4\t14\t30/07/2015", "zk.value.bad_time"),
            ("USER Name=nobody\tPri=0", "zk.operlog.no_pin"),
            ("USER PIN=1\tPri=admin", "zk.value.bad_pri"),
            ("FACE FID=0\tTMP=AAAA", "zk.operlog.no_pin"),
        ],
    )
    def test_malformed_lines_are_named(self, line: str, code: str) -> None:
        with pytest.raises(zk.ZkProtocolError) as info:
            zk.parse_operlog("OPLOG 0\t0\t2015-07-30 10:00:00\t0\t0\t0\t0\r\n" + line)
        assert (info.value.code, info.value.line_no) == (code, 2)

    def test_split_keeps_the_good_records(self) -> None:
        result = zk.split_operlog("USER Name=x\n" + BODY)
        assert len(result.records) == 7
        assert [e.line_no for e in result.errors] == [1]


class TestFormatOplog:
    def test_golden_verification_failure(self) -> None:
        line = zk.format_oplog(2, wall(2026, 3, 2, 7, 30), objects=("982", "0", "0", "0"))
        assert line == "OPLOG 2\t0\t2026-03-02 07:30:00\t982\t0\t0\t0"
        (record,) = zk.parse_operlog(line)
        assert isinstance(record, zk.OpLogRecord)
        assert (record.op_type, record.objects[0]) == (2, "982")

    def test_refuses_a_tab_in_an_object(self) -> None:
        with pytest.raises(zk.ZkProtocolError):
            zk.format_oplog(2, wall(2026, 3, 2, 7, 30), objects=("9\t8",))
