"""The container health check: is the exporter answering HTTP on its port?

`python -m exporter.probe [URL]` exits 0 when the exporter answers at URL (default
http://127.0.0.1:9756/-/healthy) with any HTTP status, and 1 when nothing answers in time.
Any status counts because a web config may ask for credentials (401) or TLS (400 to plain
HTTP), and an exporter that says so is alive; the probe has no credentials to hold. An
https URL is tried without verifying the certificate: the probe only asks whether the
server on this machine answers, and sends nothing secret.
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

DEFAULT_URL = "http://127.0.0.1:9756/-/healthy"
TIMEOUT = 5.0


def alive(url: str, timeout: float = TIMEOUT) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context):
            return True
    except urllib.error.HTTPError:
        return True  # an answer, if not a welcome one
    except (OSError, ValueError):
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    url = args[0] if args else DEFAULT_URL
    if alive(url):
        return 0
    print(f"sip-log-exporter probe: nothing answers at {url}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
