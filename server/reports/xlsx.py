"""Shared by the XLSX exports: text from people and bank files, made safe for a worksheet."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def cell_text(value: object) -> object:
    """Strip the control characters Excel cannot store (openpyxl refuses the cell otherwise);
    other values pass through unchanged. Names and comments arrive from bank files, ID cards
    and forms, so one stray character must not break a whole export."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
