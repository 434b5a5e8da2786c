"""ZKTeco PUSH (ADMS) in SiteGate's terms: plain mapping functions, no I/O.

An ATTLOG line becomes a `receipt.Received`; a queued `TerminalCommand` becomes the zk commands
that carry it out. The router (zk_router.py) does the reading and writing around them.

CmdIDs. One TerminalCommand may need several zk commands (a user, then their comparison photo),
each with its own CmdID on the wire: `<command id>N<part>` for the leading parts and `<command
id>` for the last. The terminal executes a poll's lines in order, so only the last part's
answer closes the command as done, and any part's failure fails it (`command_outcome`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from models.enums import CredentialKind, GateMode, GateResult
from server.terminals.models import TerminalCommand
from server.terminals.receipt import Received, line_digest
from terminals.zkteco_push import protocol as zk

_PART = "N"  # letters and digits only in a CmdID: a separator that no command id contains

# Verify codes (the document's appendix 7) SiteGate tells apart; everything else is recorded
# as a face decision only when a face took part, else as the terminal's card/PIN decision.
_FACE_VERIFY = {zk.VERIFY_FACE, 16, 17, 18, 19, 20, 27, 29}
_CARD_VERIFY = {zk.VERIFY_CARD, 6, 7, 10, 11, 12, 14, 23, 24, 26}


def device_local(time: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A terminal's wall-clock time (naive; the server handed out the project's TimeZone)
    as an aware time in the project's zone."""
    return time.replace(tzinfo=zone)


def worker_of(pin: str, known: Collection[int]) -> int | None:
    """The worker a PIN names: SiteGate pushes `str(worker_id)`; any other PIN (one typed in
    at the terminal, an admin's) names nobody SiteGate knows."""
    if pin.isascii() and pin.isdigit() and len(pin) <= 18:
        worker_id = int(pin)
        if worker_id in known:
            return worker_id
    return None


def received(line: zk.AttLogLine, *, zone: dt.tzinfo, known: Collection[int]) -> Received:
    """One ATTLOG line as a record. ATTLOG holds successful verifications only (a refused
    person writes nothing there), so every line is GRANTED."""
    worker_id = worker_of(line.pin, known)
    if line.verify in _FACE_VERIFY:
        mode, credential = GateMode.FACE_ONLY, CredentialKind.FACE
    elif line.verify in _CARD_VERIFY:
        mode, credential = GateMode.CARD_ONLY, CredentialKind.IC_CARD
    else:  # fingerprint, password, PIN: none is a SiteGate credential; kept, never hidden
        mode, credential = GateMode.CARD_ONLY, None
    # Not the punch status (0 check-in, 1 check-out …): it is a key the person may press, and
    # most turnstile terminals send 0 for every punch. The side of the turnstile the terminal
    # is on, registered as its direction, is what the pass was (None: the device's direction).
    return Received(
        ref=line_digest(line.raw),
        at=device_local(line.time, zone),
        result=GateResult.GRANTED,
        mode=mode,
        credential=credential,
        credential_ref=None if worker_id is not None else f"pin:{line.pin}"[:64],
        worker_id=worker_id,
    )


def zk_card(uid: str) -> str:
    """A SiteGate card UID (upper-case hex, as read) as ZKTeco's Card= value. A 4-byte UID goes
    in the document's `[%02x%02x%02x%02x]` form, bytes in reading order, which the terminal
    reads as the number printed on a 32-bit card; longer UIDs as their decimal value. (Check
    this on the hardware: some readers are set to reverse the bytes.)"""
    uid = uid.strip().upper()
    if not uid:
        return ""
    if len(uid) == 8:
        return f"[{uid}]"
    return str(int(uid, 16))


def commands_for(command: TerminalCommand, photo: bytes | None) -> list[zk.Command]:
    """The zk commands that carry out one queued command. `photo`: the worker's enrolled JPEG
    (needed for an upsert with access "face"; None otherwise)."""
    pin = command.pin
    if command.action == "delete":
        # DELETE USERINFO also drops photos on the document's firmware; the explicit photo
        # delete first covers firmware that keeps them (both succeed for an absent user).
        return [zk.DeleteBioPhoto(pin), zk.DeleteUser(pin)]
    payload = command.payload
    user = zk.UpdateUser(
        pin=pin,
        name=str(payload.get("name", ""))[:24],
        card=zk_card(str(payload.get("card", ""))),
    )
    if payload.get("access") == "face" and photo:
        return [user, zk.UpdateBioPhoto(pin, content=photo)]
    # card-only: a photo left from before consent was withdrawn must not stay enrolled
    return [user, zk.DeleteBioPhoto(pin)]


def cmd_ids(command_id: int, parts: int) -> list[str]:
    return [f"{command_id}{_PART}{i}" for i in range(parts - 1)] + [str(command_id)]


def issued(batch: Sequence[tuple[TerminalCommand, list[zk.Command]]]) -> str:
    """The getrequest answer for the commands handed out now ("OK" when there are none)."""
    lines: list[tuple[str, zk.Command]] = []
    for command, parts in batch:
        lines.extend(zip(cmd_ids(command.id, len(parts)), parts, strict=True))
    return zk.format_commands(lines)


@dataclass(frozen=True, slots=True)
class Outcome:
    command_id: int
    ok: bool
    return_code: int


def command_outcome(results: Sequence[zk.CommandResult]) -> list[Outcome]:
    """The commands a devicecmd post settles: failed on any part's failure, done on the last
    part's success; results for ids that are not ours are ignored."""
    failed: dict[int, int] = {}
    done: dict[int, int] = {}
    for r in results:
        head, _, part = r.cmd_id.partition(_PART)
        # ours are digits (a row id) within 64 bits; anything else is another server's
        if not (head.isascii() and head.isdigit() and len(head) <= 18):
            continue
        if part and not part.isdigit():
            continue
        command_id = int(head)
        if r.return_code != 0:
            failed.setdefault(command_id, r.return_code)
        elif not part:
            done[command_id] = 0
    out = [Outcome(c, False, code) for c, code in failed.items()]
    out += [Outcome(c, True, 0) for c in done if c not in failed]
    return out
