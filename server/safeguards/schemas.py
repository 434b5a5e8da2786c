"""API input and output of the wage-protection records. Money in fen (integers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from server.safeguards.rules import ContractKind, DepositForm, GuaranteeForm, PayUnit

_STRICT = ConfigDict(extra="forbid")


class WageAccountIn(BaseModel):
    model_config = _STRICT

    bank_name: str = Field(min_length=1, max_length=128)
    account_no: str = Field(min_length=6, max_length=32, pattern=r"^[0-9]+$")
    account_name: str = Field(min_length=1, max_length=128)
    opened_on: dt.date | None = None
    tripartite_signed_on: dt.date | None = None  # 三方协议; None = not signed
    owner_name: str = Field(default="", max_length=128)  # 建设单位, as its transfers name it


class WageAccountOut(BaseModel):
    bank_name: str
    account_no: str  # masked unless the caller sees full numbers
    account_name: str
    opened_on: dt.date | None
    tripartite_signed_on: dt.date | None
    owner_name: str


class DepositIn(BaseModel):
    model_config = _STRICT

    form: DepositForm
    amount_fen: int = Field(gt=0, le=10**15)
    contract_price_fen: int | None = Field(default=None, gt=0, le=10**15)
    paid_on: dt.date
    released_on: dt.date | None = None
    reference: str = Field(default="", max_length=64)


class DepositOut(BaseModel):
    id: int
    form: str
    amount_fen: int
    contract_price_fen: int | None
    share_percent: Decimal | None  # of the contract price
    paid_on: dt.date
    released_on: dt.date | None
    reference: str


class GuaranteeIn(BaseModel):
    model_config = _STRICT

    form: GuaranteeForm
    amount_fen: int = Field(gt=0, le=10**15)
    issuer: str = Field(min_length=1, max_length=128)
    valid_from: dt.date
    valid_to: dt.date | None = None


class GuaranteeOut(BaseModel):
    id: int
    form: str
    amount_fen: int
    issuer: str
    valid_from: dt.date
    valid_to: dt.date | None


class OfficerIn(BaseModel):
    model_config = _STRICT

    name: str = Field(min_length=1, max_length=32)
    phone: str = Field(min_length=5, max_length=24, pattern=r"^[0-9+\- ]+$")
    appointed_on: dt.date


class OfficerOut(BaseModel):
    id: int
    name: str
    phone: str
    appointed_on: dt.date
    ended_on: dt.date | None


class ContractIn(BaseModel):
    model_config = _STRICT

    kind: ContractKind
    code: str = Field(default="", max_length=64)
    signed_on: dt.date | None = None  # default: the start
    start_on: dt.date
    end_on: dt.date | None = None
    pay_unit: PayUnit
    unit_price_fen: int = Field(ge=0, le=10**12)


class ContractOut(BaseModel):
    assignment_id: int
    worker_id: int
    worker_name: str
    kind: str
    code: str
    signed_on: dt.date
    start_on: dt.date
    end_on: dt.date | None
    pay_unit: str
    unit_price_fen: int
    scan_type: str  # "" = no scan
    scan_bytes: int


class StatementOut(BaseModel):
    id: int
    file_name: str
    first_on: dt.date
    last_on: dt.date
    row_count: int
    new_count: int  # bookings not in an earlier import
    labour_inflow_fen: int
    payout_fen: int
    already_imported: bool = False


class SafeguardsOut(BaseModel):
    project_id: int
    wage_account: WageAccountOut | None
    deposits: list[DepositOut]
    guarantees: list[GuaranteeOut]
    officers: list[OfficerOut]  # current first, then the earlier ones
    contracts: list[ContractOut]
    statements: list[StatementOut]
