"""create_app(settings): engine and sessionmaker live on app.state, created once per app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import http_security, workers
from server.config import Settings
from server.db.leader import Leadership
from server.db.session import make_engine, make_sessionmaker
from server.errors import SiteGateError
from server.ops import logs
from server.ops.request_log import RequestLogMiddleware
from server.reports import key_line as report_key_line

if TYPE_CHECKING:
    from server.anchors.digest import Issuer

log = logging.getLogger("sitegate.server")


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, whether or not Content-Length is honest."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _too_large(self.max_bytes)(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(self.max_bytes)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        status_code=413,
        content={
            "code": "body_too_large",
            "message_zh": f"请求体过大(上限 {limit} 字节)",
            "message_en": f"request body too large (limit {limit} bytes)",
        },
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        out.append({"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SiteGateError)
    async def _sitegate(_: Request, exc: SiteGateError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content=exc.to_dict(), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _field_errors(exc)
        names = ", ".join(f["field"] or "(body)" for f in fields[:5])
        return JSONResponse(
            status_code=422,
            content={
                "code": "validation",
                "message_zh": f"请求数据有误:{names}",
                "message_en": f"invalid request data: {names}",
                "detail": fields,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "未找到", 405: "不支持的请求方法", 401: "请先登录", 403: "无权访问"}
        return JSONResponse(
            status_code=exc.status_code,
            content={
                "code": f"http_{exc.status_code}",
                "message_zh": zh.get(exc.status_code, "请求错误"),
                "message_en": str(exc.detail),
            },
            headers=getattr(exc, "headers", None),
        )

    # A number beyond the columns' 64-bit range reaches the driver unchecked from any id in a
    # path or query (SQLite raises OverflowError, PostgreSQL DataError): the client's mistake.
    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "code": "validation.out_of_range",
                "message_zh": "请求中的数值超出范围",
                "message_en": "a number in the request is out of range",
            },
        )

    # A gate (or browser) that goes away mid-upload is the network's doing, not a server error:
    # nothing is stored (the unit of work rolls back), nobody is there to answer, no traceback.
    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: Exception) -> Response:
        log.info("client went away during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500,
            content={
                "code": "internal",
                "message_zh": "服务器内部错误",
                "message_en": "internal error",
            },
        )


def _start_pdf_font_copy() -> None:
    """Begin making the small CJK font copy in the background (server/reports/cjk_font.py), so
    the first PDFs after a start are not the ones that wait for it; without a font, nothing."""
    from server.reports import cjk_font, payslip_pdf

    try:
        cjk_font.fast_font(payslip_pdf.find_cjk_font())
    except payslip_pdf.CjkFontMissingError:
        return


def _start_digest_issuer(app: FastAPI, settings: Settings) -> Issuer | None:
    """Issue the missing daily digests now and every few minutes in a background thread
    (server/anchors/digest.py), so nobody has to ask; off in tests and with digest_every_s=0."""
    if settings.environment == "test" or settings.digest_every_s <= 0:
        return None
    from server.anchors import digest

    leadership = app.state.digest_leadership = Leadership(
        app.state.engine, digest.ISSUER_LOCK_KEY, "issuing daily digests"
    )
    return digest.Issuer(
        app.state.sessionmaker, settings, settings.digest_every_s, leads=leadership.leads
    ).start()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _start_pdf_font_copy()
        issuer = app.state.digest_issuer = _start_digest_issuer(app, settings)
        yield
        if issuer is not None:
            issuer.stop()
            app.state.digest_leadership.release()
        workers.worker_stopped()
        if owns_engine:
            app.state.engine.dispose()

    owns_engine = engine is None
    engine = engine or make_engine(settings.database_url, echo=settings.echo_sql)
    app = FastAPI(
        title="SiteGate 实名制闸机考勤",
        version="0.1.0",
        description="Real-name attendance, site gates and wage reconciliation.",
        lifespan=lifespan,
        # /docs and /redoc come from server/http_security.py with local assets (no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.api_docs else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Reports made for a request print this app's signing key (server/reports/key_line.py).
    app.add_middleware(report_key_line.SettingsMiddleware, settings=settings)
    # Inside the security headers, outside the body limit: a 413 is logged and timed too.
    logs.route_to_stdlib()
    app.add_middleware(RequestLogMiddleware)
    http_security.install(app, settings)  # outermost: every answer, a 413 too, gets the headers
    include_routers(app)
    return app


def include_routers(app: FastAPI) -> None:
    # Each area registers its router here, one line each.
    from server.anchors.router import router as anchors_router
    from server.auth.router import codes_router as activation_codes_router
    from server.auth.router import router as auth_router
    from server.checklist.router import router as checklist_router
    from server.complaints.router import router as complaints_router
    from server.ingest.router import router as ingest_router
    from server.ops.router import router as ops_router
    from server.payroll.router import router as payroll_router
    from server.reconciliation.router import router as reconciliation_router
    from server.registry.router import router as registry_router
    from server.reports.router import router as reports_router
    from server.rosters.router import router as rosters_router
    from server.safeguards.router import router as safeguards_router
    from server.terminals.isapi_router import router as isapi_router
    from server.terminals.zk_router import router as zkteco_router
    from server.wages.router import router as wages_router
    from server.web import pages as web_pages

    app.include_router(auth_router)
    app.include_router(activation_codes_router)
    app.include_router(registry_router)
    app.include_router(ingest_router)
    app.include_router(zkteco_router)
    app.include_router(payroll_router)
    app.include_router(reconciliation_router)
    app.include_router(rosters_router)
    app.include_router(reports_router)
    app.include_router(wages_router)
    app.include_router(anchors_router)
    app.include_router(safeguards_router)
    app.include_router(isapi_router)
    app.include_router(complaints_router)
    app.include_router(checklist_router)
    app.include_router(ops_router)
    app.include_router(web_pages.router)
    app.mount("/static", web_pages.static_files, name="static")

    @app.get("/api/v1/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}
