"""LazyFS through the kernel (a real FUSE mount, no SQLite): what survives a power cut."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from soak.lazymount import LazyMount, probe


@pytest.fixture(scope="module")
def fuse_ok(tmp_path_factory: pytest.TempPathFactory) -> None:
    reason = probe(tmp_path_factory.mktemp("probe"))
    if reason is not None:
        pytest.skip(f"FUSE cannot be mounted here: {reason}")


@pytest.fixture
def lazy(fuse_ok: None, tmp_path: Path) -> Iterator[LazyMount]:
    m = LazyMount(tmp_path / "disk", tmp_path / "mnt")
    m.mount()
    yield m
    m.unmount()


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_file(m: LazyMount, name: str, data: bytes) -> Path:
    """A file whose data and name are both on disk (file fsync, then directory fsync)."""
    path = m.mountpoint / name
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    fsync_path(m.mountpoint)
    return path


class TestPowerCut:
    def test_unsynced_write_read_back_then_gone(self, lazy: LazyMount) -> None:
        path = durable_file(lazy, "a", b"old contents")
        with path.open("r+b") as f:
            f.seek(4)
            f.write(b"NEW")
            f.flush()
            f.seek(0)
            assert f.read() == b"old NEWtents"  # read-your-writes before any sync
        assert (lazy.backing / "a").read_bytes() == b"old contents"
        assert lazy.cut().startswith("cut 1 ")
        lazy.unmount()
        assert (lazy.backing / "a").read_bytes() == b"old contents"

    def test_fsynced_write_kept(self, lazy: LazyMount) -> None:
        path = durable_file(lazy, "a", b"v1")
        with path.open("ab") as f:
            f.write(b"+v2")
            f.flush()
            os.fdatasync(f.fileno())
            f.write(b"+v3")  # after the sync: lost
        lazy.cut()
        lazy.unmount()
        assert (lazy.backing / "a").read_bytes() == b"v1+v2"

    def test_new_name_needs_a_directory_fsync(self, lazy: LazyMount) -> None:
        durable_file(lazy, "kept", b"k")
        with (lazy.mountpoint / "orphan").open("wb") as f:
            f.write(b"data")
            f.flush()
            os.fsync(f.fileno())  # the data, but not the directory entry
        assert sorted(os.listdir(lazy.backing)) == ["kept", "orphan"]
        lazy.cut()
        lazy.unmount()
        assert sorted(os.listdir(lazy.backing)) == ["kept"]

    def test_unlink_undone_unless_directory_synced(self, lazy: LazyMount) -> None:
        a = durable_file(lazy, "a", b"A")
        b = durable_file(lazy, "b", b"B")
        with a.open("ab") as f:
            f.write(b" unsynced")
        a.unlink()
        assert not a.exists()
        lazy.cut()  # the unlink was never made durable: the file is back as last synced
        lazy.unmount()
        assert (lazy.backing / "a").read_bytes() == b"A"
        lazy.mount()
        b.unlink()
        fsync_path(lazy.mountpoint)
        lazy.cut()
        lazy.unmount()
        assert sorted(os.listdir(lazy.backing)) == ["a"]

    def test_rename_undone_unless_directory_synced(self, lazy: LazyMount) -> None:
        durable_file(lazy, "a", b"A")
        durable_file(lazy, "b", b"B")
        os.rename(lazy.mountpoint / "a", lazy.mountpoint / "b")  # replaces b
        assert (lazy.mountpoint / "b").read_bytes() == b"A"
        lazy.cut()
        lazy.unmount()
        assert (lazy.backing / "a").read_bytes() == b"A"
        assert (lazy.backing / "b").read_bytes() == b"B"
        lazy.mount()
        os.rename(lazy.mountpoint / "a", lazy.mountpoint / "b")
        fsync_path(lazy.mountpoint)
        lazy.cut()
        lazy.unmount()
        assert sorted(os.listdir(lazy.backing)) == ["b"]
        assert (lazy.backing / "b").read_bytes() == b"A"

    def test_open_descriptor_keeps_its_file_across_rename_over(self, lazy: LazyMount) -> None:
        old = durable_file(lazy, "old", b"")
        durable_file(lazy, "new", b"replacement")
        with old.open("r+b") as f:
            os.rename(lazy.mountpoint / "new", old)  # the name now points at another file
            f.write(b"to the open file")
            f.flush()
            assert os.pread(f.fileno(), 100, 0) == b"to the open file"
        assert old.read_bytes() == b"replacement"

    def test_truncate_undone_unless_synced(self, lazy: LazyMount) -> None:
        a = durable_file(lazy, "a", b"0123456789")
        b = durable_file(lazy, "b", b"0123456789")
        os.truncate(a, 3)
        with b.open("r+b") as f:
            f.truncate(4)
            os.fsync(f.fileno())
        assert a.read_bytes() == b"012"
        with a.open("wb") as f:  # O_TRUNC, then new data, never synced
            f.write(b"xy")
        lazy.cut()
        lazy.unmount()
        assert (lazy.backing / "a").read_bytes() == b"0123456789"
        assert (lazy.backing / "b").read_bytes() == b"0123"

    def test_clean_unmount_writes_everything_back(self, lazy: LazyMount) -> None:
        durable_file(lazy, "a", b"")
        (lazy.mountpoint / "a").write_bytes(b"written, never synced")
        (lazy.mountpoint / "fresh").write_bytes(b"new")
        lazy.unmount()
        assert (lazy.backing / "a").read_bytes() == b"written, never synced"
        assert (lazy.backing / "fresh").read_bytes() == b"new"

    def test_shared_mmap_writes_are_seen_by_read(self, lazy: LazyMount) -> None:
        """SQLite's WAL index is a shared writable mmap: it must work without direct_io. Dirty
        mapped pages are unsynced data like any other; msync is an fsync."""
        lost = durable_file(lazy, "shm", bytes(8192))
        kept = durable_file(lazy, "synced", bytes(8192))
        with lost.open("r+b") as f, mmap.mmap(f.fileno(), 8192) as m:
            m[100:104] = b"WAL!"
            assert os.pread(f.fileno(), 4, 100) == b"WAL!"
        with kept.open("r+b") as f, mmap.mmap(f.fileno(), 8192) as m:
            m[5000:5004] = b"SYNC"
            m.flush()
        assert lost.read_bytes()[100:104] == b"WAL!"
        lazy.cut()
        lazy.unmount()
        assert (lazy.backing / "shm").read_bytes() == bytes(8192)
        assert (lazy.backing / "synced").read_bytes()[5000:5004] == b"SYNC"
