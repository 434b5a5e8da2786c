"""A ZKTeco face terminal in PUSH mode, as an HTTP client (httpx) of a server's /iclock/ endpoints.

Point it at a base URL with a serial number and it behaves like a SpeedFace/ProFace-class
terminal set to "cloud server" mode: `register()` fetches the options block; `poll_commands()`
fetches queued commands, applies them to its own user table and posts one result line per
command; `present()` is a person at the terminal, decided locally against that table; `upload()`
posts the pending attendance lines in batches with a Stamp. Every step is an explicit method so
tests are deterministic; `start()`/`stop()` run the same steps on a background thread at the
server's Delay (or `poll_interval`).

Emulated:
- registration: `GET /iclock/cdata?SN=..&options=all&pushver=..&language=83`; stamps in the
  answer rewind the upload cursor (0 re-sends everything, as the document requires; a stamp
  above what was sent never skips anything);
- users: DATA UPDATE/DELETE USERINFO, DATA UPDATE/DELETE BIOPHOTO (Type=9, visible-light face,
  base64 JPEG, Size = base64 length), DATA UPDATE/DELETE USERPIC. Results use the document's
  codes: -10 photo for an unknown user, -2 Size mismatch, -1 not a JPEG, -1002 for a Url photo
  (Format=1) or any command it does not implement (REBOOT, CHECK, DATA QUERY ...);
- deciding a passage: a known user whose face photo was enrolled (verify 15), or whose card
  matches (verify 4; both card forms, decimal and `[%02x...]`). An unknown face or card writes
  nothing to ATTLOG, as real terminals do (the screen says "unregistered"); the refusal is kept
  in `refusals`, and with `report_failures=True` it is also uploaded as an OPERLOG line
  `OPLOG 2` ("verification failed", the document's appendix 3) with the PIN if one was claimed;
- uploading: ATTLOG posts of at most `batch_size` lines, `Stamp=<lines acknowledged so far>`;
  a batch counts as sent only after an answer starting with "OK"; anything else (error text,
  HTTP error, connection refused) keeps it pending for the next call, so every line is in
  exactly one acknowledged batch from the terminal's view. The log is a list with a cursor:
  draining a 10,000-line backlog is linear.

Fault knobs (constructor arguments, also plain attributes): `offline` (every request fails with
httpx.ConnectError before leaving the box: lines accumulate as a backlog), `resend` (each batch
is posted twice, like a terminal that lost the first OK), `clock_skew` (added to the device
clock and to `present(at=...)`), `reject_commands` (a predicate over the issued command, or a
set of command ids / kinds such as {"UpdateBioPhoto"}; answered with `reject_return`, -1 by
default, and not applied), `batch_size`.

Not emulated: communication encryption (push 2.4.0 key/factor exchange), the Security PUSH
variant (`/iclock/registry`, `/iclock/push`, rtlog), firmware upgrade, attendance photos
(ATTPHOTO), fingerprint / finger-vein / near-infrared face templates (FP, FVEIN, FACE, BIODATA):
enrolment here is by photo only, and the photo's content is never looked at beyond its JPEG
header; duplicate-punch suppression; the clock sync from the Date header; GB2312 names (the
body charset is `encoding`, UTF-8 by default); anything beyond PIN/name/card/privilege in a user.

Sources: ZKTeco 考勤PUSH通讯协议 (push 2.4.x) sections 初始化信息交互, 上传考勤记录, 上传操作记录,
获取命令 (DATA UPDATE/DELETE USERINFO, USERPIC, BIOPHOTO), 命令回复, appendices 1, 3 and 7; the
English "Attendance PUSH Communication Protocol" (2024) for the same tables.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import httpx

from terminals.zkteco_push import commands as cmd
from terminals.zkteco_push import protocol, text
from terminals.zkteco_push.attlog import STATUS_CHECK_IN, AttLogLine
from terminals.zkteco_push.operlog import OP_VERIFY_FAILED, format_oplog
from terminals.zkteco_push.user_table import TerminalUser, UserTable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """A presentation the terminal turned away (nothing was written to ATTLOG)."""

    time: datetime  # device clock
    pin: str | None
    card: str | None
    reason: str  # "unknown card" | "unknown face" | "no face enrolled" | "card of another user"


RejectRule = Callable[[cmd.IssuedCommand], bool] | Collection[str]


class ZkPushTerminal:
    """One terminal. Thread-safe: the step methods take one lock, so a test may call them while
    `start()` runs the loop."""

    def __init__(
        self,
        base_url: str,
        sn: str,
        *,
        model: str = "SpeedFace-V5L",
        push_version: str = "2.4.1",
        batch_size: int = 100,
        status: int = STATUS_CHECK_IN,
        resend: bool = False,
        clock_skew: timedelta = timedelta(0),
        offline: bool = False,
        reject_commands: RejectRule | None = None,
        reject_return: int = cmd.RETURN_BAD_PARAMETER,
        report_failures: bool = False,
        clock: Callable[[], datetime] | None = None,
        poll_interval: float | None = None,
        encoding: str = "utf-8",
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.sn = protocol.query_sn({"SN": sn})
        self.model = model
        self.push_version = push_version
        self.batch_size = batch_size
        self.status = status
        self.resend = resend
        self.clock_skew = clock_skew
        self.offline = offline
        self.reject_commands = reject_commands
        self.reject_return = reject_return
        self.report_failures = report_failures
        self.poll_interval = poll_interval
        self.encoding = encoding
        self.options: protocol.ServerOptions | None = None
        self.last_error: str | None = None
        self.posts = 0  # upload POSTs attempted, re-sends included
        self._clock = clock
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "iClock Proxy/1.09", "Content-Type": "text/plain"},
        )
        self._table = UserTable()
        self._log: list[AttLogLine] = []
        self._sent = 0  # _log[:_sent] were acknowledged
        self._oplog: list[str] = []
        self._oplog_sent = 0
        self._results: list[cmd.CommandResult] = []  # executed, result not yet delivered
        self._refusals: list[Refusal] = []
        self._send_info = True
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- state ----------------------------------------------------------------------------------

    @property
    def users(self) -> Mapping[str, TerminalUser]:
        with self._lock:
            return self._table.users

    @property
    def attlog(self) -> tuple[AttLogLine, ...]:
        """Everything ever recorded, sent or not."""
        with self._lock:
            return tuple(self._log)

    @property
    def pending(self) -> int:
        """Lines not yet acknowledged (the backlog)."""
        with self._lock:
            return len(self._log) - self._sent

    @property
    def refusals(self) -> tuple[Refusal, ...]:
        with self._lock:
            return tuple(self._refusals)

    def device_now(self) -> datetime:
        """The terminal's wall clock: the server's zone (TimeZone), plus `clock_skew`."""
        return self._true_now() + self.clock_skew

    def _true_now(self) -> datetime:
        if self._clock is not None:
            return self._clock()
        minutes = self.options.utc_offset_minutes if self.options else 8 * 60
        return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(tzinfo=None, microsecond=0)

    # -- HTTP -----------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, params: dict[str, str], body: str = ""
    ) -> str | None:
        """The answer text, or None after recording why in `last_error` (never raises)."""
        try:
            if self.offline:
                raise httpx.ConnectError("network unreachable (emulated offline)")
            response = self._http.request(
                method, path, params=params, content=body.encode(self.encoding) if body else None
            )
        except httpx.HTTPError as exc:
            self.last_error = f"{method} {path}: {exc}"
            return None
        if response.status_code != 200:
            self.last_error = f"{method} {path}: HTTP {response.status_code}"
            return None
        return response.content.decode(self.encoding, "replace")

    # -- the protocol steps ---------------------------------------------------------------------

    def register(self) -> protocol.ServerOptions | None:
        """The init request: the parsed options (also kept in `options`), None on failure."""
        with self._lock:
            params = {
                "SN": self.sn,
                "options": "all",
                "pushver": self.push_version,
                "language": "83",
            }
            answer = self._request("GET", protocol.CDATA_PATH, params)
            if answer is None:
                return None
            try:
                options = protocol.parse_options_block(answer)
            except protocol.ZkProtocolError as exc:
                self.last_error = f"options: {exc}"
                return None
            self.options = options
            self._sent = _rewind(self._sent, options.attlog_stamp)
            self._oplog_sent = _rewind(self._oplog_sent, options.operlog_stamp)
            self._send_info = True
            return options

    def poll_commands(self) -> list[cmd.CommandResult]:
        """Fetch, execute and confirm the queued commands; the results this call produced.
        Results whose POST fails are kept and posted with the next poll."""
        with self._lock:
            params = {"SN": self.sn}
            if self._send_info:
                params["INFO"] = self._info()
            answer = self._request("GET", protocol.GETREQUEST_PATH, params)
            if answer is None:
                return []
            self._send_info = False
            executed: list[cmd.CommandResult] = []
            for line_no, line in text.lines(answer):
                if line.strip() == protocol.NO_COMMANDS:
                    continue
                try:
                    issued = protocol.parse_command(line, line_no)
                except protocol.ZkProtocolError as exc:
                    # No id to answer to: a real terminal drops the line.
                    self.last_error = f"command: {exc}"
                    continue
                try:  # an id that cannot be echoed back (e.g. holds "&") is not executed either
                    cmd.format_command_result(issued.cmd_id, 0, cmd.result_cmd(issued.command))
                except protocol.ZkProtocolError as exc:
                    self.last_error = f"command {issued.cmd_id[:20]!r}: {exc}"
                    continue
                code = self._execute(issued)
                executed.append(
                    cmd.CommandResult(issued.cmd_id, code, cmd.result_cmd(issued.command), {})
                )
            self._results.extend(executed)
            if self._results:
                body = text.LF.join(
                    cmd.format_command_result(r.cmd_id, r.return_code, r.cmd) for r in self._results
                )
                if (
                    self._request("POST", protocol.DEVICECMD_PATH, {"SN": self.sn}, body)
                    is not None
                ):
                    self._results.clear()
            return executed

    def upload(self, *, max_batches: int | None = None) -> int:
        """Post pending ATTLOG lines (and OPERLOG failure lines) batch by batch until all are
        acknowledged, one fails, or `max_batches` were sent. Returns the ATTLOG lines acked."""
        with self._lock:
            acked = 0
            batches = 0
            while self._sent < len(self._log) and (max_batches is None or batches < max_batches):
                end = min(self._sent + self.batch_size, len(self._log))
                body = protocol.format_attlog(self._log[self._sent : end])
                if not self._post_table(protocol.TABLE_ATTLOG, body, end):
                    break
                acked += end - self._sent
                self._sent = end
                batches += 1
            while self._oplog_sent < len(self._oplog):
                end = min(self._oplog_sent + self.batch_size, len(self._oplog))
                body = text.LF.join(self._oplog[self._oplog_sent : end])
                if not self._post_table(protocol.TABLE_OPERLOG, body, end):
                    break
                self._oplog_sent = end
            return acked

    def _post_table(self, table: str, body: str, stamp: int) -> bool:
        params = {"SN": self.sn, "table": table, "Stamp": str(stamp)}
        self.posts += 1
        answer = self._request("POST", protocol.CDATA_PATH, params, body)
        if answer is None:
            return False
        if protocol.parse_ok_answer(answer) is None:
            self.last_error = f"{table} refused: {answer[:80]!r}"
            return False
        if self.resend:
            self.posts += 1
            self._request("POST", protocol.CDATA_PATH, params, body)
        return True

    # -- a person at the terminal ---------------------------------------------------------------

    def present(
        self,
        pin: str | None = None,
        card: str | None = None,
        face: bool = True,
        at: datetime | None = None,
        status: int | None = None,
    ) -> AttLogLine | None:
        """A face (of user `pin`) or a card in front of the terminal. Returns the ATTLOG line it
        wrote, or None when it turned the person away (see `refusals`)."""
        with self._lock:
            when = (at if at is not None else self._true_now()) + self.clock_skew
            found = self._table.identify(pin, card, face)
            if found.user is None:
                self._refusals.append(Refusal(when, pin, card, found.reason))
                if self.report_failures:
                    who = pin if pin and pin.isalnum() else "0"
                    self._oplog.append(
                        format_oplog(OP_VERIFY_FAILED, when, objects=(who, "0", "0", "0"))
                    )
                return None
            line = protocol.attlog_line(
                found.user.pin,
                when,
                status=self.status if status is None else status,
                verify=found.verify,
            )
            self._log.append(line)
            return line

    # -- commands -------------------------------------------------------------------------------

    def _rejected(self, issued: cmd.IssuedCommand) -> bool:
        rule = self.reject_commands
        if rule is None:
            return False
        if callable(rule):
            return rule(issued)
        return issued.cmd_id in rule or type(issued.command).__name__ in rule

    def _execute(self, issued: cmd.IssuedCommand) -> int:
        if self._rejected(issued):
            return self.reject_return
        return self._table.apply(issued.command)

    def _info(self) -> str:
        """INFO=: firmware, users, fingerprints, records, IP, fp alg, face alg, faces needed,
        faces, feature bits (fingerprint, face, user photo, comparison photo, visible face)."""
        faces = self._table.faces()
        return ",".join(
            [f"Ver 8.0.4.2-{self.model}", str(len(self._table)), "0", str(len(self._log)),
             "127.0.0.1", "10", "58", "1", str(faces), "01111"]
        )  # fmt: skip

    # -- lifecycle ------------------------------------------------------------------------------

    def step(self) -> None:
        """One round of the background loop: register if needed, poll, upload."""
        self.last_error = None
        if self.options is None and self.register() is None:
            return
        self.poll_commands()
        self.upload()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception as exc:  # a bug must not silently end the loop: log, back off
                log.exception("zk-push terminal %s: step failed", self.sn)
                self.last_error = f"step: {exc}"
            options = self.options
            wait = self.poll_interval
            if wait is None:
                if options is None:
                    wait = 30.0
                else:
                    wait = float(options.delay if self.last_error is None else options.error_delay)
            self._stop.wait(wait)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"zk-push-{self.sn}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        self.stop()
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _rewind(cursor: int, stamp: str) -> int:
    """The server's stamp for a table only ever moves the upload cursor back (0 = from the
    start); "None", "9999" or a stamp from another firmware never skips unsent lines."""
    stamp = stamp.strip()
    if stamp.isascii() and stamp.isdigit():
        return min(cursor, int(stamp))
    return cursor


__all__ = ["Refusal", "TerminalUser", "ZkPushTerminal"]
