"""The emulated terminal against the loopback server: real HTTP on 127.0.0.1, both sides speaking
the codec. Each test drives the terminal's steps explicitly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from zk_loopback import JPEG_A, JPEG_B, NOW, SN, IclockTestServer

from terminals.zkteco_push import commands as zk_commands
from terminals.zkteco_push import protocol as zk
from terminals.zkteco_push.emulator import ZkPushTerminal


def enrol(iclock: IclockTestServer, terminal: ZkPushTerminal) -> list[str]:
    """Two workers with cards and face photos, pushed by command; their CmdIDs."""
    ids = [
        iclock.app.queue(SN, zk.UpdateUser("1001", "张三", card="3000001")),
        iclock.app.queue(SN, zk.UpdateBioPhoto("1001", JPEG_A)),
        iclock.app.queue(SN, zk.UpdateUser("1002", "李四", card="[15CD5B07]")),
        iclock.app.queue(SN, zk.UpdateBioPhoto("1002", JPEG_B)),
    ]
    terminal.poll_commands()
    return ids


class TestRegister:
    def test_options_parsed(self, iclock: IclockTestServer, terminal: ZkPushTerminal) -> None:
        options = terminal.register()
        assert options is not None
        assert options == terminal.options
        assert (options.sn, options.delay, options.timezone, options.attlog_stamp) == (
            SN,
            10,
            8,
            "None",
        )
        assert options.raw["PushProtVer"] == "2.4.1"
        (query,) = iclock.app.registrations
        assert (query.sn, query.wants_options, query.push_version) == (SN, True, "2.4.1")

    def test_unreachable_server(self, iclock: IclockTestServer) -> None:
        with ZkPushTerminal(iclock.base_url, SN, offline=True) as terminal:
            assert terminal.register() is None
            assert "offline" in (terminal.last_error or "")
        assert iclock.app.registrations == []


class TestCommands:
    def test_two_users_with_photos(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        ids = enrol(iclock, terminal)
        users = terminal.users
        assert sorted(users) == ["1001", "1002"]
        assert (users["1001"].name, users["1001"].card, users["1001"].face_photo) == (
            "张三",
            "3000001",
            JPEG_A,
        )
        assert (users["1002"].name, users["1002"].face_photo) == ("李四", JPEG_B)
        assert [(iclock.app.results[i].return_code, iclock.app.results[i].cmd) for i in ids] == [
            (0, "DATA")
        ] * 4
        assert iclock.app.issued == {}  # every command confirmed
        assert terminal.poll_commands() == []  # and none handed out twice

    def test_delete_user(self, iclock: IclockTestServer, terminal: ZkPushTerminal) -> None:
        enrol(iclock, terminal)
        cmd_id = iclock.app.queue(SN, zk.DeleteUser("1001"))
        (result,) = terminal.poll_commands()
        assert (result.cmd_id, result.return_code) == (cmd_id, 0)
        assert iclock.app.results[cmd_id].return_code == 0
        assert sorted(terminal.users) == ["1002"]
        assert terminal.present(pin="1001") is None
        assert terminal.present(card="3000001") is None

    def test_delete_photos(self, iclock: IclockTestServer, terminal: ZkPushTerminal) -> None:
        enrol(iclock, terminal)
        iclock.app.queue(SN, zk.DeleteBioPhoto("1001"))
        terminal.poll_commands()
        assert terminal.users["1001"].has_face is False
        assert terminal.present(pin="1001") is None
        assert terminal.refusals[-1].reason == "no face enrolled"
        assert terminal.present(card="3000001") is not None  # the card still works

    def test_rejected_command_reaches_the_server(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        terminal.reject_commands = {"UpdateBioPhoto"}
        ids = enrol(iclock, terminal)
        assert [iclock.app.results[i].return_code for i in ids] == [0, -1, 0, -1]
        assert iclock.app.results[ids[1]].ok is False
        assert terminal.users["1001"].has_face is False

    def test_reject_by_predicate_and_code(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        terminal.reject_commands = lambda issued: issued.cmd_id.endswith("3")
        terminal.reject_return = zk_commands.RETURN_CAPACITY
        ids = enrol(iclock, terminal)
        # 1002 was never created, so its photo finds no user (-10)
        assert [iclock.app.results[i].return_code for i in ids] == [0, 0, -1001, -10]
        assert "1002" not in terminal.users

    @pytest.mark.parametrize(
        ("command", "code"),
        [
            (zk.UpdateBioPhoto("9999", JPEG_A), -10),  # no such user
            (zk.UpdateBioPhoto("1001", JPEG_A, size=3), -2),  # Size is not the base64 length
            (zk.UpdateBioPhoto("1001", b"GIF89a"), -1),  # not a JPEG
            (zk.UpdateBioPhoto("1001", url="iclock/file/1.jpg"), -1002),  # Url form
            (zk.UpdateBioPhoto("1001", JPEG_A, bio_type=2), -1002),  # near-infrared face
            (zk.UpdateUserPic("1001", JPEG_A), 0),
            (zk.OtherCommand("REBOOT", "REBOOT"), -1002),
        ],
    )
    def test_return_codes(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal, command: zk.Command, code: int
    ) -> None:
        enrol(iclock, terminal)
        cmd_id = iclock.app.queue(SN, command)
        terminal.poll_commands()
        result = iclock.app.results[cmd_id]
        assert (result.return_code, result.cmd) == (code, zk.result_cmd(command))

    def test_garbage_and_unechoable_lines_are_dropped(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        cmd_id = iclock.app.queue(SN, zk.UpdateUser("1", "x"))
        iclock.app.raw_command_lines = [
            "DATA UPDATE USERINFO PIN=2",  # no C:<id>: prefix
            "C:7&Return=0:DATA DELETE USERINFO PIN=1",  # its id would forge a second result
        ]
        (result,) = terminal.poll_commands()
        assert result.cmd_id == cmd_id
        assert list(iclock.app.results) == [cmd_id]
        assert sorted(terminal.users) == ["1"]

    def test_results_are_posted_again_after_a_failure(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        cmd_id = iclock.app.queue(SN, zk.UpdateUser("1", "x"))
        iclock.app.fail_devicecmd = 1
        (result,) = terminal.poll_commands()  # fetched and executed, the result post fails
        assert result.return_code == 0
        assert iclock.app.results == {}
        assert "HTTP 500" in (terminal.last_error or "")
        assert terminal.poll_commands() == []  # nothing new, but the old result goes along
        assert iclock.app.results[cmd_id].return_code == 0
        assert "1" in terminal.users


class TestPassages:
    def test_face_pass(self, iclock: IclockTestServer, terminal: ZkPushTerminal) -> None:
        enrol(iclock, terminal)
        line = terminal.present(pin="1001")
        assert line is not None
        assert terminal.upload() == 1
        (stored,) = iclock.app.lines(SN)
        assert stored == line
        assert (stored.pin, stored.verify, stored.status, stored.time) == ("1001", 15, 0, NOW)
        assert stored.raw == "1001\t2026-03-02 07:30:00\t0\t15\t0\t0\t0"
        assert iclock.app.attlog_posts[0].stamp == "1"

    def test_card_pass_both_card_forms(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        enrol(iclock, terminal)
        first = terminal.present(card="3000001")
        second = terminal.present(card="123456789", at=NOW + timedelta(seconds=1), status=1)
        assert first is not None
        assert second is not None
        assert terminal.upload() == 2
        assert [(x.pin, x.verify, x.status) for x in iclock.app.lines(SN)] == [
            ("1001", 4, 0),
            ("1002", 4, 1),
        ]

    def test_unknown_card_and_face_write_nothing(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        enrol(iclock, terminal)
        assert terminal.present(card="4999999") is None
        assert terminal.present(pin="7777") is None
        assert terminal.present() is None
        assert terminal.present(pin="1002", card="3000001") is None  # somebody else's card
        assert [r.reason for r in terminal.refusals] == [
            "unknown card",
            "unknown face",
            "unknown face",
            "card of another user",
        ]
        assert terminal.pending == 0
        assert terminal.upload() == 0
        assert terminal.posts == 0
        assert iclock.app.lines(SN) == []

    def test_refusals_reported_as_operlog_when_asked(self, iclock: IclockTestServer) -> None:
        with ZkPushTerminal(
            iclock.base_url, SN, clock=lambda: NOW, report_failures=True
        ) as terminal:
            enrol(iclock, terminal)
            assert terminal.present(card="4999999") is None
            assert terminal.present(pin="1001", at=NOW + timedelta(seconds=5)) is not None
            terminal.upload()
        (failure,) = iclock.app.operlog
        assert isinstance(failure, zk.OpLogRecord)
        assert (failure.op_type, failure.time, failure.raw) == (
            2,
            NOW,
            "OPLOG 2\t0\t2026-03-02 07:30:00\t0\t0\t0\t0",
        )
        assert [x.pin for x in iclock.app.lines(SN)] == ["1001"]

    def test_clock_skew_is_visible(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        enrol(iclock, terminal)
        terminal.clock_skew = timedelta(minutes=-7, seconds=-30)
        terminal.present(pin="1001")
        terminal.present(pin="1002", at=NOW + timedelta(hours=9))
        terminal.upload()
        assert [x.raw.split("\t")[1] for x in iclock.app.lines(SN)] == [
            "2026-03-02 07:22:30",
            "2026-03-02 16:22:30",
        ]
        assert terminal.device_now() == NOW - timedelta(minutes=7, seconds=30)


class TestUploads:
    def test_offline_backlog_drains_exactly_once_despite_resend(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        enrol(iclock, terminal)
        terminal.offline = True
        made = [
            terminal.present(pin="1001" if i % 2 else "1002", at=NOW + timedelta(seconds=i))
            for i in range(10_000)
        ]
        assert terminal.upload() == 0
        assert terminal.pending == 10_000
        assert "offline" in (terminal.last_error or "")
        assert iclock.app.attlog_posts == []

        terminal.offline = False
        terminal.resend = True
        terminal.batch_size = 500
        assert terminal.upload() == 10_000
        assert terminal.pending == 0

        stored = iclock.app.lines(SN)
        assert len(stored) == 10_000
        assert [x.raw for x in stored] == [x.raw for x in made if x is not None]
        posts = iclock.app.attlog_posts
        assert len(posts) == 40  # 20 batches, each posted twice
        assert all(p.lines == 500 for p in posts)
        assert [p.new for p in posts] == [500, 0] * 20  # the second copy is all duplicates
        assert iclock.app.duplicates == 10_000
        assert [p.stamp for p in posts[-2:]] == ["10000", "10000"]
        assert terminal.upload() == 0  # nothing left, nothing re-sent
        assert len(iclock.app.attlog_posts) == 40

    def test_batches_and_stamps(self, iclock: IclockTestServer, terminal: ZkPushTerminal) -> None:
        enrol(iclock, terminal)
        terminal.batch_size = 3
        for i in range(7):
            terminal.present(pin="1001", at=NOW + timedelta(minutes=i))
        assert terminal.upload(max_batches=1) == 3
        assert terminal.upload() == 4
        assert [(p.lines, p.stamp) for p in iclock.app.attlog_posts] == [
            (3, "3"),
            (3, "6"),
            (1, "7"),
        ]

    def test_an_error_answer_keeps_the_batch(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        enrol(iclock, terminal)
        terminal.present(pin="1001")
        iclock.app.refuse_uploads = 1
        assert terminal.upload() == 0
        assert terminal.pending == 1
        assert "refused" in (terminal.last_error or "")
        assert terminal.upload() == 1
        assert len(iclock.app.lines(SN)) == 1

    def test_stamp_zero_makes_the_terminal_send_everything_again(
        self, iclock: IclockTestServer, terminal: ZkPushTerminal
    ) -> None:
        terminal.register()
        enrol(iclock, terminal)
        for i in range(5):
            terminal.present(pin="1002", at=NOW + timedelta(seconds=i))
        terminal.upload()
        terminal.register()  # the server hands back the stamp it kept ("5"): nothing to redo
        assert terminal.pending == 0
        iclock.app.force_attlog_stamp = "0"
        terminal.register()
        assert terminal.pending == 5
        assert terminal.upload() == 5
        assert len(iclock.app.lines(SN)) == 5
        assert iclock.app.duplicates == 5


class TestBackgroundLoop:
    def test_start_stop(self, iclock: IclockTestServer) -> None:
        terminal = ZkPushTerminal(iclock.base_url, SN, clock=lambda: NOW, poll_interval=0.01)
        cmd_id = iclock.app.queue(SN, zk.UpdateUser("5", "赵六"))
        terminal.start()
        try:
            assert iclock.app.result_arrived.wait(10)
        finally:
            terminal.close()
        assert iclock.app.results[cmd_id].return_code == 0
        assert terminal.options is not None
        assert "5" in terminal.users
