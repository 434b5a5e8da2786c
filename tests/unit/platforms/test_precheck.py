"""The local pre-checks: what the platform would refuse is found before sending, in both
languages, and what it takes passes."""

from __future__ import annotations

import base64
import datetime as dt

import cv2
import numpy as np

from platforms.national import precheck as c
from platforms.national.profile import load
from server.platform.photos import fit_photo, fits

TODAY = dt.date(2026, 12, 4)
NATIONAL = load()


def _jpeg(size: int, quality: int = 95) -> bytes:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)  # noise: compresses badly
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(buf)


def test_photos() -> None:
    small = base64.b64encode(_jpeg(64)).decode()
    assert c.photo("headImage", small) == []
    big = base64.b64encode(_jpeg(400)).decode()
    assert next(p.zh for p in c.photo("headImage", big)).endswith("超过 50 KB")
    gif = base64.b64encode(b"GIF89a" + b"0" * 10).decode()
    assert c.photo("image", gif)[0].en == "the photo must be a JPEG or PNG"
    assert c.photo("image", "不是")[0].zh == "照片不是 Base64"


def test_a_big_photo_is_made_to_fit_and_a_fitting_one_is_left_alone() -> None:
    big = _jpeg(400)
    assert len(big) > c.PHOTO_MAX
    fitted = fit_photo(big)
    assert fits(fitted)
    assert cv2.imdecode(np.frombuffer(fitted, np.uint8), cv2.IMREAD_COLOR) is not None
    small = _jpeg(64)
    assert fit_photo(small) is small
    assert fit_photo(b"not an image") == b"not an image"


def test_dates_and_entry_order() -> None:
    assert c.not_future("date", "2026-12-04", TODAY) == []
    assert c.not_future("date", "2026-12-05 08:00:00", TODAY)[0].zh == "日期 2026-12-05 晚于今天"
    assert c.not_future("date", "12/05/2026", TODAY)[0].en.startswith("not a date")
    item = {"date": "2026-11-01"}
    assert c.entry_exit(item, TODAY, dt.date(2026, 10, 1)) == []
    late = c.entry_exit(item, TODAY, dt.date(2026, 11, 2))
    assert "早于上一次 2026-11-02" in late[0].zh


def test_codes_regions_and_coordinates() -> None:
    good = {"idCardType": "01", "idCardNumber": "110101199003074477", "workType": "020"}
    assert c.worker(good, NATIONAL) == []
    bad = {"idCardType": "77", "idCardNumber": "999999199003074477", "workType": "宇航员"}
    fields = [p.field for p in c.worker(bad, NATIONAL)]
    assert fields == ["idCardType", "workType"]  # a non-mainland type carries no region code
    region = {**good, "idCardNumber": "999999199003074471"}
    assert c.worker(region, NATIONAL)[0].field == "birthPlaceCode"
    corp = {"corpType": "013", "corpCode": "91110000"}
    assert [p.field for p in c.subcontractor(corp, NATIONAL)] == ["corpType", "corpCode"]
    assert c.coordinates(116.39, 39.9) == []
    assert "不在中国境内" in c.coordinates(39.9, 116.39)[0].zh  # swapped
    records = [{"date": "2026-12-04 07:55:00", "direction": "03", "lng": 1, "lat": 2}]
    assert {p.field for p in c.attendance(records, TODAY)} == {"direction", "lng/lat"}
