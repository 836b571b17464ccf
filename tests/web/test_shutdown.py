"""SIGTERM, as an orchestrator sends it before replacing a replica: `moodtune serve` stops taking new
connections, finishes the requests in flight, and every write it acknowledged is in the database."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from moodtune.store import Store
from moodtune.web.listener import COOKIE

pytestmark = pytest.mark.slow

WRITERS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Writer:
    """One listener on one keep-alive connection, liking songs in a loop until the server goes."""

    port: int
    songs: list[str]
    acknowledged: list[tuple[str, float]] = field(default_factory=list)
    cookie: str | None = None
    ended_by: str = ""

    def run(self, stop: threading.Event) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        i = 0
        try:
            while not stop.is_set():
                song = self.songs[i % len(self.songs)]
                headers = {"Content-Type": "application/json"}
                if self.cookie:
                    headers["Cookie"] = f"{COOKIE}={self.cookie}"
                connection.request(
                    "POST", "/api/v1/feedback", json.dumps({"song_id": song, "event": "like"}), headers
                )
                response = connection.getresponse()
                body = response.read()
                if response.status != 201:
                    self.ended_by = f"{response.status} {body[:200]!r}"
                    return
                for header in response.headers.get_all("set-cookie") or []:
                    if header.startswith(COOKIE + "="):
                        self.cookie = header.split(";")[0].split("=", 1)[1]
                self.acknowledged.append((song, json.loads(body)["at"]))
                i += 1
                if response.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        except OSError as e:  # the server closed the connection or refuses new ones: it is going
            self.ended_by = type(e).__name__
        finally:
            connection.close()


def test_sigterm_finishes_requests_in_flight_and_loses_no_acknowledged_write(
    database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "MOODTUNE_DATA_DIR": str(tmp_path),
        "MOODTUNE_DATABASE_URL": database_url,
        "MOODTUNE_ANALYZE_THREADS": "1",
        "MOODTUNE_RATE_LIMIT": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "moodtune", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        songs = _wait_for_songs(server, port)
        writers = [Writer(port, songs[i::WRITERS]) for i in range(WRITERS)]
        stop = threading.Event()
        threads = [threading.Thread(target=w.run, args=(stop,)) for w in writers]
        for t in threads:
            t.start()
        while sum(len(w.acknowledged) for w in writers) < 40:
            time.sleep(0.01)

        # A request in flight when the signal comes: its headers and half its body are sent.
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        body = json.dumps({"song_id": songs[0], "event": "skip"}).encode()
        slow.sendall(
            b"POST /api/v1/feedback HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nCookie: {COOKIE}={writers[0].cookie}\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)  # the server has read the headers: the request is in flight
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        slow.sendall(body[10:])
        answer = _read_response(slow)
        slow.settimeout(10)
        try:
            closed = slow.recv(1) == b""  # the server closes the connection after the answer
        except OSError:
            closed = True
        slow.close()

        for t in threads:
            t.join(timeout=30)
        stop.set()
        out, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()

    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]  # finished, though the signal came first
    # and told the client to go elsewhere next: h11 closes the connection after the answer
    assert closed or b"connection: close" in answer.lower()
    assert all(w.ended_by for w in writers), [w.ended_by for w in writers]  # the server did stop them
    assert "Application shutdown complete" in out, out

    with Store(database_url) as store:
        for w in writers:
            assert w.cookie is not None
            listener = _listener_id(w.cookie)
            stored = {(e.song_id, round(e.at, 6)) for e in store.feedback(listener)}
            lost = [(song, at) for song, at in w.acknowledged if (song, round(at, 6)) not in stored]
            assert w.acknowledged and not lost, f"acknowledged but not stored: {lost}"
        skipped = [e for e in store.feedback(_listener_id(writers[0].cookie or "")) if e.event == "skip"]
        assert len(skipped) == 1  # the request in flight was stored too


def _listener_id(cookie: str) -> str:
    return cookie.split(".", 1)[0]  # itsdangerous: value.signature


def _wait_for_songs(server: subprocess.Popen[str], port: int) -> list[str]:
    deadline = time.monotonic() + 90
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/songs?query=love&limit=40")
            response = connection.getresponse()
            found = json.loads(response.read())
            connection.close()
            return [song["id"] for song in found["songs"]]
        except OSError:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "moodtune serve did not answer within 90 s"
            time.sleep(0.3)


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest
