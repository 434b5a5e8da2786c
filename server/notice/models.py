"""The structured 维权信息告示牌 of a project: one row per project (none = not set yet)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, IdMixin, TimestampMixin


class NoticeBoard(IdMixin, TimestampMixin, Base):
    __tablename__ = "notice_board"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), unique=True
    )
    officer_name: Mapped[str] = mapped_column(String(32), default="")  # 劳资专管员
    officer_phone: Mapped[str] = mapped_column(String(24), default="")
    min_wage_month_fen: Mapped[int | None] = mapped_column(Integer)  # 月最低工资
    min_wage_hour_fen: Mapped[int | None] = mapped_column(Integer)  # 小时最低工资
    pay_day: Mapped[int | None] = mapped_column(Integer)  # 每月X日
    inspection_phone: Mapped[str] = mapped_column(String(24), default="")  # 劳动保障监察
    housing_phone: Mapped[str] = mapped_column(String(24), default="")  # 住建主管部门
    arbitration_phone: Mapped[str] = mapped_column(String(24), default="")  # 劳动人事争议仲裁
    legal_aid_phone: Mapped[str] = mapped_column(String(24), default="")  # 法律援助
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
