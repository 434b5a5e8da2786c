"""RTP/JPEG packetiser (RFC 2435) and RTSP message splitting: golden bytes and round trips."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from drivers.camera import rtp_jpeg
from drivers.camera.rtp_jpeg import JpegScan, jpeg_payloads, parse_jpeg, rtp_packet
from drivers.camera.rtsp_emulator import (
    RtspRequest,
    encode_frame,
    split_message,
    tcp_interleaved_channel,
)
from drivers.errors import FrameError

Q0 = bytes(range(1, 65))
Q1 = bytes(range(65, 129))
SCAN = b"\x12\xff\x00\x34\x56\x78"  # stand-in entropy data; 0xFF is stuffed as in a real scan


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def synthetic_jpeg(
    *,
    width: int = 16,
    height: int = 8,
    y_sampling: int = 0x22,
    sof: int = rtp_jpeg.SOF0,
    dqt: bytes = b"\x00" + Q0 + b"\x01" + Q1,
    dht_bits: dict[int, bytes] | None = None,
    restart_interval: int = 0,
    components: int = 3,
) -> bytes:
    """The header layout libjpeg writes, with made-up tables and scan (nothing decodes it)."""
    comps = bytes([1, y_sampling, 0, 2, 0x11, 1, 3, 0x11, 1])[: 3 * components]
    dht = b"".join(
        bytes([table_id]) + bits + bytes(sum(bits))
        for table_id, bits in (dht_bits or rtp_jpeg.STANDARD_HUFFMAN_BITS).items()
    )
    return b"".join([
        b"\xff\xd8",
        _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        _segment(rtp_jpeg.DQT, dqt),
        _segment(sof, struct.pack(">BHHB", 8, height, width, components) + comps),
        _segment(rtp_jpeg.DRI, struct.pack(">H", restart_interval)),
        _segment(rtp_jpeg.DHT, dht),
        _segment(rtp_jpeg.SOS, bytes([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0])),
        SCAN,
        b"\xff\xd9",
    ])


def _gradient(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.dstack([x * 255 // w, y * 255 // h, (x + y) % 256]).astype(np.uint8)


class TestParseJpeg:
    def test_fields(self) -> None:
        scan = parse_jpeg(synthetic_jpeg())
        assert scan == JpegScan(rtp_jpeg.TYPE_420, 16, 8, Q0 + Q1, SCAN)

    def test_422_is_type_0(self) -> None:
        assert parse_jpeg(synthetic_jpeg(y_sampling=0x21)).type == rtp_jpeg.TYPE_422

    def test_opencv_output_round_trips_tables_and_scan(self) -> None:
        import cv2

        data = encode_frame(_gradient(120, 200), quality=85)
        scan = parse_jpeg(data)
        assert (scan.type, scan.width, scan.height) == (rtp_jpeg.TYPE_420, 200, 120)
        # independently: DQT bodies as libjpeg wrote them, scan between SOS header and EOI
        tables = b""
        at = data.find(b"\xff\xdb")
        while at >= 0 and at < data.find(b"\xff\xda"):
            (length,) = struct.unpack_from(">H", data, at + 2)
            body = data[at + 4 : at + 2 + length]
            tables += b"".join(body[k + 1 : k + 65] for k in range(0, len(body), 65))
            at = data.find(b"\xff\xdb", at + 2 + length)
        assert scan.qtables == tables
        sos = data.find(b"\xff\xda")
        (sos_len,) = struct.unpack_from(">H", data, sos + 2)
        assert scan.scan == data[sos + 2 + sos_len : -2]
        ok, buf = cv2.imencode(".jpg", _gradient(64, 64),
                               [cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422])
        assert ok
        assert parse_jpeg(bytes(buf)).type == rtp_jpeg.TYPE_422

    @pytest.mark.parametrize(
        ("jpeg", "why"),
        [
            (b"\x89PNG\r\n", "SOI"),
            (synthetic_jpeg()[:-2], "EOI"),
            (synthetic_jpeg(sof=0xC2), "baseline"),
            (synthetic_jpeg(restart_interval=4), "restart"),
            (synthetic_jpeg(dht_bits={0x00: bytes([0, 2, 4] + [1] * 13)}), "Huffman"),
            (synthetic_jpeg(y_sampling=0x11), "subsampling"),
            (synthetic_jpeg(dqt=b"\x10" + bytes(128)), "8-bit"),
            (synthetic_jpeg(components=1), "three components"),
            (synthetic_jpeg(width=2048), "2040"),
        ],
    )
    def test_refuses_what_rfc_2435_cannot_carry(self, jpeg: bytes, why: str) -> None:
        with pytest.raises(FrameError, match=why) as info:
            parse_jpeg(jpeg)
        assert info.value.code == "camera.bad_jpeg"


class TestJpegPayloads:
    def test_golden_headers(self) -> None:
        # room for exactly 3 scan bytes after main header (8), table header (4) and tables (128)
        first, second = jpeg_payloads(parse_jpeg(synthetic_jpeg()), max_payload=8 + 4 + 128 + 3)
        assert first == bytes.fromhex("00000000 01ff0201 00000080") + Q0 + Q1 + SCAN[:3]
        assert second == bytes.fromhex("00000003 01ff0201") + SCAN[3:]

    def test_sizes_round_up_to_8_pixel_units(self) -> None:
        jpeg = JpegScan(rtp_jpeg.TYPE_420, 250, 2040, Q0 + Q1, SCAN)
        (payload,) = jpeg_payloads(jpeg)
        assert payload[6:8] == bytes([32, 255])

    def test_round_trip_of_a_real_frame(self) -> None:
        jpeg = parse_jpeg(encode_frame(_gradient(240, 320)))
        payloads = jpeg_payloads(jpeg, max_payload=1000)
        assert len(payloads) > 2
        assert all(len(p) <= 1000 for p in payloads)
        scan = b""
        for k, p in enumerate(payloads):
            offset = int.from_bytes(p[1:4], "big")
            assert offset == len(scan)
            assert p[4:8] == bytes([rtp_jpeg.TYPE_420, 255, 40, 30])
            body = p[8:]
            if k == 0:
                mbz, precision, length = struct.unpack_from(">BBH", body)
                assert (mbz, precision, length) == (0, 0, 128)
                assert body[4:132] == jpeg.qtables
                body = body[132:]
            scan += body
        assert scan == jpeg.scan

    def test_payload_too_small_for_tables(self) -> None:
        with pytest.raises(ValueError, match="quantization tables"):
            jpeg_payloads(parse_jpeg(synthetic_jpeg()), max_payload=100)


class TestRtpFraming:
    def test_rtp_header_golden(self) -> None:
        packet = rtp_packet(b"xy", seq=0x11234, timestamp=0x1_0102_0304, ssrc=0xDEADBEEF,
                            marker=True)
        assert packet == bytes.fromhex("809a1234 01020304 deadbeef 7879")
        assert rtp_packet(b"", seq=1, timestamp=2, ssrc=3, marker=False)[1] == 26

    def test_interleaved(self) -> None:
        assert rtp_jpeg.interleaved(2, b"abc") == b"$\x02\x00\x03abc"


class TestEncodeFrame:
    def test_crops_to_whole_8_pixel_units(self) -> None:
        scan = parse_jpeg(encode_frame(_gradient(250, 250)))
        assert (scan.width, scan.height) == (248, 248)

    def test_scales_down_to_2040(self) -> None:
        scan = parse_jpeg(encode_frame(np.zeros((600, 3000, 3), dtype=np.uint8)))
        assert scan.width <= 2040
        assert scan.width % 8 == 0
        assert scan.height == 408


class TestSplitMessage:
    REQUEST = b"OPTIONS rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: t\r\n\r\n"

    def test_request(self) -> None:
        used, msg = split_message(self.REQUEST + b"$")
        assert used == len(self.REQUEST)
        assert msg == RtspRequest("OPTIONS", "rtsp://h/x", "RTSP/1.0",
                                  {"cseq": "1", "user-agent": "t"})

    def test_needs_more_bytes(self) -> None:
        assert split_message(self.REQUEST[:-1]) == (0, None)
        assert split_message(b"$\x01\x00\x05ab") == (0, None)
        body = b"SET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 4\r\n\r\nab"
        assert split_message(body) == (0, None)
        _, msg = split_message(body + b"cd")
        assert isinstance(msg, RtspRequest)
        assert msg.body == b"abcd"

    def test_interleaved_rtcp_is_returned_as_bytes(self) -> None:
        assert split_message(b"$\x01\x00\x03abcOPTIONS") == (7, b"abc")

    def test_garbage_request_line(self) -> None:
        used, msg = split_message(b"HELLO\r\n\r\n")
        assert used == 9
        assert isinstance(msg, RtspRequest)
        assert msg.method == ""

    def test_oversized_header(self) -> None:
        with pytest.raises(ValueError, match="too large"):
            split_message(b"A" * 20_000)


class TestTcpInterleavedChannel:
    @pytest.mark.parametrize(
        ("transport", "channel"),
        [
            ("RTP/AVP/TCP;unicast;interleaved=0-1", 0),
            ("RTP/AVP/TCP;unicast;interleaved=2-3", 2),
            ("RTP/AVP/TCP;unicast", 0),
            ("RTP/AVP;unicast;client_port=5000-5001", None),
            ("RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=4-5", 4),
            ("", None),
        ],
    )
    def test_choice(self, transport: str, channel: int | None) -> None:
        assert tcp_interleaved_channel(transport) == channel
