"""A LazyFS-style FUSE file system (after INESC TEC's LazyFS): a passthrough over a backing
directory that keeps each file's writes and truncates in its own page cache until that file is
fsynced, and each creation, unlink and rename only until its directory is fsynced. A power cut
drops all of it, so the backing directory then holds exactly what a disk would after losing
power.

Run as its own process: `python -m soak.lazyfs BACKING MOUNTPOINT`. It mounts in the foreground
and takes commands on stdin, one per line, answering one line each on stdout:
  cut   power loss: drop unsynced writes and truncates, undo unsynced directory changes
        -> "cut FILES BYTES NAMES" (files with dirty pages, their bytes, entries undone)
  sync  write everything back (what a clean shutdown does)            -> "sync FILES"
Unmounting (fusermount3 -u) writes back whatever is still pending, as a clean shutdown would;
after `cut` nothing is.

Not modelled: torn writes (an fsync is atomic, a cut falls between calls), reordering among
unsynced writes (all of them are lost, none survive by luck), hard links and directory
creation (mkdir/rmdir are durable at once).
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import mfusepy

from soak.namespace import Namespace
from soak.page_cache import PageCache

_STAT_KEYS = (
    "st_mode", "st_ino", "st_nlink", "st_uid", "st_gid", "st_size",
    "st_atime", "st_mtime", "st_ctime", "st_blocks", "st_blksize",
)  # fmt: skip
# The backing descriptor is always O_RDWR (a page is read in before a partial write), never
# O_APPEND (the kernel already gives the end of file as the offset) and never O_TRUNC (a
# truncate is pending state, not a backing change), never O_DIRECT (unaligned page reads).
_STRIP = os.O_ACCMODE | os.O_APPEND | os.O_TRUNC | os.O_CREAT | os.O_EXCL | os.O_DIRECT


class LazyFS:
    """The FUSE operations (mfusepy calls them by name). Every call holds one lock."""

    use_ns = True  # mfusepy: times in nanoseconds

    def __init__(self, backing: str) -> None:
        self.root = os.path.realpath(backing)
        self.cache = PageCache()
        self._mutex = threading.Lock()
        self.names = Namespace(self.root)

    def _real(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    # -- files ----------------------------------------------------------------------------------

    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        with self._mutex:
            st = os.fstat(fh) if fh is not None else os.lstat(self._real(path))
            attrs: dict[str, Any] = {k: getattr(st, k) for k in _STAT_KEYS}
            for k in ("st_atime", "st_mtime", "st_ctime"):
                attrs[k] = getattr(st, k + "_ns")
            size = self.cache.size(st.st_ino)
            if size is not None:
                attrs["st_size"] = size
                attrs["st_blocks"] = (size + 511) // 512
            return attrs

    def open(self, path: str, flags: int) -> int:
        with self._mutex:
            real = self._real(path)
            fd = os.open(real, (flags & ~_STRIP) | os.O_RDWR)
            if flags & os.O_TRUNC:
                self.cache.truncate(os.fstat(fd).st_ino, fd, 0)
            return fd

    def create(self, path: str, mode: int, flags: int = 0) -> int:
        with self._mutex:
            real = self._real(path)
            existed = os.path.lexists(real)
            fd = os.open(real, (flags & ~_STRIP) | os.O_RDWR | os.O_CREAT, mode)
            if not existed:
                self.names.created(path)
            elif flags & os.O_TRUNC:
                self.cache.truncate(os.fstat(fd).st_ino, fd, 0)
            return fd

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        with self._mutex:
            return self.cache.read(os.fstat(fh).st_ino, fh, size, offset)

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        with self._mutex:
            return self.cache.write(os.fstat(fh).st_ino, fh, data, offset)

    def truncate(self, path: str, length: int, fh: int | None = None) -> int:
        with self._mutex:
            if fh is not None:
                self.cache.truncate(os.fstat(fh).st_ino, fh, length)
            else:
                real = self._real(path)
                self.cache.truncate(os.lstat(real).st_ino, real, length)
            return 0

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        with self._mutex:
            self.cache.sync(os.fstat(fh).st_ino)
            return 0

    def flush(self, path: str, fh: int) -> int:
        return 0  # close() is not a sync: the data stays in the cache

    def release(self, path: str, fh: int) -> int:
        os.close(fh)
        return 0

    def fallocate(self, path: str, mode: int, offset: int, size: int, fh: int) -> int:
        if mode:
            raise mfusepy.FuseOSError(errno.EOPNOTSUPP)
        with self._mutex:
            ino = os.fstat(fh).st_ino
            current = self.cache.size(ino)
            if current is None:
                current = os.fstat(fh).st_size
            if offset + size > current:
                self.cache.truncate(ino, fh, offset + size)
            return 0

    # -- names ----------------------------------------------------------------------------------

    def unlink(self, path: str) -> int:
        with self._mutex:
            self.names.unlink(path)  # pending data stays: open descriptors still use it
            return 0

    def rename(self, old: str, new: str) -> int:
        with self._mutex:
            self.names.rename(old, new)
            return 0

    def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
        with self._mutex:
            for ino in self.names.synced_dir(path):
                self.cache.forget(ino)
            os.fsync(fd := os.open(self._real(path), os.O_RDONLY))
            os.close(fd)
            return 0

    def mkdir(self, path: str, mode: int) -> int:
        os.mkdir(self._real(path), mode)
        return 0

    def rmdir(self, path: str) -> int:
        os.rmdir(self._real(path))
        return 0

    def readdir(self, path: str, fh: int) -> Iterator[str]:
        yield from (".", "..")
        yield from os.listdir(self._real(path))

    def access(self, path: str, amode: int) -> int:
        if not os.access(self._real(path), amode):
            raise mfusepy.FuseOSError(errno.EACCES)
        return 0

    def chmod(self, path: str, mode: int) -> int:
        os.chmod(self._real(path), mode)
        return 0

    def chown(self, path: str, uid: int, gid: int) -> int:
        os.chown(self._real(path), uid, gid)
        return 0

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> int:
        os.utime(self._real(path), ns=times) if times else os.utime(self._real(path))
        return 0

    def statfs(self, path: str) -> dict[str, int]:
        sv = os.statvfs(self._real(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files")
        return {k: getattr(sv, k) for k in (*keys, "f_flag", "f_frsize", "f_namemax")}

    # -- power -----------------------------------------------------------------------------------

    def cut(self) -> tuple[int, int, int]:
        """Power loss: (files with unsynced data, their dirty bytes, directory changes undone)."""
        with self._mutex:
            files, dirty = self.cache.drop_all()
            return files, dirty, self.names.undo()

    def sync_all(self) -> int:
        with self._mutex:
            written = self.cache.sync_all()
            for ino in self.names.commit_all():
                self.cache.forget(ino)
            return written

    def destroy(self, path: str) -> None:
        self.sync_all()


def _serve_commands(fs: LazyFS) -> None:
    for line in sys.stdin:
        command = line.strip()
        if command == "cut":
            files, dirty, names = fs.cut()
            answer = f"cut {files} {dirty} {names}"
        elif command == "sync":
            answer = f"sync {fs.sync_all()}"
        else:
            answer = f"error unknown command {command!r}"
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


def main(argv: list[str]) -> int:
    backing, mountpoint = argv
    fs = LazyFS(backing)
    threading.Thread(target=_serve_commands, args=(fs,), daemon=True).start()
    # No direct_io: SQLite's -shm is a shared writable mmap, which needs the kernel page cache.
    mfusepy.FUSE(fs, mountpoint, foreground=True, fsname="lazyfs", default_permissions=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
