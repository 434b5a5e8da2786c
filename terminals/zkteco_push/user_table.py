"""The emulated terminal's own user table: what commands do to it and how it decides a passage.

Pure state, no I/O: `apply(command) -> Return code` and `identify(pin, card, face)`. Return codes
are the document's appendix 1. Card lookup goes through an index on the card's decimal number,
so a presentation costs the same with 10 users or 10,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from terminals.zkteco_push import commands as cmd
from terminals.zkteco_push.attlog import VERIFY_CARD, VERIFY_FACE

JPEG_MAGIC = b"\xff\xd8"


@dataclass(frozen=True)
class TerminalUser:
    pin: str
    name: str
    card: str
    privilege: int = 0
    face_photo: bytes = b""  # the enrolled BIOPHOTO JPEG
    user_pic: bytes = b""  # the display photo (USERPIC)

    @property
    def has_face(self) -> bool:
        return bool(self.face_photo)


@dataclass(frozen=True)
class Identification:
    user: TerminalUser | None
    verify: int  # ATTLOG Verify when user is not None
    reason: str  # why not, when user is None


class UserTable:
    def __init__(self) -> None:
        self._users: dict[str, TerminalUser] = {}
        self._by_card: dict[str, str] = {}  # decimal card number -> PIN

    @property
    def users(self) -> Mapping[str, TerminalUser]:
        return MappingProxyType(dict(self._users))

    def __len__(self) -> int:
        return len(self._users)

    def _put(self, user: TerminalUser) -> None:
        self._drop(user.pin)
        self._users[user.pin] = user
        if user.card:
            self._by_card[cmd.card_number(user.card)] = user.pin

    def _drop(self, pin: str) -> None:
        old = self._users.pop(pin, None)
        if old is not None and old.card:
            number = cmd.card_number(old.card)
            if self._by_card.get(number) == pin:
                del self._by_card[number]

    def apply(self, command: cmd.Command) -> int:
        """Execute one command; its Return code."""
        if isinstance(command, cmd.UpdateUser):
            old = self._users.get(command.pin)
            user = TerminalUser(command.pin, command.name, command.card, command.privilege)
            if old is not None:  # an update keeps the enrolled photos
                user = replace(user, face_photo=old.face_photo, user_pic=old.user_pic)
            self._put(user)
            return cmd.RETURN_OK
        if isinstance(command, cmd.UpdateBioPhoto | cmd.UpdateUserPic):
            return self._store_photo(command)
        if isinstance(command, cmd.DeleteUser):
            self._drop(command.pin)  # deleting an absent user succeeds, so retries are harmless
            return cmd.RETURN_OK
        if isinstance(command, cmd.DeleteBioPhoto | cmd.DeleteUserPic):
            holder = self._users.get(command.pin)
            if holder is not None and isinstance(command, cmd.DeleteBioPhoto):
                self._put(replace(holder, face_photo=b""))
            elif holder is not None:
                self._put(replace(holder, user_pic=b""))
            return cmd.RETURN_OK
        return cmd.RETURN_UNSUPPORTED

    def _store_photo(self, command: cmd.UpdateBioPhoto | cmd.UpdateUserPic) -> int:
        user = self._users.get(command.pin)
        if user is None:
            return cmd.RETURN_NO_SUCH_USER
        if command.url:
            return cmd.RETURN_UNSUPPORTED  # Format=1 would need a fetch from the server
        is_face = isinstance(command, cmd.UpdateBioPhoto)
        if (
            isinstance(command, cmd.UpdateBioPhoto)
            and command.bio_type != cmd.BIO_TYPE_VISIBLE_FACE
        ):
            return cmd.RETURN_UNSUPPORTED
        encoded_len = (len(command.content) + 2) // 3 * 4
        if command.size is not None and command.size != encoded_len:
            return cmd.RETURN_PHOTO_SIZE_MISMATCH
        if not command.content.startswith(JPEG_MAGIC):
            return cmd.RETURN_BAD_PARAMETER
        if is_face:
            self._put(replace(user, face_photo=command.content))
        else:
            self._put(replace(user, user_pic=command.content))
        return cmd.RETURN_OK

    def identify(self, pin: str | None, card: str | None, face: bool) -> Identification:
        """The terminal's local decision. A card decides by itself (verify 4); otherwise the
        face of user `pin` passes if that user has an enrolled face photo (verify 15)."""
        if card is not None:
            holder_pin = self._by_card.get(cmd.card_number(card))
            if holder_pin is None:
                return Identification(None, 0, "unknown card")
            if pin is not None and pin != holder_pin:
                return Identification(None, 0, "card of another user")
            return Identification(self._users[holder_pin], VERIFY_CARD, "")
        if not face:
            return Identification(None, 0, "nothing presented")
        user = self._users.get(pin) if pin is not None else None
        if user is None:
            return Identification(None, 0, "unknown face")
        if not user.has_face:
            return Identification(None, 0, "no face enrolled")
        return Identification(user, VERIFY_FACE, "")

    def faces(self) -> int:
        return sum(1 for u in self._users.values() if u.has_face)
