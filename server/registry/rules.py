"""Pure registry rules: the order workers are listed in (by the pinyin of their names).

Chinese lists of people are read in pinyin order (阿 before 张), not in code-point order. The
key is stored on the worker (`worker.name_key`) so a page of 50 out of 5,000 is an ORDER BY in
the database: computing it for every row on each request costs about 0.7 s per 5,000 names
with pypinyin's phrase segmentation (measured on the two-core dev box).
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# The reading of a character as a surname, where it differs from its everyday reading
# (单 is shàn as a surname, not dān): only the first character of a name is a surname.
SURNAME_READINGS = {
    "单": "shan4",
    "曾": "zeng1",
    "解": "xie4",
    "仇": "qiu2",
    "朴": "piao2",
    "查": "zha1",
    "区": "ou1",
    "乐": "yue4",
    "覃": "qin2",
    "盖": "ge3",
    "翟": "zhai2",
    "缪": "miao4",
    "尉": "yu4",
    "召": "shao4",
    "种": "chong2",
    "秘": "bi4",
    "员": "yun2",
    "万": "wan4",
}


@lru_cache(maxsize=16384)
def _syllable(char: str) -> str:
    # One character at a time (no phrase segmentation: names are not phrases) and cached: the
    # key of 20,000 names costs about 45 ms, so a roster import can afford it.
    return "".join(lazy_pinyin(char, style=Style.TONE3, neutral_tone_with_five=True)).lower()


def name_sort_key(name: str) -> str:
    """'张伟' -> 'zhang1wei3'. Every syllable ends in its tone digit, and a digit sorts before
    a letter in every collation, so 'li3 si4' < 'lin2' without a separator (PostgreSQL's
    locale collations ignore spaces, which would put 'lin' before 'li si')."""
    stripped = "".join(name.split())  # spaces inside a name (王 小明) do not order it
    parts = [_syllable(c) for c in stripped]
    if stripped and stripped[0] in SURNAME_READINGS:
        parts[0] = SURNAME_READINGS[stripped[0]]
    return "".join(parts)[:255]
