"""LazyFS's "page cache": every file's writes and truncates since its last fsync, held in memory.

The backing file holds only what an fsync made durable. Reads merge the two (a process reads
its own unsynced writes, as it would through the kernel's page cache); `sync` writes one file's
pending state down and fsyncs it; `drop_all` is the power cut: everything unsynced is gone.
Pure bookkeeping over file descriptors: no FUSE here, so the semantics are tested directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

PAGE = 4096


@dataclass
class Pending:
    """One file's unsynced state. `fd` is our own O_RDWR descriptor of the backing file."""

    fd: int
    size: int  # the size a reader sees now
    floor: int  # backing bytes at or past `floor` were truncated away: they read as zeros
    pages: dict[int, bytearray] = field(default_factory=dict)  # page index -> whole page

    def _base(self, index: int) -> bytearray:
        """A page as the backing file plus truncations give it, before pending writes."""
        start = index * PAGE
        page = bytearray(PAGE)
        valid = max(0, min(PAGE, self.floor - start))
        if valid:
            chunk = os.pread(self.fd, valid, start)
            page[: len(chunk)] = chunk
        return page

    def read(self, size: int, offset: int) -> bytes:
        end = min(offset + size, self.size)
        out = bytearray()
        pos = offset
        while pos < end:
            index, skip = divmod(pos, PAGE)
            take = min(PAGE - skip, end - pos)
            page = self.pages.get(index)
            if page is None:
                page = self._base(index)
            out += page[skip : skip + take]
            pos += take
        return bytes(out)

    def write(self, data: bytes, offset: int) -> None:
        pos, done = offset, 0
        while done < len(data):
            index, skip = divmod(pos, PAGE)
            take = min(PAGE - skip, len(data) - done)
            page = self.pages.get(index)
            if page is None:
                page = self.pages[index] = self._base(index)
            page[skip : skip + take] = data[done : done + take]
            pos += take
            done += take
        self.size = max(self.size, offset + len(data))

    def truncate(self, length: int) -> None:
        if length < self.size:
            last = length // PAGE
            for index in [i for i in self.pages if i > last or i * PAGE >= length]:
                del self.pages[index]
            page = self.pages.get(last)
            if page is not None:  # the kept head of the boundary page; the tail reads as zeros
                page[length - last * PAGE :] = bytes(PAGE - (length - last * PAGE))
            self.floor = min(self.floor, length)
        self.size = length

    def write_down(self) -> None:
        """Make the backing file equal what readers see, then fsync it."""
        os.ftruncate(self.fd, self.floor)
        for index in sorted(self.pages):
            start = index * PAGE
            if start >= self.size:
                continue
            page = self.pages[index]
            os.pwrite(self.fd, bytes(page[: min(PAGE, self.size - start)]), start)
        os.ftruncate(self.fd, self.size)
        os.fsync(self.fd)


class PageCache:
    """Pending state per backing inode (renames and extra descriptors share it). Not locked:
    the file system serialises calls."""

    def __init__(self) -> None:
        self._files: dict[int, Pending] = {}

    def pending(self, ino: int) -> Pending | None:
        return self._files.get(ino)

    def size(self, ino: int) -> int | None:
        p = self._files.get(ino)
        return None if p is None else p.size

    def read(self, ino: int, fd: int, size: int, offset: int) -> bytes:
        p = self._files.get(ino)
        return os.pread(fd, size, offset) if p is None else p.read(size, offset)

    def _open(self, ino: int, backing: int | str) -> Pending:
        """`backing`: an O_RDWR descriptor of the file (duplicated), or its path."""
        p = self._files.get(ino)
        if p is None:
            fd = os.dup(backing) if isinstance(backing, int) else os.open(backing, os.O_RDWR)
            on_disk = os.fstat(fd).st_size
            p = self._files[ino] = Pending(fd=fd, size=on_disk, floor=on_disk)
        return p

    def write(self, ino: int, backing: int | str, data: bytes, offset: int) -> int:
        self._open(ino, backing).write(data, offset)
        return len(data)

    def truncate(self, ino: int, backing: int | str, length: int) -> None:
        self._open(ino, backing).truncate(length)

    def sync(self, ino: int) -> None:
        p = self._files.pop(ino, None)
        if p is not None:
            try:
                p.write_down()
            finally:
                os.close(p.fd)

    def forget(self, ino: int) -> None:
        """The file is gone (last name unlinked): nothing of it to keep or write."""
        p = self._files.pop(ino, None)
        if p is not None:
            os.close(p.fd)

    def sync_all(self) -> int:
        """A clean shutdown: the OS writes its whole cache back."""
        count = len(self._files)
        for ino in list(self._files):
            self.sync(ino)
        return count

    def drop_all(self) -> tuple[int, int]:
        """Power cut: (files, bytes in dirty pages) that never reached the disk."""
        files = len(self._files)
        dirty = sum(len(p.pages) * PAGE for p in self._files.values())
        for p in self._files.values():
            os.close(p.fd)
        self._files.clear()
        return files, dirty
