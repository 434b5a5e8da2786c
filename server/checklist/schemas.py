"""The checklist as the JSON API shows it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.enums import WarningLevel
from server.checklist.rules import Code
from server.checklist.service import ProjectChecklist


class ItemOut(BaseModel):
    code: Code
    ok: bool
    checked: bool = Field(description="false: the project's settings turned the item off")
    level: WarningLevel = Field(description="green when ok; else the item's level")
    figure: str = Field(description="the count or share behind the item, e.g. 3/20 (15 %)")
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str


class ChecklistOut(BaseModel):
    project_id: int
    project_code: str
    project_name: str
    region: str
    level: WarningLevel = Field(description="the worst item's level")
    items: list[ItemOut] = Field(description="failing items first, worst first")


def checklist_out(c: ProjectChecklist) -> ChecklistOut:
    return ChecklistOut(
        project_id=c.project.id,
        project_code=c.project.code,
        project_name=c.project.name,
        region=c.project.region,
        level=c.level,
        items=[
            ItemOut(
                code=i.code, ok=i.ok, checked=i.checked, level=i.level, figure=i.figure,
                title_zh=i.title_zh, title_en=i.title_en, text_zh=i.text_zh, text_en=i.text_en,
            )
            for i in c.items
        ],
    )  # fmt: skip
