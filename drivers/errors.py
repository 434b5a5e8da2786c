"""Typed driver errors: every failure an installer can see carries a code and zh/en text.

drivers/ cannot import server.errors, so it has its own root; edge maps `DriverError.code`
onto its own error type when it needs to.
"""

from __future__ import annotations


class DriverError(Exception):
    """Root of every device-layer failure. `code` is stable, the messages are for people."""

    code = "driver.error"

    def __init__(self, message_zh: str, message_en: str, *, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


class DeviceTimeoutError(DriverError):
    """The device did not answer (or not completely) in time."""

    code = "driver.timeout"


class DevicePortError(DriverError):
    """The port could not be opened, or vanished (USB unplugged) while in use."""

    code = "driver.port"


class FrameError(DriverError):
    """A frame arrived but was malformed: bad checksum / CRC, impossible length."""

    code = "driver.frame"


class ConfigError(DriverError):
    """A firmware config file is missing, unparsable or fails validation."""

    code = "driver.config"
