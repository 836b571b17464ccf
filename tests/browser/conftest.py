"""The page in a real browser: the service on a free local port, Debian's headless Chromium driven
by Playwright, a fake camera that shows a photograph, and both players (YouTube's and Spotify's)
replaced by stand-ins.

* One service (uvicorn in a thread, a temp SQLite database, no rate limit) and one browser per
  session; each test gets a fresh context (its own cookie, so its own listener) and page.
* The camera: ``../shared/data/faces/astronaut.png`` turned into a one-frame y4m by ffmpeg;
  Chromium loops it (see ../shared/data/faces/SOURCE.md).
* Nothing leaves the machine: every request to another host is aborted and recorded, except the
  players' scripts: the YouTube IFrame API, answered with ``fake_youtube_iframe_api.js``, and
  Spotify's iFrame API, answered with ``fake_spotify_iframe_api.js``. ``Visit.external`` lists what
  the page asked for; a test fails at teardown if it asked for a host outside ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
FACES = ROOT.parent / "shared" / "data" / "faces"
ASTRONAUT = FACES / "astronaut.png"
GRACE_HOPPER = FACES / "grace_hopper.jpg"
SCREENSHOTS = ROOT / "docs" / "img"
FAKE_YOUTUBE = Path(__file__).with_name("fake_youtube_iframe_api.js")
FAKE_SPOTIFY = Path(__file__).with_name("fake_spotify_iframe_api.js")
CHROMIUM = Path("/usr/bin/chromium")
YT_API = "https://www.youtube.com/iframe_api"
SPOTIFY_API = "https://open.spotify.com/embed/iframe-api/v1"
# The page may ask for its own origin and the players, nothing else (fonts, CDNs, analytics...).
ALLOWED_HOSTS = {
    "www.youtube.com",
    "www.youtube-nocookie.com",
    "s.ytimg.com",
    "i.ytimg.com",
    "open.spotify.com",
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


def _need(condition: bool, reason: str) -> None:
    """Skip where the browser tools are absent, except under CI=true, where that is a failure."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_tools() -> None:
    _need(CHROMIUM.is_file(), f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium")
    _need(shutil.which("ffmpeg") is not None, "ffmpeg is not installed: apt-get install ffmpeg")
    _need(ASTRONAUT.is_file() and GRACE_HOPPER.is_file(), f"the test photographs are missing from {FACES}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _need(False, "the Python package playwright is not installed (pip install -e .[dev])")


@pytest.fixture(scope="session")
def fake_camera(browser_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The astronaut as a one-frame y4m, padded (not squashed) to 480x480."""
    out = tmp_path_factory.mktemp("camera") / "face.y4m"
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y", "-i", str(ASTRONAUT), "-frames:v", "1",
            "-pix_fmt", "yuv420p",
            "-vf", "scale=480:480:force_original_aspect_ratio=decrease,pad=480:480:(ow-iw)/2:(oh-ih)/2",
            str(out),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return out


@dataclass
class Service:
    url: str
    app: Any

    @property
    def services(self) -> Any:
        return self.app.state.services

    def unplayable(self) -> set[str]:
        return set(self.services.unplayable(fresh=True))


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def service(browser_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The real app on uvicorn in a background thread, on a port the OS picked."""
    import uvicorn

    from moodtune.settings import Settings
    from moodtune.web.app import create_app

    data = tmp_path_factory.mktemp("service")
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'moodtune.db'}",
        secret_key="browser-tests",
        rate_limit=0,
        analyze_threads=1,
        # one report marks a video for everyone, so a test sees what the page's report leads to
        video_report_quorum=1,
        log_level="warning",
    )
    app = create_app(settings)
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the moodtune service did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield Service(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def browser(fake_camera: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            env=env,
            args=[
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={fake_camera}",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@dataclass
class Visit:
    """One browser context and page on the service, with what it asked of other hosts."""

    service: Service
    context: Any
    page: Any
    external: list[str] = field(default_factory=list)
    # (monotonic time, method, path?query, body bytes or None) of every request to the API
    api_calls: list[tuple[float, str, str, bytes | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/") -> Any:
        self.page.goto(self.service.url + path)
        self.page.wait_for_selector("body[data-ready=true]")
        return self.page

    def calls(self, method: str, path_part: str) -> list[tuple[float, str, str, bytes | None]]:
        return [c for c in self.api_calls if c[1] == method and path_part in c[2]]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """A call to the API from inside the page: the listener's own cookie goes with it."""
        return self.page.evaluate(
            """async ([method, path, body]) => {
                const init = {method, headers: {"Content-Type": "application/json"}};
                if (body !== null) init.body = JSON.stringify(body);
                const r = await fetch(path, init);
                return {status: r.status, body: r.status === 204 ? null : await r.json()};
            }""",
            [method, path, body],
        )


@pytest.fixture
def visit(browser: Any, service: Service) -> Iterator[Callable[..., Visit]]:
    """``visit(players="fake"|"offline", **context_options)``: a fresh context and page; "offline":
    neither player's script loads."""
    made: list[Visit] = []
    fakes = {YT_API: FAKE_YOUTUBE, SPOTIFY_API: FAKE_SPOTIFY}

    def make(players: str = "fake", **options: Any) -> Visit:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        page = context.new_page()
        v = Visit(service, context, page)
        origin = service.url

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(origin + "/"):
                r.continue_()
                return
            if url in fakes and players == "fake":
                r.fulfill(status=200, content_type="text/javascript", body=fakes[url].read_text())
                return
            v.external.append(url)
            r.abort()

        context.route("**/*", route)

        def on_request(request: Any) -> None:
            parts = urlsplit(request.url)
            if request.url.startswith(origin + "/api/"):
                body = request.post_data_buffer if request.method in ("POST", "PUT", "PATCH") else None
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                v.api_calls.append((time.monotonic(), request.method, path, body))

        page.on("request", on_request)
        page.on("pageerror", lambda exc: v.errors.append(str(exc)))

        def on_console(message: Any) -> None:
            # A failed request is logged by the browser itself (the tests abort some on purpose);
            # anything else, such as a Content-Security-Policy refusal, is the page's fault.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                v.errors.append(message.text)

        page.on("console", on_console)
        made.append(v)
        return v

    yield make
    for v in made:
        v.context.close()
    for v in made:
        hosts = {urlsplit(u).hostname for u in v.external}
        assert hosts <= ALLOWED_HOSTS, f"the page asked for other hosts: {sorted(hosts - ALLOWED_HOSTS)}"
        assert not v.errors, f"errors in the page: {v.errors}"


def json_body(call: tuple[float, str, str, bytes | None]) -> Any:
    assert call[3] is not None, f"{call[1]} {call[2]} had no body"
    return json.loads(call[3])
