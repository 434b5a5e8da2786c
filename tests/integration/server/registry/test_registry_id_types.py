"""Foreigners' permanent residence cards (2017 and 2023 editions) register through the API and
the 花名册 import, keep their ID type, and pass the gate's age rule like anyone else."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from registry_support import ZH_HEADERS, Site, csv_bytes, make_site, xlsx_bytes
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import DenyReason
from models.gate_rules import check_entry
from models.ids import resident_id_check_char
from models.roster import GatePolicy
from server.config import Settings
from server.ingest.service import roster_entries
from server.registry.models import Assignment, Worker
from tests.factories import login, make_id_number

FOREIGN_2017 = "USA119001010101"  # born 1990-01-01
FOREIGN_2023 = "911840198808080012"  # born 1988-08-08


def _foreign_2023(born: dt.date, seq: str = "005") -> str:
    body = f"911840{born:%Y%m%d}{seq}"
    return body + resident_id_check_char(body)


def _worker(session: Session, number: str) -> Worker:
    session.expire_all()
    worker = session.scalar(select(Worker).where(Worker.id_number == number))
    assert worker is not None
    return worker


class TestApi:
    def test_2017_and_2023_cards_register_and_keep_their_type(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.admin)
        for number, gender, born in (
            (FOREIGN_2017, "M", dt.date(1990, 1, 1)),
            (FOREIGN_2023, "F", dt.date(1988, 8, 8)),
        ):
            r = client.post(
                "/api/v1/workers",
                json={"name": "史密斯", "id_number": number, "gender": gender},
                headers=h,
            )
            assert r.status_code == 201, r.text
            out = r.json()
            assert out["id_card_type"] == "FP"
            assert out["gender"] == gender
            assert out["birth_date"] == born.isoformat()
            assert number not in out["id_number"]  # masked
            worker = _worker(session, number)
            assert (worker.id_card_type, worker.birth_date) == ("FP", born)

    def test_resident_card_keeps_code_01(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        number = make_id_number()
        r = client.post(
            "/api/v1/workers",
            json={"name": "张三", "id_number": number},
            headers=login(client, site.admin),
        )
        assert r.status_code == 201, r.text
        assert r.json()["id_card_type"] == "01"

    def test_foreigner_without_gender_is_422_naming_the_field(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        r = client.post(
            "/api/v1/workers",
            json={"name": "史密斯", "id_number": FOREIGN_2023},
            headers=login(client, site.admin),
        )
        assert r.status_code == 422, r.text
        assert "性别" in r.text
        assert [f["field"] for f in r.json()["detail"]] == ["gender"]

    def test_number_that_does_not_fit_the_given_type_is_422(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        r = client.post(
            "/api/v1/workers",
            json={"name": "张三", "id_number": make_id_number(), "id_card_type": "FP",
                  "gender": "M"},
            headers=login(client, site.admin),
        )  # fmt: skip
        assert r.status_code == 422, r.text
        assert "外国人永久居留身份证" in r.text
        assert session.scalar(select(Worker)) is None

    def test_bad_check_digit_on_2023_card_is_422(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        r = client.post(
            "/api/v1/workers",
            json={"name": "史密斯", "id_number": FOREIGN_2023[:-1] + "3", "gender": "F"},
            headers=login(client, site.admin),
        )
        assert r.status_code == 422
        assert "校验位" in r.text


def _row(site: Site, id_number: str, name: str) -> list[str]:
    values = dict.fromkeys(ZH_HEADERS, "")
    values |= {"姓名": name, "身份证号": id_number, "所属企业": site.company.credit_code,
               "班组": "钢筋一班", "工种": "钢筋工", "进场日期": "2026-03-03"}  # fmt: skip
    return [values[h] for h in ZH_HEADERS]


def _import(
    client: TestClient, site: Site, data: bytes, name: str
) -> tuple[int, dict[str, object]]:
    r = client.post(
        f"/api/v1/projects/{site.project.id}/roster-import",
        files={"file": (name, data)},
        headers=login(client, site.manager),
    )
    assert r.status_code in (200, 422), r.text
    body = r.json()
    return r.status_code, body if r.status_code == 200 else body["detail"]


class TestRosterImport:
    def test_type_and_gender_columns_import_foreigners(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        rows = [
            [*ZH_HEADERS, "证件类型", "性别"],
            [*_row(site, FOREIGN_2017, "约翰"), "外国人永久居留身份证", "男"],
            [*_row(site, FOREIGN_2023, "简"), "FP", "女"],
            [*_row(site, make_id_number(), "张三"), "01", ""],
        ]
        status, body = _import(client, site, xlsx_bytes(rows), "roster.xlsx")
        assert status == 200, body
        assert body["created_workers"] == 3
        w17, w23 = _worker(session, FOREIGN_2017), _worker(session, FOREIGN_2023)
        assert (w17.id_card_type, w17.gender, w17.birth_date) == ("FP", "M", dt.date(1990, 1, 1))
        assert (w23.id_card_type, w23.gender, w23.birth_date) == ("FP", "F", dt.date(1988, 8, 8))
        types = session.scalars(select(Worker.id_card_type).order_by(Worker.id)).all()
        assert types == ["FP", "FP", "01"]

    def test_unknown_type_names_row_and_column(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        rows = [
            [*ZH_HEADERS, "证件类型", "性别"],
            [*_row(site, make_id_number(), "张三"), "01", ""],
            [*_row(site, FOREIGN_2023, "简"), "护照", "女"],
        ]
        status, body = _import(client, site, csv_bytes(rows), "roster.csv")
        assert status == 422
        errors = body["errors"]
        assert isinstance(errors, list)
        assert [(e["row"], e["column"], e["header"], e["code"]) for e in errors] == [
            (3, "O", "证件类型", "id_type.unknown")
        ]
        assert "证件类型" in errors[0]["message_zh"]
        assert session.scalar(select(Worker)) is None  # all or nothing

    def test_foreigner_without_gender_column_names_the_number(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        rows = [ZH_HEADERS, _row(site, FOREIGN_2023, "简")]
        status, body = _import(client, site, csv_bytes(rows), "roster.csv")
        assert status == 422
        errors = body["errors"]
        assert isinstance(errors, list)
        assert [(e["row"], e["column"], e["code"]) for e in errors] == [
            (2, "B", "id.gender_needed")
        ]


class TestGateAgeRule:
    def test_age_rule_uses_the_foreigners_birth_date(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        site = make_site(session)
        session.commit()
        today = dt.date(2026, 6, 1)
        too_old = _foreign_2023(dt.date(1960, 5, 1))  # 66 on `today`
        fine = "GBR318506150027"  # 2017 edition, born 1985-06-15
        rows = [
            [*ZH_HEADERS, "性别"],
            [*_row(site, too_old, "老约翰"), "男"],
            [*_row(site, fine, "简"), "女"],
        ]
        status, body = _import(client, site, xlsx_bytes(rows), "roster.xlsx")
        assert status == 200, body
        session.expire_all()
        for a in session.scalars(select(Assignment)):
            a.contract_signed_on = a.safety_trained_on = dt.date(2026, 3, 1)
        session.commit()
        entries = {e.id_number: e for e in roster_entries(session, settings, site.project.id)}
        policy = GatePolicy(min_age=18, max_age_male=60, max_age_female=55)
        assert check_entry(entries[too_old], policy, today) is DenyReason.AGE_LIMIT
        assert entries[fine].birth_date == dt.date(1985, 6, 15)
        assert check_entry(entries[fine], policy, today) is None
