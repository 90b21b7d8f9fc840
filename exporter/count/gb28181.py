"""GB/T 28181 device IDs: what kind of device a 20-digit ID names.

Owns the ID layout (centre code 8, industry 2, type 3, network 1, serial 6 digits) and the
standard's table of type codes, mapped to a bounded set of names fit for a label value: a
type's name, `other` for a GB28181 ID whose type is not in the table, `unknown` for anything
that is not a GB28181 ID. The full ID never becomes a label. Pure.
"""

from __future__ import annotations

from typing import NamedTuple

OTHER = "other"
UNKNOWN = "unknown"

# The type codes of GB/T 28181 (digits 11-13 of an ID).
TYPES: dict[str, str] = {
    "111": "dvr",
    "112": "video_server",
    "113": "encoder",
    "114": "decoder",
    "115": "video_matrix",
    "116": "audio_matrix",
    "117": "alarm_controller",
    "118": "nvr",
    "130": "hvr",
    "131": "camera",
    "132": "ipc",
    "133": "monitor",
    "134": "alarm_input",
    "135": "alarm_output",
    "136": "voice_input",
    "137": "voice_output",
    "138": "mobile_transmission",
    "139": "other_peripheral",
    "200": "sip_server",
    "201": "web_application_server",
    "202": "media_distribution_server",
    "203": "proxy_server",
    "204": "security_server",
    "205": "alarm_server",
    "206": "database_server",
    "207": "gis_server",
    "208": "management_server",
    "209": "access_gateway",
    "210": "media_storage_server",
    "211": "signalling_security_gateway",
    "215": "business_group",
    "216": "virtual_organisation",
    "300": "centre_user",
    "400": "end_user",
    **{str(code): "external_platform" for code in range(500, 506)},
}

# Every value `peer_type` can take: the bound on the label.
PEER_TYPES: frozenset[str] = frozenset(TYPES.values()) | {OTHER, UNKNOWN}


class DeviceId(NamedTuple):
    centre: str
    industry: str
    type_code: str
    network: str
    serial: str


def parse(user: str) -> DeviceId | None:
    """The parts of a 20-digit GB28181 ID, or None if `user` is not one."""
    if len(user) != 20 or not user.isascii() or not user.isdigit():
        return None
    return DeviceId(user[:8], user[8:10], user[10:13], user[13], user[14:])


def peer_type(user: str) -> str:
    """The bounded label value for the kind of device an ID names."""
    device = parse(user)
    if device is None:
        return UNKNOWN
    return TYPES.get(device.type_code, OTHER)
