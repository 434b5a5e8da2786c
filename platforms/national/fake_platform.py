"""A fake national platform: a real HTTP server on loopback that speaks protocol.py's side of the
conventions, for tests and the demo. No real endpoint is ever called.

It checks what the platform checks before accepting anything: every common parameter, the
version, a timestamp within ten minutes, the app id, the signature (-2), the method (-1). Then
per method it decrypts the ID and bank-card fields and applies the validation rules issue 16
lists (team before its workers, no future dates, entry/exit never earlier than the previous one,
photos at most 50 KB), answering a `requestSerialCode` for every write. `AsyncHandleResult.Query`
answers "processing" on the first poll of a ticket and the outcome after.

Fault knobs (plain attributes): `rate_limit_next` (answer -5 to the next N calls), `fail_next`
(answer 9999), `refuse_ip` (answer -4), `reject_next` (accept the next N writes, then fail their
tickets with a message, as the platform does after its own checks).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from platforms.national import protocol as p
from platforms.national.profile import Profile, load

COMMON = ("method", "version", "appid", "format", "timestamp", "nonce", "data", "sign")
PHOTO_MAX = 50 * 1024
SKEW = dt.timedelta(minutes=10)


class Refused(Exception):
    def __init__(self, code: p.ResultCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Ticket:
    method: str
    ok: bool
    message: str
    polled: int = 0


@dataclass
class FakePlatform:
    """The platform's state; every attribute is what a test looks at or turns."""

    secrets: dict[str, str]  # appid -> appsecret
    clock: Any = None  # () -> aware datetime; the wall clock by default
    profile: Profile = field(default_factory=load)  # how it signs and encrypts
    rate_limit_next: int = 0
    fail_next: int = 0
    refuse_ip: bool = False
    reject_next: int = 0
    corps: dict[str, dict[str, Any]] = field(default_factory=dict)  # corpCode -> company
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)  # teamSysNo -> team
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)  # ID number -> worker
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # ID -> entry/exit
    attendance: list[dict[str, Any]] = field(default_factory=list)
    payrolls: list[dict[str, Any]] = field(default_factory=list)
    contracts: list[dict[str, Any]] = field(default_factory=list)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # methods called, in order
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def now(self) -> dt.datetime:
        return self.clock() if self.clock is not None else dt.datetime.now(dt.UTC)

    # -- one call -------------------------------------------------------------------------------

    def handle(self, form: dict[str, str]) -> dict[str, Any]:
        try:
            data = self._check(form)
            method = form["method"]
            self.calls.append(method)
            if method == self.profile.query:
                return self._query(data)
            handler = _METHODS.get(method)
            if handler is None or method not in self.profile.methods.values():
                raise Refused(p.ResultCode.BAD_PARAMETERS, f"不支持的接口 {method}")
            secret = self.secrets[form["appid"]]
            result = handler(self, _decrypted(data, secret, self.profile))
            ok, message = True, "成功"
            if self.reject_next > 0:
                self.reject_next -= 1
                ok, message = False, "平台校验未通过:数据与已登记信息不符"
            serial = f"RS{next(self._ids):08d}"
            self.tickets[serial] = Ticket(method, ok, message)
            return {"code": 0, "message": "", "data": {"requestSerialCode": serial, **result}}
        except Refused as exc:
            return {"code": int(exc.code), "message": exc.message, "data": None}

    def _check(self, form: dict[str, str]) -> dict[str, Any]:
        if self.refuse_ip:
            raise Refused(p.ResultCode.IP_REFUSED, "IP 不在白名单内")
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            raise Refused(p.ResultCode.RATE_LIMITED, "调用过于频繁,请稍后再试")
        if self.fail_next > 0:
            self.fail_next -= 1
            raise Refused(p.ResultCode.PLATFORM_ERROR, "系统繁忙")
        missing = [k for k in COMMON if not form.get(k)]
        if missing:
            raise Refused(p.ResultCode.BAD_PARAMETERS, f"缺少参数 {','.join(missing)}")
        if form["version"] != p.VERSION or form["format"] != p.FORMAT:
            raise Refused(p.ResultCode.BAD_PARAMETERS, "version 或 format 错误")
        try:
            at = dt.datetime.strptime(form["timestamp"], "%Y%m%d%H%M%S").replace(tzinfo=p.CHINA)
        except ValueError:
            raise Refused(p.ResultCode.BAD_PARAMETERS, "timestamp 格式错误") from None
        if abs(at - self.now()) > SKEW:
            raise Refused(p.ResultCode.BAD_PARAMETERS, "timestamp 与平台时间相差超过 10 分钟")
        secret = self.secrets.get(form["appid"])
        if secret is None:
            raise Refused(p.ResultCode.NO_PERMISSION, "appid 未授权")
        if not self.profile.verify(form, secret):
            raise Refused(p.ResultCode.BAD_SIGNATURE, "签名错误")
        try:
            data = json.loads(form["data"])
        except ValueError:
            raise Refused(p.ResultCode.BAD_PARAMETERS, "data 不是 JSON") from None
        if not isinstance(data, dict):
            raise Refused(p.ResultCode.BAD_PARAMETERS, "data 须为 JSON 对象")
        return data

    def _query(self, data: dict[str, Any]) -> dict[str, Any]:
        ticket = self.tickets.get(str(data.get("requestSerialCode", "")))
        if ticket is None:
            raise Refused(p.ResultCode.BAD_PARAMETERS, "requestSerialCode 不存在")
        ticket.polled += 1
        if ticket.polled == 1:
            return {"code": 0, "message": "", "data": {"status": "processing"}}
        status = "success" if ticket.ok else "failed"
        return {"code": 0, "message": "", "data": {"status": status, "result": ticket.message}}

    # -- the methods ----------------------------------------------------------------------------

    def _subcontractor(self, data: dict[str, Any]) -> dict[str, Any]:
        _need(data, "projectCode", "corpCode", "corpName", "corpType")
        if data["corpType"] not in self.profile.corp_types:
            raise Refused(p.ResultCode.BAD_PARAMETERS, f"参建单位类型 {data['corpType']} 不存在")
        self.corps[str(data["corpCode"])] = data
        return {}

    def _team(self, data: dict[str, Any]) -> dict[str, Any]:
        _need(data, "projectCode", "corpCode", "teamName")
        if "subcontractor" in self.profile.methods and data["corpCode"] not in self.corps:
            raise Refused(p.ResultCode.BAD_PARAMETERS, "参建单位未登记,请先上传参建单位")
        number = f"T{next(self._ids):06d}"
        self.teams[number] = data
        return {"teamSysNo": number}

    def _worker(self, data: dict[str, Any]) -> dict[str, Any]:
        _need(data, "projectCode", "teamSysNo", "workerList")
        if data["teamSysNo"] not in self.teams:
            raise Refused(p.ResultCode.BAD_PARAMETERS, "班组 teamSysNo 不存在,请先上传班组")
        for w in data["workerList"]:
            _need(w, "workerName", "idCardType", "idCardNumber")
            if len(str(w["idCardNumber"])) < 8:
                raise Refused(p.ResultCode.BAD_PARAMETERS, "idCardNumber 格式错误")
            if w.get("workType") and str(w["workType"]) not in self.profile.trades:
                raise Refused(p.ResultCode.BAD_PARAMETERS, f"工种 {w['workType']} 不存在")
            _photo(w.get("headImage"))
            self.workers[str(w["idCardNumber"])] = {**w, "teamSysNo": data["teamSysNo"]}
        return {}

    def _contract(self, data: dict[str, Any]) -> dict[str, Any]:
        _need(data, "projectCode", "contractList")
        for c in data["contractList"]:
            _need(c, "idCardType", "idCardNumber", "contractPeriodType", "startDate")
            if str(c["idCardNumber"]) not in self.workers:
                raise Refused(p.ResultCode.BAD_PARAMETERS, "人员未登记,请先上传项目人员")
            self._date(c["startDate"])
            self.contracts.append(c)
        return {}

    def _entry_exit(self, data: dict[str, Any]) -> dict[str, Any]:
        _need(data, "projectCode", "teamSysNo", "workerList")
        for w in data["workerList"]:
            _need(w, "idCardNumber", "date", "type")
            number = str(w["idCardNumber"])
            if number not in self.workers:
                raise Refused(p.ResultCode.BAD_PARAMETERS, "人员未登记,请先上传项目人员")
            day = self._date(w["date"])
            earlier = self.entries.setdefault(number, [])
            if earlier and day < self._date(earlier[-1]["date"]):
                raise Refused(p.ResultCode.BAD_PARAMETERS, "进退场日期早于上一次记录")
            earlier.append(w)
        return {}

    def _attendance(self, data: dict[str, Any]) -> dict[str, Any]:
        _need(data, "projectCode", "teamSysNo", "dataList")
        for a in data["dataList"]:
            _need(a, "idCardType", "idCardNumber", "date", "direction")
            if str(a["idCardNumber"]) not in self.workers:
                raise Refused(p.ResultCode.BAD_PARAMETERS, "人员未登记,请先上传项目人员")
            if a["direction"] not in ("01", "02"):
                raise Refused(p.ResultCode.BAD_PARAMETERS, "direction 须为 01 或 02")
            self._date(str(a["date"])[:10])
            _photo(a.get("image"))
            self.attendance.append(a)
        return {}

    def _payroll(self, data: dict[str, Any]) -> dict[str, Any]:
        _need(data, "projectCode", "teamSysNo", "payMonth", "detailList")
        for d in data["detailList"]:
            _need(d, "idCardNumber", "days", "totalPayAmount", "actualAmount", "balanceDate")
            if str(d["idCardNumber"]) not in self.workers:
                raise Refused(p.ResultCode.BAD_PARAMETERS, "人员未登记,请先上传项目人员")
            self._date(d["balanceDate"])
        self.payrolls.append(data)
        return {}

    def _date(self, text: object) -> dt.date:
        try:
            day = dt.date.fromisoformat(str(text))
        except ValueError:
            raise Refused(p.ResultCode.BAD_PARAMETERS, f"日期格式错误:{text}") from None
        if day > self.now().astimezone(p.CHINA).date():
            raise Refused(p.ResultCode.BAD_PARAMETERS, f"日期不能晚于今天:{text}")
        return day


