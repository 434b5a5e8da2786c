"""The station's hash of a line's shown form is the server's (server/wages/rules.line_hash), also
after the JSON round trip the offer takes, and any change to what is shown changes it."""

from __future__ import annotations

from decimal import Decimal

from models.wage_line import WageLineOffer, shown_digest
from server.wages import rules

SHOWN = rules.Shown(
    line_id=11,
    version=2,
    project_code="P-001",
    company_name="示例劳务公司",
    period="2026-10",
    name="张三",
    id_number_masked="110101********1234",
    bank_card_masked="6222*********1234",
    bank_name="示例银行",
    payer_account_masked="1100**********0001",
    wage_kind="daily",
    rate_fen=35000,
    attended_days="21.5",
    hours="172.0",
    day_marks="√" * 31,
    items=(
        rules.make_item(
            rules.ItemCategory.PIECE,
            "楼板钢筋",
            quantity=Decimal("10.5"),
            unit="平方米",
            unit_price_fen=1001,
        ),
        rules.make_item(rules.ItemCategory.ADVANCE, "10-05 借支", amount_fen=20000),
    ),
    amounts=rules.Amounts(752500, 10511, 0, 20000),
)


def _offer() -> WageLineOffer:
    return WageLineOffer(
        line_id=11,
        sheet_id=1,
        period="2026-10",
        state="awaiting",
        state_text=("待确认", "awaiting confirmation"),
        shown_hash=rules.line_hash(SHOWN),
        shown=SHOWN.canonical(),
    )


def test_same_digest_as_the_server() -> None:
    assert shown_digest(SHOWN.canonical()) == rules.line_hash(SHOWN)


def test_after_the_wire() -> None:
    received = WageLineOffer.model_validate_json(_offer().model_dump_json())
    assert received.hash_ok()


def test_any_change_shows() -> None:
    offer = _offer()
    offer.shown["net_fen"] += 1
    assert not offer.hash_ok()
    offer = _offer()
    offer.shown["items"][0]["reason"] = "别的"
    assert not offer.hash_ok()
    offer = _offer()
    offer.shown["extra"] = "a key the station does not know is still hashed"
    assert not offer.hash_ok()
