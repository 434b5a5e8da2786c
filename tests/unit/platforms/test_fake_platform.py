"""The fake national platform over real HTTP, driven by the client: it refuses what the platform
refuses (signature, secret, order, dates, photos) in the platform's words, answers tickets, and
fails or rate-limits on command."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from platforms.national import protocol as p
from platforms.national.client import PlatformClient
from platforms.national.fake_platform import FakePlatform, FakePlatformServer

SECRET = "0123456789abcdef0123456789abcdef"
ID = "110101199003074477"


@pytest.fixture
def served() -> Iterator[tuple[FakePlatform, str]]:
    platform = FakePlatform(secrets={"P0001": SECRET})
    with FakePlatformServer(platform) as server:
        yield platform, server.url


@pytest.fixture
def server_url(served: tuple[FakePlatform, str]) -> str:
    return served[1]


@pytest.fixture
def fake(served: tuple[FakePlatform, str]) -> Iterator[tuple[FakePlatform, PlatformClient]]:
    platform, url = served
    with PlatformClient(url, "P0001", SECRET) as client:
        yield platform, client


def _team(client: PlatformClient, name: str) -> p.Answer:
    corp = {"projectCode": "P0001", "corpCode": "91X", "corpName": "某劳务公司", "corpType": "006"}
    assert client.call("ProjectSubContractor.Add", corp).ok  # a company before its teams
    return client.call("Team.Add", {"projectCode": "P0001", "corpCode": "91X", "teamName": name})


def _worker(client: PlatformClient, team: str, **extra: object) -> p.Answer:
    worker = {"workerName": "张三", "idCardType": "01", "idCardNumber": client.encrypt(ID)}
    return client.call(
        "ProjectWorker.Add",
        {"projectCode": "P0001", "teamSysNo": team, "workerList": [{**worker, **extra}]},
    )


def test_team_before_workers_and_the_ticket(fake: tuple[FakePlatform, PlatformClient]) -> None:
    platform, client = fake
    early = _worker(client, "T999")
    assert (early.code, early.message) == (-1, "班组 teamSysNo 不存在,请先上传班组")
    orphan = client.call("Team.Add", {"projectCode": "P0001", "corpCode": "91Y", "teamName": "x"})
    assert orphan.message == "参建单位未登记,请先上传参建单位"
    team = _team(client, "钢筋班")
    assert team.ok
    number = team.data["teamSysNo"]
    added = _worker(client, number)
    assert added.ok
    assert platform.workers[ID]["workerName"] == "张三"  # the platform decrypted it
    ticket = added.request_serial_code
    assert ticket is not None
    assert client.poll(ticket).data == {"status": "processing"}
    assert client.poll(ticket).data["status"] == "success"


def test_signature_secret_dates_and_photos(
    fake: tuple[FakePlatform, PlatformClient], server_url: str
) -> None:
    _platform, client = fake
    wrong = PlatformClient(server_url, "P0001", "f" * 32)
    assert wrong.call("Team.Add", {"x": 1}).code == p.ResultCode.BAD_SIGNATURE
    stranger = PlatformClient(server_url, "P9", SECRET)
    assert stranger.call("Team.Add", {"x": 1}).code == p.ResultCode.NO_PERMISSION
    team = _team(client, "木工班")
    number = team.data["teamSysNo"]
    big = base64.b64encode(b"\xff\xd8" + b"0" * 60_000).decode()
    assert _worker(client, number, headImage=big).message == "照片不能超过 50KB"
    _worker(client, number)
    future = client.call(
        "WorkerEntryExit.Add",
        {"projectCode": "P0001", "teamSysNo": number,
         "workerList": [{"idCardNumber": client.encrypt(ID), "date": "2999-01-01", "type": 1}]},
    )  # fmt: skip
    assert future.message.startswith("日期不能晚于今天")


def test_fault_knobs(fake: tuple[FakePlatform, PlatformClient]) -> None:
    platform, client = fake
    platform.rate_limit_next, platform.fail_next = 1, 1
    limited = client.call("Team.Add", {})
    assert (limited.code, limited.retryable) == (p.ResultCode.RATE_LIMITED, True)
    assert client.call("Team.Add", {}).code == p.ResultCode.PLATFORM_ERROR
    platform.reject_next = 2  # the company's ticket and the team's
    team = _team(client, "瓦工班")
    ticket = team.request_serial_code
    assert ticket is not None
    client.poll(ticket)
    final = client.poll(ticket)
    assert final.data["status"] == "failed"
    assert "校验未通过" in final.data["result"]
