"""Basic auth against the web config's bcrypt hashes.

Owns reading the `Authorization` header, the bcrypt check and a bounded cache of its
results (bcrypt is slow on purpose, and Prometheus sends the same credentials every
scrape). A header that is malformed in any way (not base64, not ASCII, not UTF-8, no
colon) is no credentials: the request gets 401, never an error. An unknown user is checked
against a decoy hash of the same cost as the configured users' hashes, so that how long
an answer takes does not tell which user names exist. One check runs at a time.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping

import bcrypt

_CACHE_SIZE = 256


class BasicAuth:
    """Checks credentials; thread-safe, with its cache and decoys."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bcrypt_lock = threading.Lock()
        self._cache: OrderedDict[bytes, bool] = OrderedDict()
        self._decoys: dict[int, bytes] = {}  # bcrypt cost -> a hash of a random password

    def check(self, users: Mapping[str, str], authorization: str | None) -> bool:
        """Whether `authorization` names one of `users` with its password."""
        credentials = parse_credentials(authorization)
        if credentials is None:
            return False
        user, password = credentials
        hashed = users.get(user)
        expected = hashed.encode() if hashed is not None else self._decoy(cost(users))
        key = hashlib.sha256(b"\0".join((user.encode(), expected, password))).digest()
        with self._lock:
            known = self._cache.get(key)
            if known is not None:
                self._cache.move_to_end(key)
                return known
        with self._bcrypt_lock:  # one check at a time: bcrypt is meant to be costly
            known = _bcrypt_matches(password, expected) and hashed is not None
        with self._lock:
            self._cache[key] = known
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return known

    def _decoy(self, rounds: int) -> bytes:
        with self._lock:
            decoy = self._decoys.get(rounds)
        if decoy is None:
            decoy = bcrypt.hashpw(os.urandom(16), bcrypt.gensalt(rounds))
            with self._lock:
                self._decoys[rounds] = decoy
        return decoy


def cost(users: Mapping[str, str]) -> int:
    """The bcrypt cost of the users' hashes (`$2y$12$…`: 12); the highest if they differ,
    so that an unknown user never answers faster than every known one."""
    return max((int(hashed.split("$")[2]) for hashed in users.values()), default=10)


def parse_credentials(authorization: str | None) -> tuple[str, bytes] | None:
    """(user, password) of a basic-auth header, or None if it is not one."""
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
        user, sep, password = decoded.partition(b":")
        return (user.decode("utf-8"), password) if sep else None
    except ValueError:  # not base64, not ASCII, or a user name that is not UTF-8
        return None


def _bcrypt_matches(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # longer than bcrypt's 72 bytes, or a malformed hash
        return False
