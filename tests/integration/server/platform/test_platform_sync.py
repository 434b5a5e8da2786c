"""`sitegate platform configure | sync | status` against the fake platform over real HTTP, on
the national profile and on 广州's: every upload in the platform's dependency order (company,
team, workers, entries and exits, attendance, pay), encrypted on the wire as the profile says,
tickets polled to the end, a rate limit waited out, what the platform would refuse held back by
the local checks (and sent once fixed), a rejection kept in the platform's words and sent again
once the data changed, a refused secret blocking the queue until the account is fixed. Nothing
is lost across runs (the queue is the database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from platforms.national.fake_platform import FakePlatform, FakePlatformServer
from platforms.national.profile import load
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.platform.models import PlatformJob
from server.registry.models import Assignment, Worker
from server.safeguards.models import LabourContract
from server.wages.models import WageLine, WageSheet
from sitegate_cli.app import app as cli_app
from tests.factories import (
    make_assignment,
    make_company,
    make_device,
    make_payment,
    make_project,
    make_team,
    make_worker,
)
from tests.support.payroll_month import attend, october

runner = CliRunner(env={"COLUMNS": "200"})
SECRET = "0123456789abcdef0123456789abcdef"


@dataclass
class World:
    url: str
    platform: FakePlatform
    base: str
    ids: list[str]

    def cli(self, *args: str, ok: bool = True) -> str:
        result = runner.invoke(
            cli_app, ["platform", *args, "--project", "PF-1", "--database-url", self.url]
        )
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    def db(self, work: Callable[[Session], object]) -> object:
        engine = make_engine(self.url)
        with unit_of_work(make_sessionmaker(engine)) as s:
            out = work(s)
        engine.dispose()
        return out

    def states(self) -> dict[str, str]:
        def read(s: Session) -> dict[str, str]:
            jobs = s.scalars(select(PlatformJob).order_by(PlatformJob.id))
            return {f"{j.kind}:{j.subject_id}": j.state for j in jobs}

        out = self.db(read)
        assert isinstance(out, dict)
        return out

    def kinds(self, state: str) -> list[str]:
        return sorted(k.split(":")[0] for k, v in self.states().items() if v == state)

    def jobs(self, kind: str) -> list[PlatformJob]:
        def read(s: Session) -> list[PlatformJob]:
            rows = list(s.scalars(select(PlatformJob).where(PlatformJob.kind == kind)))
            s.expunge_all()
            return rows

        out = self.db(read)
        assert isinstance(out, list)
        return out

    def retry_now(self) -> None:
        self.db(lambda s: s.execute(update(PlatformJob).values(next_attempt_at=None)))

    def until_settled(self, runs: int = 6) -> None:
        for _ in range(runs):
            self.cli("sync")


def _seed(url: str) -> list[str]:
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        project = make_project(s, code="PF-1")
        company = make_company(s, project)
        team = make_team(s, project, company)
        device = make_device(s, project)
        ids = []
        workers = []
        for name in ("张三", "李四"):
            worker = make_worker(s, name)
            a = make_assignment(s, project, worker, company, team, entered_on=dt.date(2026, 10, 1))
            s.add(
                LabourContract(
                    assignment_id=a.id,
                    project_id=project.id,
                    kind="labour_contract",
                    code=f"HT-{a.id}",
                    signed_on=dt.date(2026, 9, 28),
                    start_on=dt.date(2026, 10, 1),
                    end_on=None,
                    pay_unit="day",
                    unit_price_fen=35000,
                )
            )
            attend(s, project, device, worker, october(3))
            ids.append(worker.id_number)
            workers.append(worker)
        sheet = WageSheet(
            project_id=project.id, company_id=company.id, team_id=team.id, team_key=str(team.id),
            period="2026-10", state="paid", payer_name="总包", payer_bank="示例银行",
            payer_account="1100000000000001", line_count=2, net_total_fen=210000,
            paid_at=dt.datetime(2026, 11, 10, 2, tzinfo=dt.UTC),
        )  # fmt: skip
        s.add(sheet)
        s.flush()
        for worker in workers:
            s.add(
                WageLine(
                    sheet_id=sheet.id,
                    project_id=project.id,
                    period="2026-10",
                    worker_id=worker.id,
                    name=worker.name,
                    id_number=worker.id_number,
                    bank_card=worker.bank_card or "",
                    bank_name="示例银行",
                    wage_kind="daily",
                    rate_fen=35000,
                    half_days=6,
                    seconds=3 * 9 * 3600,
                    gross_fen=105000,
                    net_fen=105000,
                    state="confirmed",
                )
            )
            make_payment(s, project, worker, period="2026-10", net_yuan=1050)
    engine.dispose()
    return ids


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[[str], World]]:
    servers: list[FakePlatformServer] = []

    def make(profile: str) -> World:
        url = f"sqlite:///{tmp_path / f'{profile}.sqlite3'}"
        ids = _seed(url)
        platform = FakePlatform(secrets={"PF-1": SECRET}, profile=load(profile))
        server = FakePlatformServer(platform).__enter__()
        servers.append(server)
        return World(url, platform, server.url, ids)

    yield make
    for server in servers:
        server.__exit__(None, None, None)


def test_everything_reaches_the_national_platform_in_order(
    make_world: Callable[[str], World],
) -> None:
    w = make_world("national")
    w.cli("configure", "--url", w.base, "--appid", "PF-1", "--secret", SECRET,
          "--lng", "116.39", "--lat", "39.9")  # fmt: skip
    w.platform.rate_limit_next = 1  # the first call is turned away: the run stops, nothing lost
    first = w.cli("sync")
    assert "发送 sent 1" in first
    assert "暂停 paused" in first
    assert w.kinds("pending") == ["subcontractor"]
    w.retry_now()
    w.until_settled()
    assert set(w.states().values()) == {"uploaded"}, w.states()
    calls = [c for c in w.platform.calls if c != "AsyncHandleResult.Query"]
    order = list(dict.fromkeys(calls))
    assert order == [
        "ProjectSubContractor.Add", "Team.Add", "ProjectWorker.Add", "WorkerContract.Add",
        "WorkerEntryExit.Add", "WorkerAttendance.Add", "Payroll.Add",
    ]  # fmt: skip
    assert sorted(w.platform.workers) == sorted(w.ids)  # decrypted by the platform
    contract = w.platform.contracts[0]
    assert (contract["contractPeriodType"], contract["startDate"], contract["unitPrice"]) == (
        1, "2026-10-01", "350.00",
    )  # fmt: skip
    assert {r["idCardNumber"] for r in w.platform.attendance} == set(w.ids)
    assert len(w.platform.attendance) == 12  # 2 workers x 3 days x in and out
    record = w.platform.attendance[0]
    assert record["date"] == "2026-10-08 08:00:00"  # Beijing time, as the gate saw it
    assert (record["direction"], record["lng"], record["lat"]) == ("01", 116.39, 39.9)
    (pay,) = w.platform.payrolls
    detail = pay["detailList"][0]
    assert pay["payMonth"] == "2026-10"
    assert detail["payBankCardNumber"] == "1100000000000001"  # decrypted: it went encrypted
    assert (detail["days"], detail["totalPayAmount"], detail["actualAmount"]) == (
        3.0, "1050.00", "1050.00",
    )  # fmt: skip
    assert detail["isBackPay"] == 0  # paid on 11-10, before the 15th
    table = w.cli("status")
    assert "已上传" in table
    assert "考勤 attendance" in table


def test_new_gate_records_go_in_a_new_batch(make_world: Callable[[str], World]) -> None:
    w = make_world("national")
    w.cli("configure", "--url", w.base, "--appid", "PF-1", "--secret", SECRET)
    w.until_settled()
    before = len(w.platform.attendance)

    def more(s: Session) -> None:
        from server.registry.models import Device, Project

        project = s.scalars(select(Project)).one()
        device = s.scalars(select(Device)).first()
        worker = s.scalars(select(Worker).order_by(Worker.id)).first()
        assert device is not None
        assert worker is not None
        attend(s, project, device, worker, [dt.date(2026, 11, 2)])

    w.db(more)  # a gate that was offline for days uploads late
    w.until_settled(3)
    assert len(w.platform.attendance) == before + 2
    assert len(w.jobs("attendance")) == 4  # one batch per team and day (3 + 1)


def test_the_local_checks_hold_back_what_the_platform_would_refuse(
    make_world: Callable[[str], World],
) -> None:
    w = make_world("national")

    def spoil(s: Session) -> None:
        first = s.scalars(select(Assignment).order_by(Assignment.id)).first()
        assert first is not None
        first.trade = "宇航员"  # not on the platform's trade list
        first.left_on = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=20)  # after today

    w.db(spoil)
    w.cli("configure", "--url", w.base, "--appid", "PF-1", "--secret", SECRET)
    w.until_settled(3)
    (bad,) = [j for j in w.jobs("worker") if j.state == "invalid"]
    assert "workType" in bad.message
    assert "工种代码 宇航员 不在平台代码表中" in bad.message
    calls = [c for c in w.platform.calls if c == "ProjectWorker.Add"]
    assert len(calls) == 1  # only the good worker went
    status = w.cli("status")
    assert "本地检查未通过" in status

    def fix(s: Session) -> None:
        first = s.scalars(select(Assignment).order_by(Assignment.id)).first()
        assert first is not None
        first.trade = "钢筋工"
        first.left_on = dt.date(2026, 11, 19)  # a real exit day

    w.db(fix)
    w.until_settled()
    assert set(w.states().values()) == {"uploaded"}, w.states()
    assert w.kinds("uploaded").count("exit") == 1


def test_guangzhou_signs_and_encrypts_its_own_way(make_world: Callable[[str], World]) -> None:
    w = make_world("guangzhou")
    key = "8c2da4c769828fcfa77aedb690999cf9"
    w.platform.secrets["PF-1"] = key
    w.cli("configure", "--url", w.base, "--appid", "PF-1", "--secret", key,
          "--profile", "guangzhou")  # fmt: skip
    w.until_settled()
    assert set(w.states().values()) == {"uploaded"}, w.states()
    # no company or pay method on this platform: never queued, never called
    assert "subcontractor" not in w.kinds("uploaded")
    assert "payroll" not in w.kinds("uploaded")
    assert "Payroll.Add" not in w.platform.calls
    assert sorted(w.platform.workers) == sorted(w.ids)  # its DES decrypted them
    assert w.platform.workers[w.ids[0]]["teamSysNo"] in w.platform.teams  # sent encrypted too


def test_a_rejection_and_a_refused_secret(make_world: Callable[[str], World]) -> None:
    w = make_world("national")
    w.cli("configure", "--url", w.base, "--appid", "PF-1", "--secret", "f" * 32)
    w.cli("sync")
    assert w.kinds("blocked") == ["subcontractor"]  # refused: nothing else is tried
    w.cli("configure", "--url", w.base, "--appid", "PF-1", "--secret", SECRET)

    def break_id(s: Session) -> None:
        worker = s.scalars(select(Worker).order_by(Worker.id)).first()
        assert worker is not None
        worker.id_number = "1234567"

    w.db(break_id)
    w.until_settled(3)
    (rejected,) = [j for j in w.jobs("worker") if j.state == "rejected"]
    assert "idCardNumber 格式错误" in rejected.message
    sent = w.platform.calls.count("ProjectWorker.Add")
    w.until_settled(2)
    assert w.platform.calls.count("ProjectWorker.Add") == sent  # the same data is not resent

    def mend(s: Session) -> None:
        worker = s.scalars(select(Worker).order_by(Worker.id)).first()
        assert worker is not None
        worker.id_number = w.ids[0]

    w.db(mend)
    w.until_settled()
    assert w.platform.calls.count("ProjectWorker.Add") == sent + 1  # changed data goes again
    assert set(w.states().values()) == {"uploaded"}, w.states()


def test_unconfigured_is_a_one_line_error(make_world: Callable[[str], World]) -> None:
    w = make_world("national")
    out = w.cli("sync", ok=False)
    assert "尚未配置监管平台账号" in out
    assert "Traceback" not in out
    short = w.cli("configure", "--url", "x", "--appid", "PF-1", "--secret", "short", ok=False)
    assert "32 字节" in short
    far = w.cli("configure", "--url", "x", "--appid", "PF-1", "--secret", SECRET,
                "--lng", "39.9", "--lat", "116.39", ok=False)  # fmt: skip
    assert "不在中国境内" in far
    unknown = w.cli("configure", "--url", "x", "--appid", "PF-1", "--secret", SECRET,
                    "--profile", "atlantis", ok=False)  # fmt: skip
    assert "未知的平台配置" in unknown


def test_an_id_type_without_a_confirmed_code_is_held_back_with_that_said(
    make_world: Callable[[str], World],
) -> None:
    w = make_world("national")

    def foreigner(s: Session) -> None:
        first = s.scalars(select(Worker).order_by(Worker.id)).first()
        assert first is not None
        first.id_card_type = "FP"  # 外国人永久居留身份证, 2023 edition
        first.id_number = "911840198808080012"

    w.db(foreigner)
    w.cli("configure", "--url", w.base, "--appid", "PF-1", "--secret", SECRET)
    w.until_settled(3)
    (held,) = [j for j in w.jobs("worker") if j.state == "invalid"]
    assert "外国人永久居留身份证" in held.message
    assert "id_type_map" in held.message
    assert "911840198808080012" not in w.platform.workers  # never sent with a guessed code
