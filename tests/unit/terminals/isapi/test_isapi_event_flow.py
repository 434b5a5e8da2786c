"""Events end to end: the terminal decides, logs and pushes to a listening host; the backlog,
gaps and duplicates a server has to cope with; the terminal's skewed clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from terminals.hikvision_isapi.client import IsapiClient
from terminals.hikvision_isapi.codes import EventMinor, Outcome
from terminals.hikvision_isapi.device import CHINA
from terminals.hikvision_isapi.emulator import IsapiTerminalEmulator

if TYPE_CHECKING:
    from tests.unit.terminals.isapi.conftest import Receiver

T0 = datetime(2026, 12, 3, 7, 30, tzinfo=CHINA)
DAY = (datetime(2026, 12, 3, tzinfo=CHINA), datetime(2026, 12, 3, 23, 59, 59, tzinfo=CHINA))
JPEG = b"\xff\xd8\xff\xe0face\xff\xd9"


@pytest.fixture
def site(
    emulator: IsapiTerminalEmulator, client: IsapiClient, receiver: Receiver
) -> IsapiTerminalEmulator:
    client.set_http_host(receiver.url)
    client.set_user("1001", "张三")
    client.set_face("1001", JPEG)
    client.set_card("1001", "3735928559")
    client.set_user("1002", "李四")  # enrolled, but no face yet
    return emulator


class TestPush:
    def test_local_decisions_are_pushed(
        self, site: IsapiTerminalEmulator, receiver: Receiver
    ) -> None:
        site.present("1001", at=T0)
        site.present("1002", at=T0 + timedelta(seconds=5))
        site.present(None, at=T0 + timedelta(seconds=10))  # a stranger
        site.present(card_no="3735928559", at=T0 + timedelta(seconds=15), door_no=2)
        site.present(card_no="1", at=T0 + timedelta(seconds=20))
        got = [
            (e.acs.serial_no, e.acs.minor, e.acs.employee_no, e.acs.door_no)
            for e in receiver.events
            if e.acs is not None
        ]
        assert got == [
            (1, EventMinor.FACE_VERIFY_PASS, "1001", 1),
            (2, EventMinor.FACE_VERIFY_FAIL, None, 1),
            (3, EventMinor.FACE_VERIFY_FAIL, None, 1),
            (4, EventMinor.LEGAL_CARD_PASS, "1001", 2),
            (5, EventMinor.INVALID_CARD, None, 1),
        ]
        assert [e.acs.outcome for e in receiver.events if e.acs] == [
            Outcome.PASS, Outcome.REFUSED, Outcome.REFUSED, Outcome.PASS, Outcome.REFUSED,
        ]  # fmt: skip
        first = receiver.events[0]
        assert first.date_time == T0
        assert first.port_no == int(site.base_url.rsplit(":", 1)[1])
        assert first.acs is not None
        assert (first.acs.name, first.acs.current_verify_mode) == ("张三", "face")
        assert receiver.errors == []
        assert site.pushed == [(n, 200) for n in range(1, 6)]

    def test_capture_picture_travels_in_its_own_part(
        self, site: IsapiTerminalEmulator, receiver: Receiver
    ) -> None:
        site.present("1001", at=T0, picture=b"\xff\xd8capture")
        (event,) = receiver.events
        assert event.picture == b"\xff\xd8capture"
        assert event.acs is not None
        assert event.acs.pictures_number == 1

    def test_front_serial_shows_a_gap_at_once(
        self, site: IsapiTerminalEmulator, receiver: Receiver
    ) -> None:
        site.drop_push = lambda serial: serial == 2
        for i in range(3):
            site.present("1001", at=T0 + timedelta(seconds=i))
        assert receiver.serials() == [1, 3]
        assert receiver.events[1].acs is not None
        assert receiver.events[1].acs.front_serial_no == 2  # not received: a gap to back-fill

    def test_heartbeat(self, site: IsapiTerminalEmulator, receiver: Receiver) -> None:
        site.heartbeat()
        (beat,) = receiver.events
        assert beat.is_heartbeat
        assert beat.event_type == "heartBeat"
        assert site.events == []

    def test_presenting_nothing_is_a_mistake(self, site: IsapiTerminalEmulator) -> None:
        with pytest.raises(ValueError, match="face or a card"):
            site.present("1001", face=False)


class TestBackfill:
    def test_offline_backlog_of_10000_pulled_once_each_in_order(
        self, site: IsapiTerminalEmulator, client: IsapiClient, receiver: Receiver
    ) -> None:
        site.offline = True
        site.max_results_cap = 30
        for i in range(10_000):
            site.present("1001" if i % 2 else None, at=T0 + timedelta(seconds=i))
        assert receiver.events == []
        pulled = list(client.iter_events(T0, T0 + timedelta(days=1), page_size=100))
        assert [e.serial_no for e in pulled] == list(range(1, 10_001))
        assert pulled[1].employee_no == "1001"
        assert pulled[1].minor == EventMinor.FACE_VERIFY_PASS
        assert pulled[0].minor == EventMinor.FACE_VERIFY_FAIL
        assert pulled[-1].time == T0 + timedelta(seconds=9_999)

    def test_dropped_pushes_are_found_by_pull(
        self, site: IsapiTerminalEmulator, client: IsapiClient, receiver: Receiver
    ) -> None:
        site.drop_push = lambda serial: serial % 7 == 0
        for i in range(50):
            site.present("1001", at=T0 + timedelta(seconds=i))
        received = set(receiver.serials())
        missing = sorted(set(range(1, 51)) - received)
        assert missing == [7, 14, 21, 28, 35, 42, 49]
        pulled = list(client.iter_events(*DAY, begin_serial=missing[0]))
        assert [e.serial_no for e in pulled] == list(range(7, 51))
        assert {e.serial_no for e in pulled if e.serial_no not in received} == set(missing)

    def test_time_window_and_minor_filter(
        self, site: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        site.offline = True
        for i in range(10):
            site.present("1001" if i < 5 else "nobody", at=T0 + timedelta(minutes=i))
        window = list(client.iter_events(T0 + timedelta(minutes=2), T0 + timedelta(minutes=6)))
        assert [e.serial_no for e in window] == [3, 4, 5, 6, 7]
        fails = list(client.iter_events(*DAY, minor=EventMinor.FACE_VERIFY_FAIL))
        assert [e.serial_no for e in fails] == [6, 7, 8, 9, 10]
        assert list(client.iter_events(T0 - timedelta(hours=2), T0 - timedelta(hours=1))) == []

    def test_naive_window_refused(self, client: IsapiClient) -> None:
        with pytest.raises(ValueError, match="aware"):
            list(client.iter_events(datetime(2026, 12, 3), datetime(2026, 12, 4)))  # noqa: DTZ001

    def test_receiver_down_keeps_the_event_for_pull(
        self, emulator: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        client.set_http_host("http://127.0.0.1:9/isapi/events")  # discard port: refused
        emulator.present(None, at=T0)
        assert emulator.pushed[0][0] == 1
        assert "ConnectError" in str(emulator.pushed[0][1])
        assert [e.serial_no for e in client.iter_events(*DAY)] == [1]


class TestFaults:
    def test_duplicate_pushes_are_visible(
        self, site: IsapiTerminalEmulator, receiver: Receiver
    ) -> None:
        site.duplicate_push = lambda serial: serial == 2
        for i in range(3):
            site.present("1001", at=T0 + timedelta(seconds=i))
        assert receiver.serials() == [1, 2, 2, 3]
        assert receiver.events[1] == receiver.events[2]

    def test_clock_skew_in_pushed_and_pulled_times(
        self, site: IsapiTerminalEmulator, client: IsapiClient, receiver: Receiver
    ) -> None:
        site.clock_skew = timedelta(minutes=-7, seconds=-3)
        site.present("1001", at=T0)
        assert receiver.events[0].date_time == T0 - timedelta(minutes=7, seconds=3)
        (pulled,) = client.iter_events(*DAY)
        assert pulled.time == T0 - timedelta(minutes=7, seconds=3)
        assert site.now() - datetime.now(CHINA) < timedelta(minutes=-7)

    def test_going_back_online_pushes_only_new_events(
        self, site: IsapiTerminalEmulator, receiver: Receiver
    ) -> None:
        site.offline = True
        site.present("1001", at=T0)
        site.offline = False
        site.present("1001", at=T0 + timedelta(seconds=1))
        assert receiver.serials() == [2]
