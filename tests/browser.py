"""A real headless Chromium for tests, driven over the DevTools protocol: load a page,
read the rendered DOM, click like a person, take screenshots.

Needs Debian's `chromium` (apt-get install chromium); without it the tests that use it
fail, they do not skip.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websocket

from tests.support import wait_until

FLAGS = (
    "--headless",
    "--no-sandbox",  # the suite runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


class Page:
    """One browser tab."""

    def __init__(self, socket: websocket.WebSocket) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result (events meanwhile are dropped)."""
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == number:
                assert "error" not in message, f"{method}: {message['error']}"
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def open(self, url: str, accept_language: str = "en-US,en") -> None:
        """Load `url` as a browser whose user prefers `accept_language`."""
        agent = self.send("Browser.getVersion")["userAgent"]
        self.send("Emulation.setUserAgentOverride", userAgent=agent, acceptLanguage=accept_language)
        self.send("Page.navigate", url=url)
        self.wait_loaded(url)

    def wait_loaded(self, url_part: str) -> None:
        wait_until(
            lambda: self.evaluate(
                f"document.readyState === 'complete' && location.href.includes({url_part!r})"
            ),
            what=f"{url_part} to load",
        )

    def click(self, selector: str) -> None:
        """A real mouse click at the middle of the element."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box[0],
                y=box[1],
                button="left",
                clickCount=1,
            )

    def screenshot(self, path: Path, width: int = 1280) -> None:
        """The whole page at `width` pixels wide."""
        for _ in range(2):  # the height the page takes at this width
            height = self.evaluate("document.documentElement.scrollHeight") if _ else 600
            self.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=int(height),
                deviceScaleFactor=1,
                mobile=False,
            )
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))


@contextmanager
def chromium() -> Iterator[Page]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "chromium not found (Debian: apt-get install chromium)"
    profile = Path(tempfile.mkdtemp(prefix="chromium-test-"))
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = None
    try:
        active = profile / "DevToolsActivePort"
        wait_until(
            lambda: active.exists() and len(active.read_text().split()) == 2,
            timeout=30,
            what="Chromium's DevTools port",
        )
        port = active.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        tab = next(t for t in targets if t["type"] == "page")
        socket = websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=30)
        yield Page(socket)
    finally:
        if socket is not None:
            socket.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)
