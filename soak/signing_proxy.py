"""A loopback HTTP proxy that signs every request to the gate endpoints with a provisioned
gate's key, over the exact bytes it forwards, so a fuzzer that knows nothing of the signature
scheme reaches past the signature check into ingest. Everything else passes through as is."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from models.device_auth import load_private_key, sign_request

EDGE_PREFIX = "/api/v1/edge/"
_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


class SigningProxy:
    def __init__(self, upstream: str, device_code: str, key_file: Path) -> None:
        self.upstream = upstream.rstrip("/")
        self.device_code = device_code
        self.key = load_private_key(key_file.read_bytes())
        self.signed = 0
        self.refused = 0  # signed requests the server still answered 401 (the signer is wrong)
        self._http = httpx.Client(base_url=self.upstream, timeout=60)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                path = self.path.split("?", 1)[0]
                if path.startswith(EDGE_PREFIX):
                    headers.update(
                        sign_request(
                            proxy.key, proxy.device_code, self.command, path, body, int(time.time())
                        )
                    )
                    proxy.signed += 1
                r = proxy._http.request(self.command, self.path, content=body, headers=headers)
                if path.startswith(EDGE_PREFIX) and r.status_code == 401:
                    proxy.refused += 1
                self.send_response(r.status_code)
                for name, value in r.headers.items():
                    if name.lower() not in _HOP and name.lower() != "content-encoding":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(r.content)

            def __getattr__(self, name: str) -> object:
                # Every method goes through (TRACE, OPTIONS, … too): the server answers them,
                # not this proxy, whose stdlib base would say 501 for any it does not know.
                if name.startswith("do_"):
                    return self._forward
                raise AttributeError(name)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="soak-signer")

    def __enter__(self) -> SigningProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._http.close()
