"""Basic auth: an unknown user costs what a known one does, so the time of an answer
does not tell which user names exist."""

from __future__ import annotations

import base64
import statistics
import time

import bcrypt
import pytest

from exporter.serve import basic_auth
from exporter.serve.basic_auth import BasicAuth


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def cost_of(hashed: bytes) -> int:
    return int(hashed.split(b"$")[2])


def test_an_unknown_user_is_checked_against_a_hash_of_the_configured_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = {"alice": bcrypt.hashpw(b"right", bcrypt.gensalt(12)).decode()}
    checked: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        checked.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    assert not BasicAuth().check(users, header("mallory", "right"))
    assert [cost_of(hashed) for hashed in checked] == [12]
    assert checked[0] != users["alice"].encode()


@pytest.mark.system  # slow: bcrypt at cost 12, many times
def test_an_unknown_user_takes_as_long_as_a_wrong_password() -> None:
    users = {"alice": bcrypt.hashpw(b"right", bcrypt.gensalt(12)).decode()}
    auth = BasicAuth()
    auth.check(users, header("warm-up", "x"))  # the decoy is made once, on first need

    def timed(user: str, n: int) -> float:
        start = time.perf_counter()
        assert not auth.check(users, header(user, f"wrong {n}"))  # new each time: no cache
        return time.perf_counter() - start

    unknown = statistics.median(timed("mallory", n) for n in range(3))
    wrong = statistics.median(timed("alice", n) for n in range(3))
    assert 0.5 < unknown / wrong < 2.0, (unknown, wrong)


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic \xff",
        "Basic %%%",
        "Basic",
        "Bearer x",
        "",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:pw").decode(),
    ],
)
def test_a_malformed_header_is_no_credentials(authorization: str) -> None:
    assert basic_auth.parse_credentials(authorization) is None
