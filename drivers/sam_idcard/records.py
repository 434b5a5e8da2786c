"""Decoding of the card files a SAM returns: the 256-byte UCS-2LE text block and the photo.

Layouts per PROTOCOLS.md §1.7-1.8 (GA/T 490 resident card; "I" 2017 and "Y" 2023 foreigner's
permanent residence cards; "J" HK/Macau/Taiwan residence permit). Fields are fixed width,
right-padded with U+0020. Encoders are here too, so the emulator and tests build exact blocks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from drivers.errors import DriverError
from models.errors import ContractError
from models.ids import IdType, mask_id_number, parse_id_number, parse_resident_id

TEXT_LEN = 256
PHOTO_LEN = 1024
LONG_TERM = "长期"  # valid-to of cards for people over 46: no end date


class CardType(StrEnum):
    RESIDENT = "resident"
    FOREIGN_PERMANENT_2017 = "foreign_permanent_2017"
    FOREIGN_PERMANENT_2023 = "foreign_permanent_2023"
    HK_MACAU_TAIWAN = "hk_macau_taiwan"


# Text bytes 248-249: card-type flag (UCS-2LE char).
_TYPE_FLAG: dict[str, CardType] = {
    "I": CardType.FOREIGN_PERMANENT_2017,
    "J": CardType.HK_MACAU_TAIWAN,
    "Y": CardType.FOREIGN_PERMANENT_2023,
}
_FLAG_OF = {v: k for k, v in _TYPE_FLAG.items()}

# The registry's ID type (the platform's idCardType) of each card layout.
ID_TYPE_OF: dict[CardType, IdType] = {
    CardType.RESIDENT: IdType.RESIDENT,
    CardType.HK_MACAU_TAIWAN: IdType.HK_MACAU_TAIWAN,
    CardType.FOREIGN_PERMANENT_2017: IdType.FOREIGN_PERMANENT,
    CardType.FOREIGN_PERMANENT_2023: IdType.FOREIGN_PERMANENT,
}

GENDERS: dict[str, str] = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}  # GB/T 2261.1

NATIONS: dict[str, str] = {  # GB 3304
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤",
    "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西", "28": "景颇",
    "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌", "34": "布朗",
    "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌", "40": "普米",
    "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春",
    "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他",
    "98": "外国血统中国籍人士",
}  # fmt: skip


class RecordError(DriverError):
    """The card answered, but its text block does not decode into valid fields."""

    code = "idcard.bad_record"


@dataclass(frozen=True, slots=True)
class Nation:
    code: str
    name: str  # without the "族" suffix; display code may append it

    @classmethod
    def of(cls, code: str) -> Nation:
        if code not in NATIONS:
            raise RecordError(f"未知民族代码 {code!r}", f"unknown nation code {code!r}")
        return cls(code, NATIONS[code])


@dataclass(frozen=True, slots=True)
class IdCardRecord:
    """One card as read. `valid_to is None` means 长期 (no end date)."""

    card_type: CardType
    name: str
    gender: str  # GB/T 2261.1 code: "1" male, "2" female
    nation: Nation | None  # None on J and foreigner cards (no nation field)
    birth_date: dt.date
    address: str
    id_number: str  # resident / J / Y: 18 chars; I: 15-char permanent residence number
    issuer: str
    valid_from: dt.date
    valid_to: dt.date | None
    photo: bytes = field(default=b"\x00" * PHOTO_LEN, repr=False)
    fingerprint: bytes | None = field(default=None, repr=False)
    # Type-specific fields (blank where the layout has none).
    english_name: str = ""
    nationality: str = ""  # GB/T 2659 3-letter code (I, Y)
    permit_number: str = ""  # J: 通行证号码
    issue_count: str = ""  # J: 签发次数
    renewal_count: str = ""  # Y: 换证次数
    card_version: str = ""  # I: 证件版本号
    authority_code: str = ""  # I: 受理机关代码
    previous_number: str = ""  # Y: link to the old 15-char number
    newest_address: str | None = None  # 30 03, when read

    @property
    def id_type(self) -> IdType:
        return ID_TYPE_OF[self.card_type]

    @property
    def gender_name(self) -> str:
        return GENDERS.get(self.gender, self.gender)

    @property
    def long_term(self) -> bool:
        return self.valid_to is None

    def to_json_dict(self, *, full: bool = False) -> dict[str, object]:
        """Plain JSON for the probe CLI and diagnostics; ID number masked unless `full`."""
        return {
            "card_type": self.card_type.value,
            "id_type": self.id_type.value,
            "name": self.name,
            "gender": self.gender,
            "gender_name": self.gender_name,
            "nation": None if self.nation is None else {"code": self.nation.code,
                                                        "name": self.nation.name},
            "birth_date": self.birth_date.isoformat(),
            "address": self.address,
            "id_number": self.id_number if full else mask_id_number(self.id_number),
            "issuer": self.issuer,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": None if self.valid_to is None else self.valid_to.isoformat(),
            "long_term": self.long_term,
            "english_name": self.english_name,
            "nationality": self.nationality,
            "permit_number": self.permit_number,
            "issue_count": self.issue_count,
            "renewal_count": self.renewal_count,
            "card_version": self.card_version,
            "authority_code": self.authority_code,
            "previous_number": self.previous_number,
            "newest_address": self.newest_address,
            "photo_bytes": len(self.photo),
            "fingerprint_bytes": 0 if self.fingerprint is None else len(self.fingerprint),
        }


# --- text-block helpers --------------------------------------------------------------------


def _field(text: bytes, offset: int, size: int) -> str:
    try:
        return text[offset : offset + size].decode("utf-16-le").rstrip(" \x00")
    except UnicodeDecodeError as exc:
        raise RecordError(
            f"字段 @{offset} 不是有效的 UCS-2 文本",
            f"field at text offset {offset} is not valid UCS-2",
        ) from exc


def _put(block: bytearray, offset: int, size: int, value: str) -> None:
    data = value.encode("utf-16-le")
    if len(data) > size:
        raise ValueError(f"{value!r} does not fit {size} bytes at {offset}")
    block[offset : offset + size] = data + " ".encode("utf-16-le") * ((size - len(data)) // 2)


def _date(value: str, what_zh: str, what_en: str) -> dt.date:
    if not re.fullmatch(r"\d{8}", value):
        raise RecordError(
            f"{what_zh} {value!r} 不是 YYYYMMDD", f"{what_en} {value!r} is not YYYYMMDD"
        )
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise RecordError(
            f"{what_zh} {value} 不是有效日期", f"{what_en} {value} is not a date"
        ) from None


def _valid_to(value: str) -> dt.date | None:
    # Readers write "长期" then spaces; some pad with zeros or leave the tail - take the prefix.
    if value.startswith(LONG_TERM):
        return None
    return _date(value, "有效期截止", "valid-to")


def _ymd(d: dt.date | None) -> str:
    return LONG_TERM if d is None else d.strftime("%Y%m%d")


def card_type_of(text: bytes) -> CardType:
    flag = _field(text, 248, 2)
    return _TYPE_FLAG.get(flag, CardType.RESIDENT)


def _checked_id(value: str, card_type: CardType) -> str:
    # The one per-type rule set lives in models/ids.py; a J card's number must be 81/82/83.
    try:
        return parse_id_number(value, ID_TYPE_OF[card_type])
    except ContractError as exc:
        raise RecordError(f"卡内证件号码无效: {exc.message_zh}",
                          f"card carries an invalid number: {exc.message_en}") from exc


def parse_text(text: bytes, photo: bytes = b"", fingerprint: bytes | None = None) -> IdCardRecord:
    """Decode a 256-byte text block into a typed record (layout chosen by bytes 248-249)."""
    if len(text) != TEXT_LEN:
        raise RecordError(f"文字信息长度 {len(text)} 字节, 应为 256",
                          f"text block has {len(text)} bytes, expected 256")
    kind = card_type_of(text)

    def f(offset: int, size: int) -> str:
        return _field(text, offset, size)

    if kind is CardType.FOREIGN_PERMANENT_2017:
        english = f(0, 120)
        chinese = f(158, 30)
        return IdCardRecord(
            card_type=kind, name=chinese or english, gender=f(120, 2), nation=None,
            birth_date=_date(f(220, 16), "出生日期", "birth date"), address="",
            id_number=_checked_id(f(122, 30), kind), issuer="",
            valid_from=_date(f(188, 16), "签发日期", "issue date"),
            valid_to=_valid_to(f(204, 16)), photo=photo, fingerprint=fingerprint,
            english_name=english, nationality=f(152, 6), card_version=f(236, 4),
            authority_code=f(240, 8),
        )
    name, gender = f(0, 30), f(30, 2)
    birth = _date(f(36, 16), "出生日期", "birth date")
    id_number = _checked_id(f(122, 36), kind)
    valid_from = _date(f(188, 16), "有效期起始", "valid-from")
    valid_to = _valid_to(f(204, 16))
    if kind is CardType.FOREIGN_PERMANENT_2023:
        # The English name is split over two fields: chars 1-35 at 52, chars 36-46 at 220.
        head, tail = text[52:122].decode("utf-16-le"), f(220, 22)
        english = (head + tail).rstrip() if tail else head.rstrip()
        return IdCardRecord(
            card_type=kind, name=name, gender=gender, nation=None, birth_date=birth,
            address="", id_number=id_number, issuer="", valid_from=valid_from,
            valid_to=valid_to, photo=photo, fingerprint=fingerprint, english_name=english,
            renewal_count=f(32, 4), nationality=f(242, 6), previous_number=f(250, 6),
        )
    if kind is CardType.HK_MACAU_TAIWAN:
        return IdCardRecord(
            card_type=kind, name=name, gender=gender, nation=None, birth_date=birth,
            address=f(52, 70), id_number=id_number, issuer=f(158, 30), valid_from=valid_from,
            valid_to=valid_to, photo=photo, fingerprint=fingerprint,
            permit_number=f(220, 18), issue_count=f(238, 4),
        )
    return IdCardRecord(
        card_type=kind, name=name, gender=gender, nation=Nation.of(f(32, 4)), birth_date=birth,
        address=f(52, 70), id_number=id_number, issuer=f(158, 30), valid_from=valid_from,
        valid_to=valid_to, photo=photo, fingerprint=fingerprint,
    )


def encode_text(record: IdCardRecord) -> bytes:
    """Inverse of parse_text: the exact 256-byte block a SAM would return for `record`."""
    b = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    kind = record.card_type
    if kind is CardType.FOREIGN_PERMANENT_2017:
        _put(b, 0, 120, record.english_name)
        _put(b, 120, 2, record.gender)
        _put(b, 122, 30, record.id_number)
        _put(b, 152, 6, record.nationality)
        _put(b, 158, 30, record.name if record.name != record.english_name else "")
        _put(b, 188, 16, _ymd(record.valid_from))
        _put(b, 204, 16, _ymd(record.valid_to))
        _put(b, 220, 16, _ymd(record.birth_date))
        _put(b, 236, 4, record.card_version)
        _put(b, 240, 8, record.authority_code)
    else:
        _put(b, 0, 30, record.name)
        _put(b, 30, 2, record.gender)
        _put(b, 36, 16, _ymd(record.birth_date))
        _put(b, 122, 36, record.id_number)
        _put(b, 188, 16, _ymd(record.valid_from))
        _put(b, 204, 16, _ymd(record.valid_to))
        if kind is CardType.RESIDENT:
            _put(b, 32, 4, record.nation.code if record.nation else "")
            _put(b, 52, 70, record.address)
            _put(b, 158, 30, record.issuer)
        elif kind is CardType.HK_MACAU_TAIWAN:
            _put(b, 52, 70, record.address)
            _put(b, 158, 30, record.issuer)
            _put(b, 220, 18, record.permit_number)
            _put(b, 238, 4, record.issue_count)
        else:  # 2023 foreigner card
            _put(b, 32, 4, record.renewal_count)
            _put(b, 52, 70, record.english_name[:35])
            _put(b, 220, 22, record.english_name[35:46].rstrip())
            _put(b, 242, 6, record.nationality)
            _put(b, 250, 6, record.previous_number)
    if kind is not CardType.RESIDENT:
        _put(b, 248, 2, _FLAG_OF[kind])
    return bytes(b)


def encode_address(address: str) -> bytes:
    """70-byte UCS-2LE appended-address block (30 03)."""
    b = bytearray(70)
    _put(b, 0, 70, address)
    return bytes(b)


def parse_address(data: bytes) -> str:
    return _field(data[:70], 0, 70)


# --- 30 01 / 30 10 data --------------------------------------------------------------------


def parse_base_message(data: bytes, *, with_fingerprint: bool = False) -> IdCardRecord:
    """Data after SW3 of a 30 01 (or 30 10) answer: lengths (BE), text, photo[, fingerprint]."""
    head = 6 if with_fingerprint else 4
    if len(data) < head:
        raise RecordError("基本信息应答过短", "base-message answer too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    fp_len = int.from_bytes(data[4:6], "big") if with_fingerprint else 0
    if len(data) != head + text_len + photo_len + fp_len or text_len != TEXT_LEN:
        raise RecordError(
            f"基本信息长度不符: 文字 {text_len}, 照片 {photo_len}, 指纹 {fp_len}, 共 {len(data)}",
            f"base-message lengths do not add up: text {text_len}, photo {photo_len}, "
            f"fingerprint {fp_len}, total {len(data)}",
        )
    text = data[head : head + text_len]
    photo = data[head + text_len : head + text_len + photo_len]
    fp = data[head + text_len + photo_len :] if with_fingerprint else None
    return parse_text(text, photo, fp or None)


def encode_base_message(record: IdCardRecord, *, with_fingerprint: bool = False) -> bytes:
    text = encode_text(record)
    fp = (record.fingerprint or b"") if with_fingerprint else b""
    head = len(text).to_bytes(2, "big") + len(record.photo).to_bytes(2, "big")
    if with_fingerprint:
        head += len(fp).to_bytes(2, "big")
    return head + text + record.photo + fp


# --- photo decoding hook --------------------------------------------------------------------

PhotoDecoder = Callable[[bytes], bytes]
"""WLT (1024 B, vendor-encrypted) -> image file bytes (e.g. a 102x126 BMP). None is bundled."""

_photo_decoder: PhotoDecoder | None = None


def set_photo_decoder(decoder: PhotoDecoder | None) -> None:
    """Install a vendor WLT decoder (e.g. a ctypes wrapper around libwlt2bmp.so)."""
    global _photo_decoder  # a process-wide plug-in slot is the point
    _photo_decoder = decoder


def decode_photo(record: IdCardRecord) -> bytes | None:
    """Decoded photo via the installed hook, or None when no decoder is installed."""
    return None if _photo_decoder is None else _photo_decoder(record.photo)


# --- synthetic cards for tests and emulators -----------------------------------------------


def synthetic_photo(seed: str) -> bytes:
    """Deterministic opaque 1024-byte blob; starts with "WLf" like real WLT data reportedly does."""
    import hashlib

    out = bytearray(b"WLf")
    counter = 0
    while len(out) < PHOTO_LEN:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:PHOTO_LEN])


def make_resident_card(
    name: str = "张三",
    id_number: str = "110101199003071233",
    *,
    gender: str | None = None,
    nation: str = "01",
    birth_date: dt.date | None = None,
    address: str = "北京市东城区测试路1号",
    issuer: str = "北京市公安局东城分局",
    valid_from: dt.date = dt.date(2015, 1, 1),
    valid_to: dt.date | None = dt.date(2035, 1, 1),
    photo: bytes | None = None,
) -> IdCardRecord:
    """A resident card record; gender and birth date default to what the ID number says."""
    id_number = parse_resident_id(id_number)
    if gender is None:
        gender = "1" if int(id_number[16]) % 2 else "2"
    if birth_date is None:
        birth_date = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return IdCardRecord(
        card_type=CardType.RESIDENT, name=name, gender=gender, nation=Nation.of(nation),
        birth_date=birth_date, address=address, id_number=id_number, issuer=issuer,
        valid_from=valid_from, valid_to=valid_to,
        photo=synthetic_photo(id_number) if photo is None else photo,
    )
