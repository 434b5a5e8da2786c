"""ModbusRelay: a turnstile relay on a Modbus RTU module, through pymodbus (3.16: `device_id=`).

pulse() = FC 05 ON, read back, wait, FC 05 OFF; door_state() = FC 02 on the PASS input.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from drivers.base import _Closeable
from drivers.errors import DevicePortError, DeviceTimeoutError, DriverError

EXCEPTION_TEXT = {
    1: ("非法功能码", "illegal function"),
    2: ("非法数据地址", "illegal data address"),
    3: ("非法数据值", "illegal data value"),
    4: ("从站设备故障", "slave device failure"),
}


class ModbusRelayError(DriverError):
    code = "relay.modbus_exception"


class ModbusRelay(_Closeable):
    def __init__(
        self,
        port: str,
        *,
        device_id: int = 1,
        coil: int = 0,
        door_input: int | None = None,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: int = 1,
        timeout_s: float = 0.5,
        retries: int = 1,
        verify: bool = True,
    ) -> None:
        self.port = port
        self.device_id = device_id
        self.coil = coil
        self.door_input = door_input
        self.verify = verify
        self._client = ModbusSerialClient(
            port, baudrate=baudrate, bytesize=bytesize, parity=parity, stopbits=stopbits,
            timeout=timeout_s, retries=retries,
        )
        if not self._client.connect():
            raise DevicePortError(f"无法打开 Modbus 端口 {port}", f"cannot open Modbus port {port}")

    @classmethod
    def open(cls, url: str, **kwargs: Any) -> ModbusRelay:
        return cls(url, **kwargs)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, device_id=self.device_id, **kwargs)
        except ModbusIOException as exc:
            raise DeviceTimeoutError(
                f"Modbus 从站 {self.device_id} 无应答 ({what})",
                f"Modbus device {self.device_id} did not answer ({what})",
                code="relay.timeout",
            ) from exc
        except ConnectionException as exc:
            raise DevicePortError(
                f"Modbus 端口 {self.port} 断开 ({what})",
                f"Modbus port {self.port} failed ({what})",
                code="relay.port_lost",
            ) from exc
        except ModbusException as exc:
            raise ModbusRelayError(
                f"Modbus 错误 ({what}): {exc}", f"Modbus error ({what}): {exc}"
            ) from exc
        if result.isError():
            code = getattr(result, "exception_code", 0)
            zh, en = EXCEPTION_TEXT.get(code, ("未知异常", "unknown exception"))
            raise ModbusRelayError(
                f"Modbus 异常应答 {code:02X} {zh} ({what})",
                f"Modbus exception {code:02X} {en} ({what})",
            )
        return result

    def set_coil(self, on: bool) -> None:
        self._call("FC05", self._client.write_coil, self.coil, on)
        if self.verify:
            state = self.read_coil()
            if state != on:
                raise ModbusRelayError(
                    f"继电器 {self.coil} 回读状态与写入不符",
                    f"relay coil {self.coil} reads back {state}, wrote {on}",
                    code="relay.readback_mismatch",
                )

    def read_coil(self) -> bool:
        result = self._call("FC01", self._client.read_coils, self.coil, count=1)
        return bool(result.bits[0])

    def pulse(self, ms: int) -> None:
        if ms <= 0:
            raise ValueError("pulse must be > 0 ms")
        self.set_coil(True)
        try:
            time.sleep(ms / 1000)
        finally:
            self._call("FC05", self._client.write_coil, self.coil, False)

    def door_state(self) -> bool | None:
        if self.door_input is None:
            return None
        result = self._call("FC02", self._client.read_discrete_inputs, self.door_input, count=1)
        return bool(result.bits[0])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()  # type: ignore[no-untyped-call]  # pymodbus leaves it bare
