"""GB/T 28181 IDs name the kind of device, in a bounded set of label values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from exporter.count.gb28181 import OTHER, PEER_TYPES, UNKNOWN, DeviceId, parse, peer_type


def test_an_id_splits_into_centre_industry_type_network_and_serial() -> None:
    assert parse("34020000001320000001") == DeviceId("34020000", "00", "132", "0", "000001")


def test_type_codes_name_the_kind_of_device() -> None:
    assert peer_type("34020000001320000001") == "ipc"
    assert peer_type("34020000001310000006") == "camera"
    assert peer_type("34020000001180000001") == "nvr"
    assert peer_type("34020000001110000001") == "dvr"
    assert peer_type("34020000002000000001") == "sip_server"
    assert peer_type("37010100002150000001") == "business_group"
    assert peer_type("37010100002160000001") == "virtual_organisation"
    assert peer_type("37010100005030000001") == "external_platform"


def test_an_id_with_a_type_not_in_the_standard_is_other() -> None:
    assert peer_type("34020000009990000001") == OTHER


def test_anything_that_is_not_a_20_digit_id_is_unknown() -> None:
    for user in (
        "",
        "1181207755",
        "+3397847XXXX",
        "3402000000132000000１",
        "a" * 20,
        "340200000013200000012",
    ):
        assert peer_type(user) == UNKNOWN, user


@given(st.text(max_size=25))
def test_any_text_gives_one_of_the_bounded_values(user: str) -> None:
    assert peer_type(user) in PEER_TYPES
