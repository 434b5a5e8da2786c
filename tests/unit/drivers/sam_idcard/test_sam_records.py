"""Text-block decoding for every card layout (PROTOCOLS.md §1.7-1.9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from drivers.sam_idcard import framer, records
from drivers.sam_idcard.records import CardType, IdCardRecord, Nation, RecordError


def _text(fields: dict[int, tuple[int, str]]) -> bytes:
    """Build a text block by hand: {offset: (size, value)} over a block of spaces."""
    block = bytearray("".join(" " * 128).encode("utf-16-le"))
    for offset, (size, value) in fields.items():
        data = value.encode("utf-16-le")
        block[offset : offset + len(data)] = data
        assert len(data) <= size
    return bytes(block)


@pytest.fixture
def golden_text(golden: Callable[[str], bytes]) -> bytes:
    return golden("sam-idcard/read-base-zhangsan")[14 : 14 + 256]


class TestParseText:
    def test_resident_golden(self, golden_text: bytes) -> None:
        rec = records.parse_text(golden_text)
        assert rec.card_type is CardType.RESIDENT
        assert rec.name == "张三"
        assert rec.gender == "1"
        assert rec.gender_name == "男"
        assert rec.nation == Nation("01", "汉")
        assert rec.birth_date == dt.date(1990, 3, 7)
        assert rec.address == "北京市东城区测试路1号"
        assert rec.id_number == "110101199003071233"
        assert rec.issuer == "北京市公安局东城分局"
        assert rec.valid_from == dt.date(2015, 1, 1)
        assert rec.valid_to == dt.date(2035, 1, 1)
        assert not rec.long_term

    def test_resident_long_term(self, golden_text: bytes) -> None:
        text = bytearray(golden_text)
        text[204:220] = bytes.fromhex("7F 95 1F 67") + b" \x00" * 6  # "长期" + spaces
        rec = records.parse_text(bytes(text))
        assert rec.valid_to is None
        assert rec.long_term

    def test_real_published_example(self) -> None:
        # chinasem.cn / eastcoms dump: 王美娜, female, 汉, 13032319860911446X.
        text = _text({
            0: (30, "王美娜"), 30: (2, "2"), 32: (4, "01"), 36: (16, "19860911"),
            52: (70, "河北省秦皇岛市"), 122: (36, "13032319860911446X"),
            158: (30, "秦皇岛市公安局"), 188: (16, "20100101"), 204: (16, "20300101"),
        })  # fmt: skip
        rec = records.parse_text(text)
        assert (rec.name, rec.gender_name, rec.nation) == ("王美娜", "女", Nation("01", "汉"))
        assert rec.id_number == "13032319860911446X"

    def test_foreign_permanent_2017(self) -> None:
        text = _text({
            0: (120, "SMITH JOHN"), 120: (2, "1"), 122: (30, "USA119001010101"),
            152: (6, "USA"), 158: (30, "史密斯"), 188: (16, "20170601"), 204: (16, "20270601"),
            220: (16, "19800102"), 236: (4, "01"), 240: (8, "1100"), 248: (2, "I"),
        })  # fmt: skip
        rec = records.parse_text(text)
        assert rec.card_type is CardType.FOREIGN_PERMANENT_2017
        assert rec.name == "史密斯"
        assert rec.english_name == "SMITH JOHN"
        assert rec.id_number == "USA119001010101"
        assert rec.nationality == "USA"
        assert rec.birth_date == dt.date(1980, 1, 2)
        assert rec.valid_from == dt.date(2017, 6, 1)
        assert rec.valid_to == dt.date(2027, 6, 1)
        assert (rec.card_version, rec.authority_code) == ("01", "1100")
        assert rec.nation is None

    def test_foreign_permanent_2017_without_chinese_name(self) -> None:
        text = _text({
            0: (120, "DOE JANE"), 120: (2, "2"), 122: (30, "GBR318506150027"),
            152: (6, "GBR"), 188: (16, "20170601"), 204: (16, "20270601"),
            220: (16, "19850203"), 248: (2, "I"),
        })  # fmt: skip
        assert records.parse_text(text).name == "DOE JANE"

    def test_hk_macau_taiwan(self) -> None:
        text = _text({
            0: (30, "陈大文"), 30: (2, "1"), 36: (16, "19900101"), 52: (70, "广东省深圳市福田区"),
            122: (36, "810000199001010019"), 158: (30, "深圳市公安局"),
            188: (16, "20200101"), 204: (16, "20250101"), 220: (18, "H12345678"),
            238: (4, "01"), 248: (2, "J"),
        })  # fmt: skip
        rec = records.parse_text(text)
        assert rec.card_type is CardType.HK_MACAU_TAIWAN
        assert rec.nation is None
        assert rec.id_number == "810000199001010019"
        assert (rec.permit_number, rec.issue_count) == ("H12345678", "01")
        assert rec.address == "广东省深圳市福田区"

    def test_foreign_permanent_2023(self) -> None:
        first = "WILLIAMSON-MONTGOMERY ALEXANDRA CAT"  # exactly 35 chars
        text = _text({
            0: (30, "威廉森"), 30: (2, "2"), 32: (4, "00"), 36: (16, "19880808"),
            52: (70, first), 122: (36, "911840198808080012"),
            188: (16, "20240101"), 204: (16, "20340101"), 220: (22, "HERINE"),
            242: (6, "GBR"), 248: (2, "Y"), 250: (6, "GBR"),
        })  # fmt: skip
        rec = records.parse_text(text)
        assert rec.card_type is CardType.FOREIGN_PERMANENT_2023
        assert rec.english_name == first + "HERINE"
        assert rec.id_number == "911840198808080012"
        assert rec.nationality == "GBR"
        assert rec.renewal_count == "00"
        assert rec.previous_number == "GBR"

    def test_bad_length(self) -> None:
        with pytest.raises(RecordError):
            records.parse_text(b"\x20\x00" * 10)

    def test_bad_check_digit(self, golden_text: bytes) -> None:
        text = bytearray(golden_text)
        text[122 + 17 * 2] = ord("4")
        with pytest.raises(RecordError, match="check digit"):
            records.parse_text(bytes(text))

    def test_bad_date(self, golden_text: bytes) -> None:
        text = bytearray(golden_text)
        text[188 + 4 * 2 : 188 + 6 * 2] = "13".encode("utf-16-le")
        with pytest.raises(RecordError) as info:
            records.parse_text(bytes(text))
        assert info.value.code == "idcard.bad_record"

    def test_unknown_nation(self, golden_text: bytes) -> None:
        text = bytearray(golden_text)
        text[32:36] = "77".encode("utf-16-le")
        with pytest.raises(RecordError, match="nation"):
            records.parse_text(bytes(text))


class TestEncodeText:
    def test_resident_matches_the_golden_block(self, golden_text: bytes) -> None:
        card = records.make_resident_card(photo=bytes(1024))
        assert records.encode_text(card) == golden_text

    @pytest.mark.parametrize(
        "flag", [CardType.HK_MACAU_TAIWAN, CardType.FOREIGN_PERMANENT_2023,
                 CardType.FOREIGN_PERMANENT_2017],
    )
    def test_roundtrip_other_layouts(self, flag: CardType) -> None:
        base = records.make_resident_card()
        extra: dict[str, object] = {"nation": None}
        if flag is CardType.HK_MACAU_TAIWAN:
            extra |= {"id_number": "810000199001010019", "permit_number": "H1", "issue_count": "2"}
        elif flag is CardType.FOREIGN_PERMANENT_2023:
            extra |= {"id_number": "911840198808080012", "address": "", "issuer": "",
                      "english_name": "A" * 40, "nationality": "GBR", "renewal_count": "01"}
        else:
            extra |= {"id_number": "USA119001010101", "address": "", "issuer": "",
                      "english_name": "SMITH JOHN", "nationality": "USA", "name": "史密斯"}
        card = replace(base, card_type=flag, **extra)  # type: ignore[arg-type]
        assert records.parse_text(records.encode_text(card), card.photo) == card


class TestBaseMessage:
    def test_golden_frame_decodes(self, golden: Callable[[str], bytes]) -> None:
        _, frame = framer.decode_response(golden("sam-idcard/read-base-zhangsan"))
        assert isinstance(frame, framer.SamResponse)
        rec = records.parse_base_message(frame.data)
        assert rec.photo == bytes(1024)
        assert rec.fingerprint is None
        assert rec.name == "张三"

    @pytest.mark.parametrize(("fp_len", "frame_len", "len_bytes"),
                             [(0, 1297, "05 0A"), (512, 1809, "07 0A"), (1024, 2321, "09 0A")])
    def test_with_fingerprint_sizes(self, fp_len: int, frame_len: int, len_bytes: str) -> None:
        card = replace(records.make_resident_card(), fingerprint=b"\x5a" * fp_len or None)
        frame = framer.encode_response(
            0x90, records.encode_base_message(card, with_fingerprint=True)
        )
        assert len(frame) == frame_len
        assert frame[5:7] == bytes.fromhex(len_bytes)
        rec = records.parse_base_message(frame[10:-1], with_fingerprint=True)
        assert rec == card

    def test_lengths_must_add_up(self) -> None:
        data = records.encode_base_message(records.make_resident_card())
        with pytest.raises(RecordError, match="lengths"):
            records.parse_base_message(data[:-1])


class TestAddress:
    def test_golden(self, golden: Callable[[str], bytes]) -> None:
        raw = golden("sam-idcard/newest-address")
        assert len(raw) == 81
        assert records.parse_address(raw[10:-1]) == "北京市海淀区新地址2号"
        assert framer.encode_response(0x90, records.encode_address("北京市海淀区新地址2号")) == raw


class TestDecodePhoto:
    @pytest.fixture(autouse=True)
    def _reset(self) -> Iterator[None]:
        yield
        records.set_photo_decoder(None)

    def test_no_decoder_bundled(self) -> None:
        assert records.decode_photo(records.make_resident_card()) is None

    def test_hook(self) -> None:
        records.set_photo_decoder(lambda wlt: b"BM" + wlt[:3])
        assert records.decode_photo(records.make_resident_card()) == b"BMWLf"


class TestMakeResidentCard:
    def test_derives_gender_and_birth(self) -> None:
        card = records.make_resident_card("李四", "11010519491231002X")
        assert card.gender == "2"  # 17th digit 2 is even
        assert card.birth_date == dt.date(1949, 12, 31)
        assert len(card.photo) == 1024

    def test_female(self) -> None:
        assert records.make_resident_card(id_number="110101199003071225").gender == "2"

    def test_rejects_bad_number(self) -> None:
        with pytest.raises(ValueError, match="check digit"):
            records.make_resident_card(id_number="110101199003071234")


class TestToJsonDict:
    def test_masks_by_default(self) -> None:
        card: IdCardRecord = records.make_resident_card()
        assert card.to_json_dict()["id_number"] == "110101********1233"
        assert card.to_json_dict(full=True)["id_number"] == "110101199003071233"
