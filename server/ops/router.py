"""/healthz (liveness), /readyz (readiness) and /metrics (Prometheus). None needs a sign-in:
an orchestrator or Prometheus calls them. /metrics tells gate codes and traffic, so it answers
only a request bearing `metrics_token`, or with no token set, one from the loopback address."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from server.errors import SiteGateError
from server.ops import health, metrics

router = APIRouter(tags=["meta"])


class MetricsForbiddenError(SiteGateError):
    code = "metrics.forbidden"
    status_code = 403


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "not ready, with the reason"}})
def readyz(request: Request) -> JSONResponse:
    problem = health.not_ready(request.app.state.engine)
    if problem is None:
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        {"status": "not_ready", "reason_zh": problem[0], "reason_en": problem[1]}, status_code=503
    )


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_metrics_access(request: Request) -> None:
    token: str = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return
        raise MetricsForbiddenError("指标需要令牌", "metrics need the bearer token")
    if not _loopback(request.client.host if request.client else None):
        raise MetricsForbiddenError(
            "未设置 SITEGATE_METRICS_TOKEN 时只允许本机读取指标",
            "without SITEGATE_METRICS_TOKEN, metrics answer the loopback address only",
        )


@router.get("/metrics", response_class=Response)
def prometheus_metrics(request: Request) -> Response:
    check_metrics_access(request)
    body = metrics.exposition(request.app.state.sessionmaker)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
