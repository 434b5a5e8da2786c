"""rosters.service against the real schema: daily board, monthly roster, corrections (补卡)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import DenyReason, Direction, Role
from server.auth.models import AuditLog
from server.errors import ForbiddenError, SiteGateError, ValidationFailedError
from server.rosters import service as roster_service
from server.rosters.rules import DayStatus, SessionState
from tests.factories import make_project, make_user, make_worker
from tests.integration.server.rosters.conftest import Site
from tests.integration.server.rosters.roster_support import add_event, local, shift

DAY = dt.date(2026, 10, 12)


class TestDaily:
    def test_mix_of_on_site_left_missing_and_refused(self, session: Session, site: Site) -> None:
        p, gi, go = site.project, site.gate_in, site.gate_out
        on_site = site.worker(session, "甲在场")
        left = site.worker(session, "乙已走", concrete=True, trade="混凝土工")
        twice = site.worker(session, "丙两进")
        out_only = site.worker(session, "丁只出")
        refused = site.worker(session, "戊被拒")
        absent = site.worker(session, "己未到", concrete=True)
        add_event(session, p, gi, on_site, local(DAY, 8), Direction.IN)
        add_event(session, p, gi, left, local(DAY, 7, 30), Direction.IN)
        add_event(session, p, go, left, local(DAY, 12), Direction.OUT)
        add_event(session, p, gi, twice, local(DAY, 6), Direction.IN)
        add_event(session, p, gi, twice, local(DAY, 13), Direction.IN)  # first one: missing OUT
        add_event(session, p, go, out_only, local(DAY, 10), Direction.OUT)  # missing IN
        add_event(
            session, p, gi, refused, local(DAY, 7), Direction.IN, refused=DenyReason.FACE_MISMATCH
        )
        add_event(
            session,
            p,
            gi,
            None,
            local(DAY, 7, 5),
            Direction.IN,
            refused=DenyReason.UNKNOWN_CREDENTIAL,
        )
        # yesterday's and tomorrow's events stay out of the day
        shift(session, p, gi, absent, DAY - dt.timedelta(days=1), (8, 0), (17, 0))

        board = roster_service.daily(session, project_id=p.id, day=DAY, now=local(DAY, 15))

        assert {x.worker.name for x in board.on_site} == {"甲在场", "丙两进"}
        assert board.headcount == 2
        assert {x.worker.name for x in board.present} == {"甲在场", "乙已走", "丙两进", "丁只出"}
        gone = next(x for x in board.present if x.worker.name == "乙已走")
        assert (gone.first_in, gone.last_out) == (local(DAY, 7, 30), local(DAY, 12))
        assert gone.status is DayStatus.FULL
        assert not gone.on_site
        assert board.arrivals == 3
        assert board.departures == 2
        assert [w.name for w in board.not_come] == sorted(["戊被拒", "己未到"], key=lambda n: (
            site.steel.name if n == "戊被拒" else site.concrete.name, n))  # fmt: skip
        kinds = {(a.worker.name, a.kind) for a in board.anomalies}
        assert kinds == {("丙两进", SessionState.MISSING_OUT), ("丁只出", SessionState.MISSING_IN)}
        assert [(r.worker.name if r.worker else None, r.reason_zh) for r in board.refusals] == [
            ("戊被拒", "人证不符"),
            (None, "未登记的证件或卡"),
        ]
        assert sum(g.on_site for g in board.by_group) == 2
        hours = {at.hour: n for at, n in board.hourly}
        assert hours[9] == 3  # 甲 08:00, 乙 07:30, 丙 06:00 (until its next punch at 13:00)
        assert hours[14] == 2  # 甲, 丙's second session
        assert max(hours) == 15  # nothing after `now`


class TestMonth:
    def test_night_shift_correction_and_left_mid_month(self, session: Session, site: Site) -> None:
        p, gi = site.project, site.gate_in
        manager = make_user(session, Role.SITE_MANAGER, [p])
        night = site.worker(session, "夜班")
        leaver = site.worker(session, "中途退场", left_on=dt.date(2026, 10, 15), concrete=True)
        fixed = site.worker(session, "补卡")
        shift(session, p, gi, night, dt.date(2026, 9, 30), (21, 0), (6, 0))  # September's
        shift(session, p, gi, night, dt.date(2026, 10, 5), (21, 0), (6, 0))
        shift(session, p, gi, leaver, dt.date(2026, 10, 14), (8, 0), (17, 0))
        shift(session, p, gi, leaver, dt.date(2026, 10, 20), (8, 0), (17, 0))  # after leaving
        shift(session, p, gi, fixed, dt.date(2026, 10, 8), (8, 0), None)
        roster_service.add_correction(
            session, user=manager, project_id=p.id, worker_id=fixed.id,
            at=local(dt.date(2026, 10, 8), 17), direction=Direction.OUT, reason="出场闸机故障",
            now=local(dt.date(2026, 11, 1), 9),
        )  # fmt: skip

        roster = roster_service.load_month(session, project_id=p.id, period="2026-10")

        rows = {r.name: r for r in roster.rows}
        assert set(rows) == {"夜班", "中途退场", "补卡"}
        n = rows["夜班"].month
        assert n.attended_days == 1
        assert n.total_hours == 9
        assert n.cells[4].status is DayStatus.FULL
        assert n.cells[5].status is DayStatus.ABSENT
        assert n.cells[0].status is DayStatus.ABSENT  # Sep 30's night shift is not October's
        m = rows["中途退场"].month
        assert m.cells[13].status is DayStatus.FULL
        assert {c.status for c in m.cells[15:]} == {DayStatus.NOT_ASSIGNED}
        assert m.outside_assignment_days == 1
        assert m.attended_days == 1
        f = rows["补卡"].month
        assert f.cells[7].status is DayStatus.FULL
        assert f.cells[7].corrected
        assert f.corrected_days == 1
        assert f.anomaly_count == 0
        assert [c.reason for c in roster.corrections] == ["出场闸机故障"]
        assert rows["补卡"].id_number_masked.count("*") == 8
        assert roster.rule_notes[0].startswith("计为一天")
        only = roster_service.load_month(
            session, project_id=p.id, period="2026-10", company_id=site.concrete.id
        )
        assert [r.name for r in only.rows] == ["中途退场"]
        # One worker's pages load that worker's row alone, identical to the full roster's.
        for name in ("夜班", "补卡"):
            mine = roster_service.load_month(
                session, project_id=p.id, period="2026-10", worker_id=rows[name].worker_id
            )
            assert [r.name for r in mine.rows] == [name]
            assert mine.rows[0].month == rows[name].month
            assert mine.worker_id == rows[name].worker_id
        assert [c.reason for c in mine.corrections] == ["出场闸机故障"]

    def test_not_yet_entered_and_already_left_are_not_rows(
        self, session: Session, site: Site
    ) -> None:
        site.worker(session, "十一月进场", entered_on=dt.date(2026, 11, 3))
        site.worker(session, "九月退场", left_on=dt.date(2026, 9, 30))
        site.worker(session, "十月")
        roster = roster_service.load_month(session, project_id=site.project.id, period="2026-10")
        assert [r.name for r in roster.rows] == ["十月"]

    @pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-10", "october", "2026-00"])
    def test_bad_period_names_the_field(self, session: Session, site: Site, bad: str) -> None:
        with pytest.raises(ValidationFailedError) as err:
            roster_service.load_month(session, project_id=site.project.id, period=bad)
        assert err.value.detail[0]["field"] == "month"


class TestAddCorrection:
    def test_audited(self, session: Session, site: Site) -> None:
        manager = make_user(session, Role.SITE_MANAGER, [site.project])
        w = site.worker(session, "张三")
        rec = roster_service.add_correction(
            session, user=manager, project_id=site.project.id, worker_id=w.id,
            at=local(DAY, 8), direction=Direction.IN, reason="  忘记刷卡 ",
        )  # fmt: skip
        assert rec.reason == "忘记刷卡"
        assert rec.author == manager.username
        log = session.scalars(select(AuditLog).where(AuditLog.action == "attendance.correct")).one()
        assert (log.user_id, log.entity_id, log.project_id) == (
            manager.id,
            rec.correction_id,
            site.project.id,
        )
        assert log.detail["reason"] == "忘记刷卡"
        assert log.detail["worker_id"] == w.id

    def test_refusals(self, session: Session, site: Site) -> None:
        manager = make_user(session, Role.SITE_MANAGER, [site.project])
        inspector = make_user(session, Role.INSPECTOR, [site.project])
        w = site.worker(session, "张三")
        stranger = make_worker(session, "外人")
        other = make_project(session)
        base = {"project_id": site.project.id, "at": local(DAY, 8), "direction": Direction.IN}

        def fix(**kw: object) -> SiteGateError:
            args = {**base, "user": manager, "worker_id": w.id, "reason": "忘记刷卡", **kw}
            with pytest.raises(SiteGateError) as err:
                roster_service.add_correction(session, **args)  # type: ignore[arg-type]
            return err.value

        assert fix(reason="   ").detail[0]["field"] == "reason"
        assert fix(worker_id=stranger.id).detail[0]["field"] == "worker_id"
        assert fix(at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).detail[0]["field"] == "at"
        assert isinstance(fix(user=inspector), ForbiddenError)
        assert fix(project_id=other.id).status_code == 404
