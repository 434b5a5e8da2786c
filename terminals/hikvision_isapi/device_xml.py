"""The XML parts of ISAPI a gate needs, pure: `GET /ISAPI/System/deviceInfo` (model, serial,
firmware), `PUT /ISAPI/Event/notification/httpHosts/<id>` (where events are pushed) and the XML
ResponseStatus those XML calls answer.

`HttpHostNotification` fields: `id`, `url` (path on the listening host), `protocolType` HTTP,
`parameterFormatType` JSON (events as JSON parts, not XML), `addressingFormatType` ipaddress,
`ipAddress`, `portNo`, `httpAuthenticationMethod` none. Some models reject ports below 1024 or
ignore `url` [reported, not checked]. The namespace is `http://www.isapi.org/ver20/XMLSchema`
(older firmware: `http://www.hikvision.com/ver20/XMLSchema`); parsing ignores namespaces.

Parsing uses the stdlib expat parser, which resolves no external entities; bodies are capped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from terminals.hikvision_isapi.errors import IsapiProtocolError
from terminals.hikvision_isapi.records import ResponseStatus

XMLNS = "http://www.isapi.org/ver20/XMLSchema"
PATH_DEVICE_INFO = "/ISAPI/System/deviceInfo"
PATH_HTTP_HOSTS = "/ISAPI/Event/notification/httpHosts"
MAX_XML_BYTES = 256 * 1024


@dataclass(frozen=True)
class DeviceInfo:
    device_name: str
    model: str
    serial_number: str
    firmware_version: str
    mac_address: str | None = None
    device_type: str | None = None


@dataclass(frozen=True)
class HttpHost:
    host_id: int
    ip_address: str
    port_no: int
    url: str
    parameter_format: str = "JSON"

    @property
    def target(self) -> str:
        return f"http://{self.ip_address}:{self.port_no}{self.url}"


def _root(body: bytes) -> ET.Element:
    if len(body) > MAX_XML_BYTES:
        raise IsapiProtocolError("isapi.body_too_large", "XML 过大", "XML body too large")
    try:
        root = ET.fromstring(body)  # noqa: S314 - expat resolves no external entities; size capped
    except ET.ParseError as exc:
        raise IsapiProtocolError(
            "isapi.bad_xml", f"XML 无法解析：{exc}", f"XML does not parse: {exc}"
        ) from exc
    for el in root.iter():  # drop namespaces: firmware differs in which one it uses
        el.tag = el.tag.rsplit("}", 1)[-1]
    return root


def _text(root: ET.Element, tag: str) -> str | None:
    el = root.find(tag)
    return el.text.strip() if el is not None and el.text is not None else None


def _req(root: ET.Element, tag: str) -> str:
    value = _text(root, tag)
    if value is None:
        raise IsapiProtocolError(
            "isapi.bad_field", f"{root.tag} 缺少 {tag}", f"{root.tag} has no {tag}"
        )
    return value


def build_device_info(info: DeviceInfo) -> bytes:
    fields = [
        ("deviceName", info.device_name), ("model", info.model),
        ("serialNumber", info.serial_number), ("macAddress", info.mac_address),
        ("firmwareVersion", info.firmware_version), ("deviceType", info.device_type),
    ]  # fmt: skip
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields if v is not None)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<DeviceInfo version="2.0" xmlns="{XMLNS}">{inner}</DeviceInfo>\n'
    ).encode()


def parse_device_info(body: bytes) -> DeviceInfo:
    root = _root(body)
    return DeviceInfo(
        device_name=_text(root, "deviceName") or "",
        model=_req(root, "model"),
        serial_number=_req(root, "serialNumber"),
        firmware_version=_req(root, "firmwareVersion"),
        mac_address=_text(root, "macAddress"),
        device_type=_text(root, "deviceType"),
    )


def http_host_for(url: str, host_id: int = 1) -> HttpHost:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise IsapiProtocolError(
            "isapi.bad_url",
            f"推送地址须为 http://主机:端口/路径：{url!r}",
            f"push target must be http://host:port/path: {url!r}",
        )
    return HttpHost(host_id, parts.hostname, parts.port or 80, parts.path or "/")


def build_http_host(host: HttpHost) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<HttpHostNotification version="2.0" xmlns="{XMLNS}">'
        f"<id>{host.host_id}</id><url>{escape(host.url)}</url>"
        f"<protocolType>HTTP</protocolType>"
        f"<parameterFormatType>{escape(host.parameter_format)}</parameterFormatType>"
        f"<addressingFormatType>ipaddress</addressingFormatType>"
        f"<ipAddress>{escape(host.ip_address)}</ipAddress><portNo>{host.port_no}</portNo>"
        f"<httpAuthenticationMethod>none</httpAuthenticationMethod>"
        f"</HttpHostNotification>\n"
    ).encode()


def parse_http_host(body: bytes) -> HttpHost:
    root = _root(body)
    if root.tag == "HttpHostNotificationList":
        first = root.find("HttpHostNotification")
        if first is None:
            raise IsapiProtocolError(
                "isapi.bad_field", "HttpHostNotificationList 为空", "empty HttpHostNotificationList"
            )
        root = first
    try:
        return HttpHost(
            host_id=int(_req(root, "id")),
            ip_address=_req(root, "ipAddress"),
            port_no=int(_req(root, "portNo")),
            url=_text(root, "url") or "/",
            parameter_format=_text(root, "parameterFormatType") or "XML",
        )
    except ValueError as exc:
        raise IsapiProtocolError(
            "isapi.bad_field", f"HttpHostNotification 数值错误：{exc}", f"bad number: {exc}"
        ) from exc


def build_xml_status(status: ResponseStatus) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ResponseStatus version="2.0" xmlns="{XMLNS}">'
        f"<statusCode>{status.status_code}</statusCode>"
        f"<statusString>{escape(status.status_string)}</statusString>"
        f"<subStatusCode>{escape(status.sub_status_code)}</subStatusCode>"
        f"</ResponseStatus>\n"
    ).encode()


def parse_xml_status(body: bytes) -> ResponseStatus:
    root = _root(body)
    try:
        code = int(_req(root, "statusCode"))
    except ValueError as exc:
        raise IsapiProtocolError("isapi.bad_field", "statusCode 非数字", "bad statusCode") from exc
    return ResponseStatus(
        status_code=code,
        status_string=_text(root, "statusString") or "",
        sub_status_code=_text(root, "subStatusCode") or "",
    )
