"""The poster's QR code as drawn: the horizontal runs cover exactly segno's dark modules."""

from __future__ import annotations

import segno

from server.reports import notice_pdf


class TestQrRuns:
    def test_runs_are_the_dark_modules(self) -> None:
        url = "https://sitegate.example.cn/me/"
        matrix = notice_pdf.qr_matrix(url)
        expected = {
            (r, c) for r, row in enumerate(segno.make_qr(url, error="m").matrix)
            for c, v in enumerate(row) if v
        }  # fmt: skip
        drawn = {(r, c + i) for r, c, n in notice_pdf.qr_runs(matrix) for i in range(n)}
        assert drawn == expected
        # runs are maximal: no two touch on the same row
        runs = notice_pdf.qr_runs(matrix)
        ends = {(r, c + n) for r, c, n in runs}
        assert not ends & {(r, c) for r, c, _ in runs}

    def test_always_a_full_qr_code(self) -> None:
        matrix = notice_pdf.qr_matrix("http://a/me/")  # short enough for a Micro QR
        assert len(matrix) >= 21  # version 1 QR is 21 x 21; Micro QR is at most 17
