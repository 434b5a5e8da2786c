"""LazyFS's page cache over a real backing file: read-your-writes, sync, power cut, truncate."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soak.page_cache import PAGE, PageCache


@pytest.fixture
def backing(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    """(path, inode, read descriptor) of a backing file holding 10 000 durable bytes."""
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * 39 + bytes(16))
    fd = os.open(path, os.O_RDONLY)
    yield path, os.fstat(fd).st_ino, fd
    os.close(fd)


class TestPageCache:
    def test_unsynced_write_is_read_back_then_lost_on_power_cut(
        self, backing: tuple[Path, int, int]
    ) -> None:
        path, ino, fd = backing
        before = path.read_bytes()
        cache = PageCache()
        cache.write(ino, str(path), b"NEW", 4094)  # spans a page boundary
        assert cache.read(ino, fd, 10, 4088) == before[4088:4094] + b"NEW" + before[4097:4098]
        assert cache.size(ino) == len(before)
        assert path.read_bytes() == before  # nothing reached the disk
        assert cache.drop_all() == (1, 2 * PAGE)
        assert path.read_bytes() == before
        assert cache.read(ino, fd, 10, 4088) == before[4088:4098]

    def test_synced_write_survives_power_cut(self, backing: tuple[Path, int, int]) -> None:
        path, ino, _fd = backing
        before = path.read_bytes()
        cache = PageCache()
        cache.write(ino, str(path), b"tail", len(before))
        cache.sync(ino)
        assert cache.size(ino) is None  # nothing pending any more
        cache.write(ino, str(path), b"later", 0)  # unsynced, after the sync
        cache.drop_all()
        assert path.read_bytes() == before + b"tail"

    def test_truncate_pending_until_sync(self, backing: tuple[Path, int, int]) -> None:
        path, ino, fd = backing
        before = path.read_bytes()
        cache = PageCache()
        cache.truncate(ino, str(path), 5000)
        assert cache.size(ino) == 5000
        assert cache.read(ino, fd, 100, 4990) == before[4990:5000]
        cache.truncate(ino, str(path), 9000)  # extend again: the cut-off bytes read as zeros
        assert cache.read(ino, fd, 20, 4990) == before[4990:5000] + bytes(10)
        assert os.path.getsize(path) == len(before)
        cache.drop_all()
        assert path.read_bytes() == before  # the truncate never happened on disk

        cache.truncate(ino, str(path), 100)
        cache.sync(ino)
        assert path.read_bytes() == before[:100]

    def test_truncate_clears_the_tail_of_a_dirty_page(self, backing: tuple[Path, int, int]) -> None:
        path, ino, fd = backing
        cache = PageCache()
        cache.write(ino, str(path), b"x" * 100, 200)
        cache.truncate(ino, str(path), 250)
        cache.write(ino, str(path), b"y", 299)  # re-extends over the truncated bytes
        assert cache.read(ino, fd, 100, 200) == b"x" * 50 + bytes(49) + b"y"
        cache.sync(ino)
        assert path.read_bytes()[200:] == b"x" * 50 + bytes(49) + b"y"


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(0, 3 * PAGE), st.binary(min_size=1, max_size=700)),
        st.tuples(st.just("truncate"), st.integers(0, 3 * PAGE), st.just(b"")),
        st.tuples(st.just("sync"), st.just(0), st.just(b"")),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(ops=OPS, cut=st.booleans())
def test_matches_a_simple_model(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, bytes]], cut: bool
) -> None:
    """Any run of writes, truncates and syncs reads like a plain bytearray; the disk holds the
    state of the last sync after a power cut, and the latest state after a clean shutdown."""
    path = tmp_path_factory.mktemp("model") / "f"
    path.write_bytes(b"D" * 5000)
    fd = os.open(path, os.O_RDONLY)
    ino = os.fstat(fd).st_ino
    cache = PageCache()
    model, durable = bytearray(b"D" * 5000), b"D" * 5000
    try:
        for op, offset, data in ops:
            if op == "write":
                cache.write(ino, str(path), data, offset)
                if offset > len(model):
                    model += bytes(offset - len(model))
                model[offset : offset + len(data)] = data
            elif op == "truncate":
                cache.truncate(ino, str(path), offset)
                model = model[:offset] + bytes(max(0, offset - len(model)))
            else:
                cache.sync(ino)
                durable = bytes(model)
            assert cache.read(ino, fd, 4 * PAGE, 0) == bytes(model)
        if cut:
            cache.drop_all()
            assert path.read_bytes() == durable
        else:
            cache.sync_all()
            assert path.read_bytes() == bytes(model)
    finally:
        os.close(fd)
