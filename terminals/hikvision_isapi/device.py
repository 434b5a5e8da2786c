"""The emulated terminal's memory and local decisions, without any HTTP: persons, cards, faces
(the JPEG bytes kept), the access event log with serial numbers that only go up, and the paged
searches over them. `emulator.py` puts HTTP and Digest in front of it.

Decisions in `present()` follow a face terminal in card-or-face mode: a known card -> minor 0x01
(legal card); an unknown card -> 0x09 (no such card); a face of an enrolled person who has a face
-> 0x4b (face verify pass); any other face -> 0x4c (face verify fail, no person named). Validity
periods, door rights, anti-passback and liveness are not checked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from terminals.hikvision_isapi.codes import MAJOR_EVENT, EventMinor
from terminals.hikvision_isapi.events import EVENT_TYPE_ACS, AccessControllerEvent, AcsEventPush
from terminals.hikvision_isapi.records import (
    OK_STATUS,
    CardInfo,
    FaceDataRecord,
    ResponseStatus,
    UserInfo,
    invalid_content,
)
from terminals.hikvision_isapi.search import (
    STATUS_MORE,
    STATUS_NO_MATCH,
    STATUS_OK,
    AcsEventCond,
    AcsEventInfo,
    AcsEventResult,
    UserInfoSearchCond,
    UserInfoSearchResult,
)

CHINA = timezone(timedelta(hours=8))
_SEARCH_CACHE_SIZE = 8


@dataclass
class DeviceState:
    device_name: str
    ip_address: str = "127.0.0.1"
    port_no: int = 80
    mac_address: str = "44:47:cc:00:00:01"
    verify_mode: str = "cardOrFace"
    tz: timezone = CHINA
    max_results_cap: int = 30
    users: dict[str, UserInfo] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)  # card number -> employee number
    faces: dict[str, bytes] = field(default_factory=dict)  # employee number -> JPEG
    events: list[AcsEventPush] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _searches: OrderedDict[tuple[object, ...], list[int]] = field(default_factory=OrderedDict)

    # -- persons -------------------------------------------------------------------------------

    def set_user(self, user: UserInfo, *, add_only: bool = False) -> ResponseStatus:
        with self.lock:
            if add_only and user.employee_no in self.users:
                return invalid_content("employeeNoAlreadyExist")
            self.users[user.employee_no] = user.model_copy(
                update={"num_of_card": None, "num_of_face": None}
            )
            return OK_STATUS

    def delete_users(self, employee_nos: list[str]) -> ResponseStatus:
        with self.lock:
            for employee_no in employee_nos:  # the person's cards and face go with them
                self.users.pop(employee_no, None)
                self.faces.pop(employee_no, None)
                for card in [c for c, e in self.cards.items() if e == employee_no]:
                    del self.cards[card]
            return OK_STATUS

    def set_card(self, card: CardInfo) -> ResponseStatus:
        with self.lock:
            if card.employee_no not in self.users:
                return invalid_content("employeeNoNotExist")
            owner = self.cards.get(card.card_no)
            if owner is not None and owner != card.employee_no:
                return invalid_content("cardNoAlreadyExist")
            self.cards[card.card_no] = card.employee_no
            return OK_STATUS

    def set_face(self, record: FaceDataRecord, jpeg: bytes) -> ResponseStatus:
        with self.lock:
            if record.fdid != "1" or record.face_lib_type != "blackFD":
                return invalid_content("badParameters", "FDID/faceLibType")
            if record.fpid not in self.users:
                return invalid_content("employeeNoNotExist")
            if not jpeg.startswith(b"\xff\xd8"):
                return invalid_content("badPicFormat", "not a JPEG")  # [code name unsure]
            self.faces[record.fpid] = jpeg
            return OK_STATUS

    def delete_faces(self, employee_nos: list[str]) -> ResponseStatus:
        with self.lock:
            for employee_no in employee_nos:
                self.faces.pop(employee_no, None)
            return OK_STATUS

    def search_users(self, cond: UserInfoSearchCond) -> UserInfoSearchResult:
        with self.lock:
            ordered = sorted(self.users.values(), key=lambda u: u.employee_no)
            size = min(cond.max_results, self.max_results_cap)
            page = [
                u.model_copy(
                    update={
                        "num_of_card": sum(1 for e in self.cards.values() if e == u.employee_no),
                        "num_of_face": int(u.employee_no in self.faces),
                    }
                )
                for u in ordered[cond.position : cond.position + size]
            ]
            return UserInfoSearchResult(
                search_id=cond.search_id,
                status=_page_status(len(ordered), cond.position, len(page)),
                num_of_matches=len(page),
                total_matches=len(ordered),
                users=tuple(page),
            )

    # -- events --------------------------------------------------------------------------------

    def decide(
        self, employee_no: str | None, card_no: str | None, face: bool
    ) -> tuple[EventMinor, UserInfo | None, str]:
        """(minor, person or None, verify mode used) for one presentation at the reader."""
        with self.lock:
            if card_no is not None:
                owner = self.cards.get(card_no)
                user = self.users.get(owner) if owner is not None else None
                minor = EventMinor.LEGAL_CARD_PASS if user else EventMinor.INVALID_CARD
                return minor, user, "card"
            user = self.users.get(employee_no) if employee_no is not None else None
            if face and user is not None and user.employee_no in self.faces:
                return EventMinor.FACE_VERIFY_PASS, user, "face"
            return EventMinor.FACE_VERIFY_FAIL, None, "face"

    def append_event(
        self,
        minor: int,
        at: datetime,
        *,
        user: UserInfo | None = None,
        card_no: str | None = None,
        verify_mode: str | None = None,
        door_no: int = 1,
        pictures: int = 0,
    ) -> AcsEventPush:
        with self.lock:
            serial = len(self.events) + 1  # never reused: the log is append-only
            event = AcsEventPush(
                ip_address=self.ip_address,
                port_no=self.port_no,
                protocol="HTTP",
                mac_address=self.mac_address,
                channel_id=1,
                date_time=at.astimezone(self.tz).replace(microsecond=0),
                active_post_count=1,
                event_type=EVENT_TYPE_ACS,
                event_state="active",
                event_description="Access Controller Event",
                acs=AccessControllerEvent(
                    device_name=self.device_name,
                    major=MAJOR_EVENT,
                    minor=int(minor),
                    name=user.name if user else None,
                    card_no=card_no if card_no is not None else "",
                    card_type=1 if card_no is not None else None,
                    card_reader_no=1,
                    door_no=door_no,
                    verify_no=0,
                    employee_no=user.employee_no if user else None,
                    serial_no=serial,
                    front_serial_no=serial - 1 if serial > 1 else None,
                    user_type="normal" if user else None,
                    current_verify_mode=verify_mode or self.verify_mode,
                    attendance_status="undefined",
                    mask="no",
                    pictures_number=pictures or None,
                ),
            )
            self.events.append(event)
            return event

    def search_events(self, cond: AcsEventCond) -> AcsEventResult:
        with self.lock:
            matches = self._matches(cond)
            size = min(cond.max_results, self.max_results_cap)
            page = [_info(self.events[i]) for i in matches[cond.position : cond.position + size]]
            return AcsEventResult(
                search_id=cond.search_id,
                status=_page_status(len(matches), cond.position, len(page)),
                num_of_matches=len(page),
                total_matches=len(matches),
                info_list=tuple(page),
            )

    def _matches(self, cond: AcsEventCond) -> list[int]:
        # A search is filtered once and paged from the cache, as terminals keep a context per
        # searchID; the log length is in the key, so a new event starts a fresh search.
        key = (
            cond.search_id, cond.major, cond.minor, cond.start_time, cond.end_time,
            cond.begin_serial_no, cond.end_serial_no, cond.time_reverse_order, len(self.events),
        )  # fmt: skip
        cached = self._searches.get(key)
        if cached is not None:
            self._searches.move_to_end(key)
            return cached
        found = [
            i
            for i, e in enumerate(self.events)
            if e.acs is not None
            and (cond.major == 0 or e.acs.major == cond.major)
            and (cond.minor == 0 or e.acs.minor == cond.minor)
            and cond.start_time <= e.date_time <= cond.end_time
            and (cond.begin_serial_no is None or (e.acs.serial_no or 0) >= cond.begin_serial_no)
            and (cond.end_serial_no is None or (e.acs.serial_no or 0) <= cond.end_serial_no)
        ]
        if cond.time_reverse_order:
            found.reverse()
        self._searches[key] = found
        while len(self._searches) > _SEARCH_CACHE_SIZE:
            self._searches.popitem(last=False)
        return found


def _page_status(total: int, position: int, returned: int) -> str:
    if total == 0 or returned == 0:
        return STATUS_NO_MATCH
    return STATUS_MORE if position + returned < total else STATUS_OK


def _info(event: AcsEventPush) -> AcsEventInfo:
    acs = event.acs
    if acs is None:  # only access events are stored
        raise ValueError("not an access event")
    return AcsEventInfo(
        major=acs.major,
        minor=acs.minor,
        time=event.date_time,
        card_no=acs.card_no,
        card_type=acs.card_type,
        name=acs.name,
        card_reader_no=acs.card_reader_no,
        door_no=acs.door_no,
        employee_no=acs.employee_no,
        serial_no=acs.serial_no,
        user_type=acs.user_type,
        current_verify_mode=acs.current_verify_mode,
        attendance_status=acs.attendance_status,
        mask=acs.mask,
    )
