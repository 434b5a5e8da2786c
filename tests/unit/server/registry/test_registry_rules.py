"""The workers list's order: the pinyin sort key of a name (pure)."""

from __future__ import annotations

import pytest

from server.registry.rules import name_sort_key


class TestNameSortKey:
    @pytest.mark.parametrize(
        ("name", "key"),
        [
            ("张伟", "zhang1wei3"),
            ("阿明", "a1ming2"),
            ("吕布", "lv3bu4"),
            ("单田芳", "shan4tian2fang1"),  # 单 as a surname is shàn
            ("曾小贤", "zeng1xiao3xian2"),
            ("王 小明", "wang2xiao3ming2"),  # a space typed inside does not order it
            ("Tom", "tom"),
            ("", ""),
        ],
    )
    def test_key(self, name: str, key: str) -> None:
        assert name_sort_key(name) == key

    def test_pinyin_order_not_code_points(self) -> None:
        names = ["张伟", "李四", "阿明", "林一", "李思思", "吕布", "卢", "赵六"]
        assert sorted(names) != sorted(names, key=name_sort_key)  # code points: 卢 吕 李 ...
        assert sorted(names, key=name_sort_key) == [
            "阿明",
            "李思思",
            "李四",
            "林一",
            "卢",
            "吕布",
            "张伟",
            "赵六",
        ]  # fmt: skip  (李思思 li3 si1 before 李四 li3 si4: the tone orders them)

    def test_syllables_compare_without_a_separator(self) -> None:
        # li3 + si4 against lin2: the tone digit ends "li" before the "n" of "lin", so the key
        # orders the same under a collation that ignores spaces or punctuation
        assert name_sort_key("李四") < name_sort_key("林")
        assert all(k[-1].isdigit() for k in map(name_sort_key, ["李", "林", "张"]))
