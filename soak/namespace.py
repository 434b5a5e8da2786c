"""LazyFS's directory entries: creations, unlinks and renames stay undoable until the directory
they touch is fsynced (POSIX: a file's fsync does not make its name durable). A power cut undoes
what is left, newest first; an unlinked file waits in a trash directory beside the backing one,
so it comes back with its last synced contents.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    kind: str  # create | unlink | rename
    path: str  # mount path: the created or unlinked name, or the rename's source
    target: str = ""  # rename: the new name; unlink: where the file waits in the trash
    ino: int = 0  # unlink: the parked file's inode

    def dirs(self) -> set[str]:
        paths = (self.path, self.target) if self.kind == "rename" else (self.path,)
        return {os.path.dirname(p) for p in paths}


class Namespace:
    """Not locked: the file system serialises calls."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.trash = root.rstrip("/") + ".lazyfs-trash"
        self.journal: list[Op] = []
        self._serial = itertools.count()

    def real(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def created(self, path: str) -> None:
        self.journal.append(Op("create", path))

    def unlink(self, path: str) -> None:
        """Remove the name; keep the file in the trash until the directory is synced."""
        os.makedirs(self.trash, exist_ok=True)
        parked = os.path.join(self.trash, str(next(self._serial)))
        ino = os.lstat(self.real(path)).st_ino
        os.rename(self.real(path), parked)
        self.journal.append(Op("unlink", path, parked, ino))

    def rename(self, old: str, new: str) -> None:
        if os.path.lexists(self.real(new)) and not os.path.isdir(self.real(new)):
            self.unlink(new)  # the replaced file comes back if the rename is undone
        os.rename(self.real(old), self.real(new))
        self.journal.append(Op("rename", old, new))

    def synced_dir(self, path: str) -> list[int]:
        """fsync of a directory: every change to its entries so far is durable. Returns the
        inodes of the files whose unlink became final."""
        directory = "/" + path.strip("/")
        keep: list[Op] = []
        gone: list[int] = []
        for op in self.journal:
            if directory not in op.dirs():
                keep.append(op)
            elif op.kind == "unlink":
                os.unlink(op.target)
                gone.append(op.ino)
        self.journal = keep
        return gone

    def commit_all(self) -> list[int]:
        """A clean shutdown: every change reaches the disk."""
        gone = [op.ino for op in self.journal if op.kind == "unlink"]
        for op in self.journal:
            if op.kind == "unlink":
                os.unlink(op.target)
        self.journal = []
        return gone

    def undo(self) -> int:
        """Power cut: undo every change not yet durable, newest first; returns how many."""
        undone = len(self.journal)
        for op in reversed(self.journal):
            if op.kind == "create":
                real = self.real(op.path)
                if os.path.lexists(real) and not os.path.isdir(real):
                    os.unlink(real)
            elif op.kind == "unlink":
                os.rename(op.target, self.real(op.path))
            elif os.path.lexists(self.real(op.target)):
                os.rename(self.real(op.target), self.real(op.path))
        self.journal = []
        return undone
