"""Edge API (signed by the gate's key) and the chain check for people.

POST /api/v1/edge/provision     unsigned, one-time code -> device id
POST /api/v1/edge/events        signed, EventBatch -> BatchAck
POST /api/v1/edge/heartbeat     signed, Heartbeat -> HeartbeatAck
GET  /api/v1/edge/roster        signed, ?since=<version> -> RosterDelta
POST /api/v1/edge/enrollments   signed, EnrollmentRequest -> EnrollmentResponse
POST /api/v1/edge/wage-lines    signed, WageLinesRequest -> WageLinesResponse (a station: the
                                worker's lines to confirm; the ID number in the signed body,
                                never in a query string, which is neither signed nor private)
GET  /api/v1/projects/{project_id}/devices/{device_id}/chain   people -> ChainReport
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from models.sync import (
    BatchAck,
    EnrollmentRequest,
    EnrollmentResponse,
    EventBatch,
    Heartbeat,
    HeartbeatAck,
    ProvisionRequest,
    ProvisionResponse,
    RosterDelta,
)
from models.wage_line import WageLinesRequest, WageLinesResponse
from server.auth import throttle
from server.auth.scope import Resource
from server.db.types import utcnow
from server.deps import SessionDep, SettingsDep, authorized
from server.errors import NotFoundError, SiteGateError
from server.ingest import service as ingest_service
from server.ingest.deps import DeviceCaller, RawBody
from server.ingest.schemas import ChainReport
from server.registry.models import Device

edge_router = APIRouter(prefix="/api/v1/edge", tags=["edge"])
people_router = APIRouter(prefix="/api/v1/projects", tags=["edge"])


def get_event_batch(body: RawBody, _device: DeviceCaller) -> EventBatch:
    # Parsed from the bytes already read for the signature (pydantic's JSON parser is about
    # twice as fast as json.loads + validate on a 1,000-event batch). Runs after the device
    # check, so an unsigned caller learns nothing about the schema.
    try:
        return EventBatch.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


EventBatchBody = Annotated[EventBatch, Depends(get_event_batch)]


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema with its local `$defs` written in place: the OpenAPI document
    has no `#/$defs/...` for a `$ref` to point at (clients and fuzzers could not resolve it)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


_BATCH_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inlined(EventBatch.model_json_schema())}},
    }
}


@edge_router.post("/provision", response_model=ProvisionResponse)
def provision(
    request: Request, body: ProvisionRequest, session: SessionDep, settings: SettingsDep
) -> ProvisionResponse:
    # Unsigned by nature (the gate has no key yet): wrong codes are throttled per address.
    address = throttle.client_address(request)
    now = utcnow()
    throttle.check_provisioning(session, address=address, now=now)
    try:
        return ingest_service.provision(session, body, now=now)
    except SiteGateError:
        throttle.provisioning_failed(session, settings, address=address, now=now)
        session.commit()  # keep the count although we answer 4xx
        raise


@edge_router.post("/events", response_model=BatchAck, openapi_extra=_BATCH_OPENAPI)
def post_events(
    device: DeviceCaller, batch: EventBatchBody, session: SessionDep, settings: SettingsDep
) -> BatchAck:
    return ingest_service.ingest(
        session,
        device,
        batch,
        now=utcnow(),
        verify_every_signature=settings.ingest_verify_every_signature,
    )


@edge_router.post("/heartbeat", response_model=HeartbeatAck)
def heartbeat(device: DeviceCaller, body: Heartbeat, session: SessionDep) -> HeartbeatAck:
    return ingest_service.heartbeat(session, device, body, now=utcnow())


@edge_router.get("/roster", response_model=RosterDelta)
def roster(
    device: DeviceCaller,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[int, Query(ge=0, description="roster version the gate holds; 0 = all")] = 0,
) -> RosterDelta:
    return ingest_service.roster(session, settings, device, since)


@edge_router.post("/enrollments", response_model=EnrollmentResponse)
def enroll(
    device: DeviceCaller, body: EnrollmentRequest, session: SessionDep, settings: SettingsDep
) -> EnrollmentResponse:
    return ingest_service.enroll(session, settings, device, body)


@edge_router.post("/wage-lines", response_model=WageLinesResponse)
def wage_lines(
    device: DeviceCaller, body: WageLinesRequest, session: SessionDep, settings: SettingsDep
) -> WageLinesResponse:
    return ingest_service.wage_lines(session, settings, device, body)


@people_router.get(
    "/{project_id}/devices/{device_id}/chain",
    response_model=ChainReport,
    dependencies=[authorized(Resource.DEVICES)],
)
def device_chain(project_id: int, device_id: int, session: SessionDep) -> ChainReport:
    device = session.get(Device, device_id)
    if device is None or device.project_id != project_id:
        raise NotFoundError("设备", "device")
    return ingest_service.verify_chain(session, device.id)


# One router for app.include_routers: the edge API and the people's chain check.
router = APIRouter()
router.include_router(edge_router)
router.include_router(people_router)
