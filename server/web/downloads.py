"""File responses for the pages' exports: XLSX and PDF with a Chinese file name.

The documents themselves come from server/reports (one function per report); this only wraps
the bytes with the media type and a Content-Disposition that browsers read in UTF-8.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ZIP = "application/zip"


def download(data: bytes, media_type: str, filename: str) -> Response:
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    response = Response(data, media_type=media_type)
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "no-store"  # personal data, like the pages
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
