"""The small interfaces the rest of SiteGate builds on; concrete drivers live in sub-packages.

Every device class also has `close()` and works as a context manager.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from drivers.sam_idcard.records import IdCardRecord


@runtime_checkable
class ByteTransport(Protocol):
    """The subset of `serial.Serial` the drivers use (also true of loop:// and socket://)."""

    timeout: float | None

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


class _Closeable:
    """Mixin giving `with Device(...) as d:` to anything with `close()`."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class IdCardReader(Protocol):
    def read_card(self, timeout_s: float) -> IdCardRecord | None:
        """One card, or None if no card was presented within `timeout_s`."""
        ...

    def close(self) -> None: ...


class IcCardReader(Protocol):
    def read_uid(self, timeout_s: float) -> str | None:
        """Canonical UID (upper-case hex, see models.ids.normalise_card_uid) or None."""
        ...

    def close(self) -> None: ...


class Relay(Protocol):
    def pulse(self, ms: int) -> None:
        """Close the contact for `ms` milliseconds, then open it again."""
        ...

    def door_state(self) -> bool | None:
        """True when the feedback input is active, None if the device has no input."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Frame:
    """One camera image: BGR uint8 (H, W, 3) and the monotonic time it was grabbed."""

    image: npt.NDArray[np.uint8]
    ts: float
    seq: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


class FrameSource(Protocol):
    def latest(self) -> Frame | None:
        """The newest frame grabbed so far (never an old queued one), or None."""
        ...

    def close(self) -> None: ...