_METHODS = {
    "ProjectSubContractor.Add": FakePlatform._subcontractor,
    "WorkerContract.Add": FakePlatform._contract,
    "Team.Add": FakePlatform._team,
    "ProjectWorker.Add": FakePlatform._worker,
    "WorkerEntryExit.Add": FakePlatform._entry_exit,
    "WorkerAttendance.Add": FakePlatform._attendance,
    "Payroll.Add": FakePlatform._payroll,
}


def _need(obj: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if obj.get(n) in (None, "", [])]
    if missing:
        raise Refused(p.ResultCode.BAD_PARAMETERS, f"缺少字段 {','.join(missing)}")


def _photo(text: object) -> None:
    if not text:
        return
    try:
        raw = base64.b64decode(str(text), validate=True)
    except ValueError:
        raise Refused(p.ResultCode.BAD_PARAMETERS, "照片须为 Base64") from None
    if len(raw) > PHOTO_MAX:
        raise Refused(p.ResultCode.BAD_PARAMETERS, "照片不能超过 50KB")
    if not (raw.startswith(b"\xff\xd8") or raw.startswith(b"\x89PNG")):
        raise Refused(p.ResultCode.BAD_PARAMETERS, "照片须为 JPG 或 PNG")


def _decrypted(data: Any, secret: str, profile: Profile) -> Any:
    """`data` with its encrypted fields in clear, wherever they sit."""
    if isinstance(data, list):
        return [_decrypted(x, secret, profile) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key in profile.encrypted and isinstance(value, str) and value:
            try:
                out[key] = profile.decrypt(value, secret)
            except p.PlatformProtocolError:
                raise Refused(p.ResultCode.BAD_PARAMETERS, f"{key} 解密失败") from None
        else:
            out[key] = _decrypted(value, secret, profile)
    return out


class FakePlatformServer:
    """FakePlatform served on 127.0.0.1 (port 0): `with FakePlatformServer(...) as srv: srv.url`."""

    def __init__(self, platform: FakePlatform) -> None:
        self.platform = platform
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(size, 4 * 1024 * 1024)).decode("utf-8", "replace")
                with lock:
                    answer = platform.handle(dict(parse_qsl(body, keep_blank_values=True)))
                raw = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
