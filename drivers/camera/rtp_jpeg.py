"""RTP/JPEG (RFC 2435) and RTP over RTSP-interleaved TCP (RFC 3550 §5.1, RFC 2326 §10.12).

Pure functions of bytes, used by the RTSP camera emulator: `parse_jpeg` reduces a baseline JFIF
to what RFC 2435 carries (type, size in 8-pixel units, quantization tables, entropy-coded scan),
`jpeg_payloads` cuts that into RTP payloads, `rtp_packet` and `interleaved` frame them.

RFC 2435 sends no Huffman tables: the receiver rebuilds the JPEG header with the standard tables of
ITU T.81 Annex K.3. A JPEG encoded with optimized Huffman tables, restart markers, progressive
mode or subsampling other than 4:2:0 / 4:2:2 would decode as garbage, so those are refused here
instead of being sent.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.errors import FrameError

RTP_VERSION = 2
PAYLOAD_TYPE_JPEG = 26  # static payload type, RFC 3551 table 5
RTP_CLOCK_HZ = 90_000
RTP_HEADER_LEN = 12
JPEG_HEADER_LEN = 8  # RFC 2435 §3.1 main JPEG header
QTABLE_HEADER_LEN = 4  # RFC 2435 §3.1.8
INTERLEAVED_MAGIC = 0x24  # "$", RFC 2326 §10.12
TYPE_422 = 0  # RFC 2435 §4.1: Y sampled 2x1 relative to Cb and Cr
TYPE_420 = 1  # Y sampled 2x2
Q_INBAND_TABLES = 255  # Q >= 128: tables are in the first packet; 255: they may change per frame
MAX_DIMENSION_PX = 255 * 8  # width and height are one byte each, in 8-pixel units
DEFAULT_MAX_PAYLOAD = 1400  # bytes of RTP payload, so a packet fits a 1500-byte Ethernet MTU

# JPEG markers (ITU T.81 table B.1)
SOI, EOI, SOS, DQT, DHT, DRI, SOF0 = 0xD8, 0xD9, 0xDA, 0xDB, 0xC4, 0xDD, 0xC0
_SOF_OTHER = frozenset({0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})

# Code-length counts (BITS) of the four standard Huffman tables, T.81 Annex K.3, keyed by Tc<<4|Th.
# The receiver assumes exactly these; checking BITS catches an optimized-Huffman encoder.
STANDARD_HUFFMAN_BITS: dict[int, bytes] = {
    0x00: bytes([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),  # DC luminance
    0x01: bytes([0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]),  # DC chrominance
    0x10: bytes([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]),  # AC luminance
    0x11: bytes([0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77]),  # AC chrominance
}


@dataclass(frozen=True)
class JpegScan:
    """What RFC 2435 carries of one baseline JPEG."""

    type: int  # TYPE_422 or TYPE_420
    width: int  # pixels, as in the SOF
    height: int
    qtables: bytes  # table 0 (luma) then table 1 (chroma), 64 bytes each, zig-zag order as in DQT
    scan: bytes  # entropy-coded segment, without the EOI marker


def _bad(zh: str, en: str) -> FrameError:
    return FrameError(f"JPEG 无法按 RFC 2435 发送: {zh}", f"JPEG not sendable as RFC 2435: {en}",
                      code="camera.bad_jpeg")


def parse_jpeg(data: bytes) -> JpegScan:
    """Split a baseline 3-component JPEG into RFC 2435 fields; FrameError if it cannot be sent."""
    if data[:2] != b"\xff\xd8":
        raise _bad("缺少 SOI", "no SOI marker")
    tables: dict[int, bytes] = {}
    sof: bytes | None = None
    i = 2
    while True:
        while i < len(data) and data[i] == 0xFF and i + 1 < len(data) and data[i + 1] == 0xFF:
            i += 1  # fill bytes before a marker (T.81 B.1.1.2)
        if i + 4 > len(data) or data[i] != 0xFF:
            raise _bad("头部截断或损坏", "truncated or corrupt header")
        marker = data[i + 1]
        (length,) = struct.unpack_from(">H", data, i + 2)
        segment = data[i + 4 : i + 2 + length]
        if length < 2 or len(segment) != length - 2:
            raise _bad("段长度错误", f"bad length in marker FF{marker:02X}")
        i += 2 + length
        if marker == DQT:
            _read_dqt(segment, tables)
        elif marker == SOF0:
            sof = segment
        elif marker in _SOF_OTHER:
            raise _bad("不是基线 JPEG", f"not baseline (SOF FF{marker:02X})")
        elif marker == DHT:
            _check_dht(segment)
        elif marker == DRI and segment != b"\x00\x00":
            raise _bad("含重启标记", "restart interval set (encode without restart markers)")
        elif marker == SOS:
            break
    if sof is None:
        raise _bad("缺少 SOF", "no SOF0 before the scan")
    kind, width, height = _read_sof(sof)
    if segment[:1] != b"\x03":
        raise _bad("扫描须含三个分量", "scan must interleave all three components")
    end = data.find(b"\xff\xd9", i)  # inside the scan 0xFF is always stuffed or RSTn
    if end < 0:
        raise _bad("缺少 EOI", "no EOI marker")
    if 0 not in tables or 1 not in tables:
        raise _bad("缺少量化表 0 或 1", "quantization tables 0 and 1 are required")
    return JpegScan(kind, width, height, tables[0] + tables[1], data[i:end])


def _read_dqt(segment: bytes, tables: dict[int, bytes]) -> None:
    j = 0
    while j < len(segment):
        pq, tq = segment[j] >> 4, segment[j] & 0x0F
        if pq != 0:
            raise _bad("仅支持 8 位量化表", "only 8-bit quantization tables (raise the quality)")
        table = segment[j + 1 : j + 65]
        if len(table) != 64:
            raise _bad("量化表截断", "truncated quantization table")
        tables[tq] = table
        j += 65


def _check_dht(segment: bytes) -> None:
    j = 0
    while j + 17 <= len(segment):
        table_id, bits = segment[j], segment[j + 1 : j + 17]
        if STANDARD_HUFFMAN_BITS.get(table_id) != bits:
            raise _bad("非标准霍夫曼表", "non-standard Huffman table (encode without optimize)")
        j += 17 + sum(bits)


def _read_sof(sof: bytes) -> tuple[int, int, int]:
    precision, height, width, ncomp = struct.unpack_from(">BHHB", sof)
    if precision != 8 or ncomp != 3 or len(sof) < 6 + 3 * ncomp:
        raise _bad("须为 8 位三分量", "must be 8-bit with three components")
    comps = [sof[6 + 3 * k : 9 + 3 * k] for k in range(3)]  # (id, HhVv, Tq)
    if [c[2] for c in comps] != [0, 1, 1]:
        raise _bad("量化表分配不符", "Y must use table 0 and Cb/Cr table 1")
    if comps[1][1] != 0x11 or comps[2][1] != 0x11:
        raise _bad("色度采样不符", "chroma must be sampled 1x1")
    kind = {0x21: TYPE_422, 0x22: TYPE_420}.get(comps[0][1])
    if kind is None:
        raise _bad("仅支持 4:2:0 / 4:2:2", "only 4:2:0 or 4:2:2 subsampling")
    if not 0 < width <= MAX_DIMENSION_PX or not 0 < height <= MAX_DIMENSION_PX:
        raise _bad(f"尺寸 {width}x{height} 超过 2040", f"size {width}x{height} exceeds 2040 px")
    return kind, width, height


def jpeg_payloads(jpeg: JpegScan, *, max_payload: int = DEFAULT_MAX_PAYLOAD) -> list[bytes]:
    """RTP payloads for one frame: main header on each, Q tables in the first (Q=255)."""
    units_w, units_h = -(-jpeg.width // 8), -(-jpeg.height // 8)  # round up, RFC 2435 §3.1.5
    qheader = struct.pack(">BBH", 0, 0, len(jpeg.qtables)) + jpeg.qtables  # MBZ, precision 8-bit
    out: list[bytes] = []
    offset = 0
    while offset < len(jpeg.scan) or not out:
        extra = qheader if offset == 0 else b""
        room = max_payload - JPEG_HEADER_LEN - len(extra)
        if room <= 0:
            raise ValueError(f"max_payload {max_payload} cannot hold the quantization tables")
        chunk = jpeg.scan[offset : offset + room]
        # type-specific 0, 24-bit fragment offset into the scan, type, Q, width/8, height/8
        header = struct.pack(">I", offset & 0xFFFFFF) + bytes(
            [jpeg.type, Q_INBAND_TABLES, units_w, units_h]
        )
        out.append(header + extra + chunk)
        offset += len(chunk)
    return out


def rtp_packet(
    payload: bytes, *, seq: int, timestamp: int, ssrc: int, marker: bool,
    payload_type: int = PAYLOAD_TYPE_JPEG,
) -> bytes:
    """RFC 3550 §5.1 fixed header (V=2, no padding, extension or CSRCs) plus `payload`."""
    return struct.pack(
        ">BBHII",
        RTP_VERSION << 6,
        (0x80 if marker else 0) | payload_type,
        seq & 0xFFFF,
        timestamp & 0xFFFFFFFF,
        ssrc & 0xFFFFFFFF,
    ) + payload


def interleaved(channel: int, packet: bytes) -> bytes:
    """RFC 2326 §10.12: "$", channel, 16-bit length, then the RTP or RTCP packet."""
    return struct.pack(">BBH", INTERLEAVED_MAGIC, channel, len(packet)) + packet
