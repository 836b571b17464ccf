"""Abuse test of the web service on loopback: hostile requests while other listeners keep using it.

Each attack gets a fresh ``moodtune serve`` (default settings: one worker, the per-client rate
limit on; ``MOODTUNE_TRUST_PROXY=true`` so that every client below is told apart by its
``X-Forwarded-For``, as behind a reverse proxy), a temporary data folder and, unless
``--database-url`` is given, a temporary SQLite database. One attacker client sends the hostile
requests one after another, for a bounded time; meanwhile a probe process (its own client
identity) sends ``GET /healthz`` every 50 ms and a 640x480 JPEG frame to ``POST /api/v1/analyze``
every 300 ms, and the server's memory (VmRSS of its process and its children) is read every 50 ms.

The attacks (``--only`` takes their numbers; 0 is a baseline with no attack):

  1. a multipart form with 16,000 tiny fields to /api/v1/analyze
  2. a 10 MiB ``image`` part made of CRLFs to /api/v1/analyze
  3. a multipart nested 1,000 levels deep to /api/v1/analyze
  4. an 82 MB JSON body (a list of 6.3 million ids) to /api/v1/recommendations, streamed
  5. a 50 MB Cookie header (``k=v; `` ten million times) on /api/v1/recommendations
  6. 500 stalled uploads (500 client identities): headers of a 5 MiB /api/v1/analyze and its
     first 64 KiB, then nothing, held ``--hold`` seconds, then closed
  7. ``POST /api/v1/videos/{id}/unplayable {"code": 150}`` over the catalog's videos from one client
     (one request after another; a 429 is retried): 3 s without a cookie, 3 s with one cookie, then
     ``--duration`` (at least 10) seconds with a few cookies taken one after another (the report
     quorum's worth), each video reported from each. After each phase a listener without a cookie
     looks every song with a video up (``GET /api/v1/songs/{id}``): a song it now gets another
     video (or no video) for is a video taken away from other listeners
  8. one client alternating ``more_like`` recommendations and ``unplayable`` reports at 19 req/s
     (just under the default rate limit) for ``--hold`` seconds, sent on a clock whatever the
     answers take; answers are awaited 10 s more, then given up (``0 (timeout)``)
  9. requests whose error could echo a 1 MB value back (a 1 MB mood, count, genre, field name,
     song id or player code, and a 60 KB video id in the path), sent in turn

Figures, one row per attack:

  statuses        the hostile requests' answers, as status:count (0: no answer; for 6, how each
                  stalled connection ended while it was held: an answer, ``closed`` by the server,
                  ``reset``, or ``open``: still waiting)
  err body        the largest body of an error answer (>= 400) the attacker got
  healthz, analyze  the probe's p50/p99 latency during the attack, in ms (a failed probe counts)
  RSS peak        the server's largest resident memory during the attack (process + children)
  result          PASS when /healthz p99 <= 100 ms, analyze p99 <= 300 ms, no probe failed, RSS
                  stays under 600 MB, no error body is over 4 KB, the server is still up, and (7)
                  no video was taken away from other listeners; else FAIL and the checks missed

Only loopback traffic; every request has a client timeout (``--timeout``); a whole run takes
about three minutes on two cores. Run from the repository root:

    python benchmarks/abuse_bench.py [--only 1,4] [--duration 6] [--hold 10] [--json] [--strict]
        [--database-url postgresql://...]   # a scratch database: attack 7 writes reports to it

It exits 0 even when a check fails (the table says FAIL); ``--strict`` exits 1 then.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import resource
import select
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "data" / "faces"

HEALTHZ_P99_MS = 100.0
ANALYZE_P99_MS = 300.0
RSS_LIMIT_MB = 600.0
ERROR_BODY_LIMIT = 4096

# Client identities (X-Forwarded-For), from the documentation ranges: the probe listener, the
# attacker, the fresh listener that checks what attack 7 took away, and the stalled uploads.
PROBE_HEALTHZ = "192.0.2.10"
PROBE_ANALYZE = "192.0.2.11"
ATTACKER = "198.51.100.66"
CHECKER = "203.0.113.{}"

HEALTHZ_EVERY = 0.05
ANALYZE_EVERY = 0.3
PROBE_TIMEOUT = 10.0
CHUNK = 1 << 20
MIB = 1024 * 1024


# --- numbers ----------------------------------------------------------------------------------
def pct(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear between ranks, as numpy's default), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def size_text(n: float) -> str:
    for unit, scale in (("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


# --- the server -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def frame_jpeg() -> bytes:
    """A 640x480 webcam-like JPEG frame: a portrait scaled to fill the height (as load_bench)."""
    import cv2
    import numpy as np

    src = FACES / "astronaut.png"
    if not src.is_file():
        from moodtune.samples import sample_path

        src = Path(sample_path("astronaut"))
    img = cv2.imread(str(src))
    if img is None:
        raise SystemExit(f"could not read the probe portrait {src}")
    frame = np.full((480, 640, 3), 110, np.uint8)
    frame[:, 80:560] = cv2.resize(img, (480, 480), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise SystemExit("could not encode the probe frame")
    return bytes(buf.tobytes())


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return out


def rss_bytes(pid: int) -> int:
    """VmRSS of ``pid`` and its descendants, in bytes (0 once they are gone)."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


class Server:
    """``moodtune serve`` from this interpreter (``python -m moodtune.cli``, so ``PYTHONPATH``
    picks the sources), on a free port, with its own data folder; its log goes to a file."""

    def __init__(self, folder: Path, database_url: str | None, workers: int) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / "server.log"
        env = {
            **os.environ,
            "MOODTUNE_DATA_DIR": str(folder / "data"),
            "MOODTUNE_TRUST_PROXY": "true",
            "MOODTUNE_LOG_LEVEL": "warning",
        }
        if database_url:
            env["MOODTUNE_DATABASE_URL"] = database_url
        cmd = [sys.executable, "-m", "moodtune.cli", "serve", "--port", str(self.port)]
        cmd += ["--workers", str(workers)]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited at start (code {self.proc.returncode}): {self.tail()}")
            if request(self.port, "GET", "/healthz", timeout=2).status == 200:
                break
            time.sleep(0.25)
        else:
            self.close()
            raise RuntimeError("the server did not answer /healthz within 90 s")
        time.sleep(1.0 * workers)  # every worker up, not just the first

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(line.strip()[:200] for line in text[-lines:])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class RssSampler(threading.Thread):
    """Reads the server's RSS every 50 ms; ``peak`` is the largest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.start_bytes = rss_bytes(pid)
        self.peak = self.start_bytes
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.05):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


# --- raw HTTP/1.1 on a socket -----------------------------------------------------------------
@dataclass
class Answer:
    """What one request got: ``status`` 0 when no answer came (``error`` says what happened)."""

    status: int = 0
    body_len: int = 0
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    ms: float = 0.0
    sent_all: bool = True

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def cookie(self) -> str | None:
        """The ``name=value`` of the first Set-Cookie, as a browser would send it back."""
        value = self.header("set-cookie")
        return value.split(";", 1)[0] if value else None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def head_bytes(
    method: str, path: str, port: int, headers: dict[str, str] | None = None, length: int | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunks(data: bytes, size: int = CHUNK) -> Iterable[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield view[start : start + size]


def _errname(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, BrokenPipeError):
        return "broken pipe"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    return type(exc).__name__


def _send(sock: socket.socket, pieces: Iterable[bytes | memoryview], deadline: float) -> str | None:
    """Send ``pieces`` until done (None), or until the server answers or closes early
    ("answered early"), or sending fails (why)."""
    sock.setblocking(False)
    for piece in pieces:
        view = memoryview(piece)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            readable, writable, _ = select.select([sock], [sock], [], min(remaining, 1.0))
            if readable:
                return "answered early"
            if not writable:
                continue
            try:
                n = sock.send(view[:CHUNK])
            except BlockingIOError:
                continue
            except OSError as exc:
                return _errname(exc)
            view = view[n:]
    return None


def _read_answer(sock: socket.socket, deadline: float, keep: int = 1 << 20) -> Answer:
    """Read one response: status, headers, and the body's length (its first ``keep`` bytes kept)."""
    sock.setblocking(True)
    buf = bytearray()

    def recv() -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        return sock.recv(1 << 18)

    try:
        while b"\r\n\r\n" not in buf:
            data = recv()
            if not data:
                return Answer(error="closed without an answer" if not buf else "closed in the headers")
            buf += data
            if len(buf) > 1 << 20:
                return Answer(error="headers over 1 MB")
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        answer = Answer(status=status, headers=headers)
        length = answer.header("content-length")
        body = bytearray(rest[:keep])
        received = len(rest)
        chunked = "chunked" in (answer.header("transfer-encoding") or "").lower()
        if length is not None and length.isdigit():
            need = int(length)
            while received < need:
                data = recv()
                if not data:
                    answer.error = "closed in the body"
                    break
                received += len(data)
                if len(body) < keep:
                    body += data[: keep - len(body)]
            answer.body_len = min(received, need)
        else:  # chunked or to the close: read to the end (or the last chunk), then unframe
            raw = bytearray(rest)
            while not (chunked and raw.endswith(b"0\r\n\r\n")):
                data = recv()
                if not data:
                    break
                received += len(data)
                if len(raw) < 64 * MIB:
                    raw += data
            if chunked:
                body, answer.body_len = _unchunk(bytes(raw), keep)
            else:
                body, answer.body_len = bytearray(raw[:keep]), received
        answer.body = bytes(body)
        return answer
    except (OSError, ValueError) as exc:
        return Answer(error=_errname(exc))


def _unchunk(raw: bytes, keep: int) -> tuple[bytearray, int]:
    body, total, pos = bytearray(), 0, 0
    while pos < len(raw):
        end = raw.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(raw[pos:end].split(b";")[0] or b"0", 16)
        if size == 0:
            break
        piece = raw[end + 2 : end + 2 + size]
        total += len(piece)
        if len(body) < keep:
            body += piece[: keep - len(body)]
        pos = end + 2 + size + 2
    return body, total


def exchange(port: int, pieces: Iterable[bytes | memoryview], timeout: float) -> Answer:
    """One request on a new connection: ``pieces`` sent in order (the server may answer before
    the last one: sending stops), then the answer read; never raises for a network failure."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(min(timeout, 10.0))
        try:
            sock.connect(("127.0.0.1", port))
        except OSError as exc:
            return Answer(error=f"connect: {_errname(exc)}", ms=(time.perf_counter() - t0) * 1000)
        problem = _send(sock, pieces, deadline)
        answer = _read_answer(sock, deadline)
        answer.sent_all = problem is None
        if answer.status == 0 and problem not in (None, "answered early"):
            answer.error = f"send: {problem}; {answer.error}"
        answer.ms = (time.perf_counter() - t0) * 1000
        return answer
    finally:
        sock.close()


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    head = head_bytes(method, path, port, headers, None if body is None else len(body))
    return exchange(port, [head, body or b""], timeout)


def json_request(
    port: int, path: str, payload: Any, client: str, cookie: str | None = None, timeout: float = 30.0
) -> Answer:
    headers = {"Content-Type": "application/json", "X-Forwarded-For": client}
    if cookie:
        headers["Cookie"] = cookie
    return request(port, "POST", path, json.dumps(payload).encode(), headers, timeout)


# --- the probe listener (its own process, so the attacker never holds its interpreter) --------
def _probe_loop(
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    every: float,
    stop: EventType,
    out: list[tuple[int, float]],
) -> None:
    next_at = time.monotonic()
    while not stop.is_set():
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            status = 0
        finally:
            conn.close()
        out.append((status, (time.perf_counter() - t0) * 1000))
        next_at = max(next_at + every, time.monotonic())
        stop.wait(max(0.0, next_at - time.monotonic()))


def probe_main(port: int, frame: bytes, stop: EventType, ready: EventType, results: Any) -> None:
    """GET /healthz every 50 ms and one frame to POST /api/v1/analyze every 300 ms until ``stop``;
    then ``{"healthz": [(status, ms)], "analyze": [...]}`` onto the ``results`` queue."""
    healthz: list[tuple[int, float]] = []
    analyze: list[tuple[int, float]] = []
    loops = [
        threading.Thread(
            target=_probe_loop,
            args=(
                port,
                "GET",
                "/healthz",
                None,
                {"X-Forwarded-For": PROBE_HEALTHZ},
                HEALTHZ_EVERY,
                stop,
                healthz,
            ),
        ),
        threading.Thread(
            target=_probe_loop,
            args=(
                port,
                "POST",
                "/api/v1/analyze",
                frame,
                {"X-Forwarded-For": PROBE_ANALYZE, "Content-Type": "image/jpeg"},
                ANALYZE_EVERY,
                stop,
                analyze,
            ),
        ),
    ]
    for t in loops:
        t.start()
    while not (healthz and analyze) and not stop.is_set():
        time.sleep(0.01)
    ready.set()
    for t in loops:
        t.join()
    results.put({"healthz": healthz, "analyze": analyze})


class Probe:
    def __init__(self, port: int, frame: bytes) -> None:
        ctx = mp.get_context("spawn")
        self.stop_event = ctx.Event()
        self.ready = ctx.Event()
        self.results = ctx.Queue()
        self.proc = ctx.Process(
            target=probe_main, args=(port, frame, self.stop_event, self.ready, self.results), daemon=True
        )
        self.proc.start()
        self.ready.wait(30)

    def stop(self) -> dict[str, list[tuple[int, float]]]:
        self.stop_event.set()
        try:
            got: dict[str, list[tuple[int, float]]] = self.results.get(timeout=PROBE_TIMEOUT + 20)
        except Exception:  # the queue's Empty, or a probe process that died
            got = {"healthz": [], "analyze": []}
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
        return got


def probe_figures(samples: list[tuple[int, float]]) -> dict[str, Any]:
    ms = [m for _, m in samples]
    return {
        "requests": len(samples),
        "failed": sum(1 for s, _ in samples if s != 200),
        "statuses": dict(Counter(str(s) for s, _ in samples)),
        "p50_ms": rounded(pct(ms, 50)),
        "p99_ms": rounded(pct(ms, 99)),
        "max_ms": rounded(max(ms) if ms else None),
    }


# --- the attacks ------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What an attack sent and got."""

    sent: str
    answers: list[Answer] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    extra: dict[str, Any] = field(default_factory=dict)
    videos_taken: int | None = None
    error_body: int = 0  # the largest error body seen outside ``answers``

    def add(self, answer: Answer) -> None:
        self.answers.append(answer)
        self.statuses[str(answer.status) if answer.status else f"0 ({answer.error})"] += 1

    def largest_error_body(self) -> int:
        sizes = [a.body_len for a in self.answers if a.status >= 400]
        return max([*sizes, self.error_body])


@dataclass
class Context:
    port: int
    timeout: float
    duration: float
    hold: float
    catalog: Any = None


def hammer(
    ctx: Context,
    make: Callable[[int], list[bytes | memoryview] | Iterable[bytes | memoryview]],
    seconds: float,
) -> list[Answer]:
    """One client sending ``make(i)`` one request after another for ``seconds`` (the last one may
    run on, up to the client timeout)."""
    out: list[Answer] = []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end and i < 10_000:
        out.append(exchange(ctx.port, make(i), ctx.timeout))
        i += 1
        if out[-1].status == 0 and out[-1].error and out[-1].error.startswith("connect"):
            time.sleep(0.2)  # the server is gone or full: do not spin
    return out


def multipart_head(ctx: Context, boundary: str, length: int) -> bytes:
    return head_bytes(
        "POST",
        "/api/v1/analyze",
        ctx.port,
        {"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Forwarded-For": ATTACKER},
        length,
    )


def attack_fields(ctx: Context) -> Outcome:
    b = "f16k"
    body = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % (b.encode(), i)
        for i in range(16_000)
    ) + (f"--{b}--\r\n".encode())
    head = multipart_head(ctx, b, len(body))
    answers = hammer(ctx, lambda i: [head, body], ctx.duration)
    out = Outcome(f"16,000 form fields, {size_text(len(body))} multipart to /analyze")
    for a in answers:
        out.add(a)
    return out


def attack_crlf(ctx: Context) -> Outcome:
    b = "crlf10m"
    body = (
        f'--{b}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + b"\r\n" * (5 * MIB)
        + f"\r\n--{b}--\r\n".encode()
    )
    head = multipart_head(ctx, b, len(body))
    answers = hammer(ctx, lambda i: [head, *chunks(body)], ctx.duration)
    out = Outcome(f"10 MiB image part of CRLFs ({size_text(len(body))}) to /analyze")
    for a in answers:
        out.add(a)
    return out


def attack_nested(ctx: Context, depth: int = 1000) -> Outcome:
    inner = b"\xff\xd8\xff\xe0 not an image"
    for level in range(depth, 0, -1):
        kind = "image/jpeg" if level == depth else f"multipart/mixed; boundary=n{level + 1}"
        inner = (
            f'--n{level}\r\nContent-Disposition: form-data; name="image"\r\n'
            f"Content-Type: {kind}\r\n\r\n".encode()
            + inner
            + f"\r\n--n{level}--\r\n".encode()
        )
    head = multipart_head(ctx, "n1", len(inner))
    answers = hammer(ctx, lambda i: [head, inner], ctx.duration)
    out = Outcome(f"multipart nested {depth} levels ({size_text(len(inner))}) to /analyze")
    for a in answers:
        out.add(a)
    return out


def attack_big_json(ctx: Context) -> Outcome:
    items = (82_000_000 - 40) // 13
    body = b'{"mood": "neutral", "exclude_ids": [' + b'"0123456789",' * items + b'"x"]}'
    head = head_bytes(
        "POST",
        "/api/v1/recommendations",
        ctx.port,
        {"Content-Type": "application/json", "X-Forwarded-For": ATTACKER},
        len(body),
    )
    answers = hammer(ctx, lambda i: [head, *chunks(body)], ctx.duration)
    out = Outcome(f"{size_text(len(body))} JSON, {items / 1e6:.1f}M ids, streamed to /recommendations")
    for a in answers:
        out.add(a)
    out.extra["refused_before_the_end"] = sum(1 for a in answers if not a.sent_all)
    return out


def attack_cookie(ctx: Context) -> Outcome:
    payload = json.dumps({"mood": "neutral", "n": 5}).encode()
    start = (
        f"POST /api/v1/recommendations HTTP/1.1\r\nHost: 127.0.0.1:{ctx.port}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        f"X-Forwarded-For: {ATTACKER}\r\nCookie: "
    ).encode()
    cookie = b"k=v; " * 10_000_000
    answers = hammer(ctx, lambda i: [start, *chunks(cookie), b"\r\n\r\n", payload], ctx.duration)
    out = Outcome(f"{size_text(len(cookie))} Cookie header on /recommendations")
    for a in answers:
        out.add(a)
    out.extra["refused_before_the_end"] = sum(1 for a in answers if not a.sent_all)
    return out


def attack_stalled(ctx: Context, connections: int = 500) -> Outcome:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connections + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    first = os.urandom(64 * 1024)
    sel = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    ended: dict[int, str] = {}
    largest = 0
    replies: dict[int, bytearray] = {}
    try:
        for i in range(connections):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            try:
                sock.settimeout(5)
                sock.connect(("127.0.0.1", ctx.port))
                head = head_bytes(
                    "POST",
                    "/api/v1/analyze",
                    ctx.port,
                    {"Content-Type": "image/jpeg", "X-Forwarded-For": f"198.18.{i // 250}.{i % 250 + 1}"},
                    5 * MIB,
                )
                sock.sendall(head + first)
                sock.setblocking(False)
                sel.register(sock, selectors.EVENT_READ, i)
                replies[i] = bytearray()
            except OSError as exc:
                ended[i] = f"0 ({_errname(exc)} while opening)"
        opened = time.monotonic()
        while time.monotonic() - opened < ctx.hold:
            for key, _ in sel.select(timeout=0.2):
                i = key.data
                sock = key.fileobj  # type: ignore[assignment]
                try:
                    data = sock.recv(1 << 16)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    data, why = b"", _errname(exc)
                else:
                    why = "closed"
                if data:
                    replies[i] += data[: 1 << 16]
                    continue
                sel.unregister(sock)
                ended[i] = why
        for i, raw in replies.items():
            if not raw:
                continue
            head, _, body = bytes(raw).partition(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode() if head.count(b" ") >= 1 else "?"
            ended[i] = status if i not in ended else f"{status}, then {ended[i]}"
            if status.isdigit() and int(status) >= 400:
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                        and line.split(b":", 1)[1].strip().isdigit()
                    ),
                    len(body),
                )
                largest = max(largest, length)
    finally:
        for sock in socks:
            sock.close()
        sel.close()
    out = Outcome(
        f"{connections} stalled 5 MiB uploads ({connections} clients), 64 KiB each, held {ctx.hold:g} s"
    )
    for i in range(connections):
        out.statuses[ended.get(i, "open")] += 1
    out.error_body = largest
    return out


def catalog_videos(catalog: Any) -> list[tuple[str, str]]:
    """(song id, YouTube id) for every catalog video, in catalog order."""
    from moodtune.youtube.play import youtube_ids

    return [(song.id, video) for song in catalog for video in youtube_ids(song)]


def fresh_listener_view(ctx: Context, song_ids: Sequence[str], round_no: int) -> dict[str, str]:
    """How a listener without a cookie gets each song played now (``GET /api/v1/songs/{id}``):
    ``youtube:ID``, ``spotify``, ``search`` or ``error:STATUS``. The looker changes identity every
    30 requests so that it stays under the rate limit."""
    view: dict[str, str] = {}
    conn: http.client.HTTPConnection | None = None
    for n, song_id in enumerate(song_ids):
        client = CHECKER.format(1 + (round_no * 50 + n // 30) % 250)
        for _attempt in range(2):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", ctx.port, timeout=ctx.timeout)
                conn.request("GET", f"/api/v1/songs/{song_id}", headers={"X-Forwarded-For": client})
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status != 200:
                    view[song_id] = f"error:{resp.status}"
                else:
                    play = json.loads(raw).get("play", {})
                    kind = play.get("kind", "?")
                    view[song_id] = f"youtube:{play.get('youtube_id')}" if kind == "youtube" else kind
                break
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if conn is not None:
                    conn.close()
                conn = None
                view[song_id] = f"error:{_errname(exc)}"
    if conn is not None:
        conn.close()
    return view


def youtube_only_count(ctx: Context, client: str) -> int:
    """Distinct songs a fresh listener gets from three youtube_only lists (one per mood, 100 each)."""
    seen: set[str] = set()
    for mood in ("negative", "neutral", "positive"):
        body = {"mood": mood, "n": 100, "filters": {"youtube_only": True}}
        got = json_request(ctx.port, "/api/v1/recommendations", body, client, timeout=ctx.timeout).json()
        if isinstance(got, dict):
            seen.update(s["id"] for s in got.get("songs", []) if isinstance(s, dict) and "id" in s)
    return len(seen)


def get_cookie(ctx: Context, client: str) -> str | None:
    answer = json_request(ctx.port, "/api/v1/recommendations", {"mood": "neutral", "n": 1}, client)
    return answer.cookie()


def attack_unplayable(ctx: Context) -> Outcome:
    videos = catalog_videos(ctx.catalog)
    song_ids = list(dict.fromkeys(song for song, _ in videos))
    quorum = int(os.environ.get("MOODTUNE_VIDEO_REPORT_QUORUM", "3"))
    before = fresh_listener_view(ctx, song_ids, 0)
    yt_before = youtube_only_count(ctx, CHECKER.format(251))
    out = Outcome("")

    def report(cookies: Sequence[str | None], seconds: float) -> int:
        """Report the videos in turn, each from every cookie, pacing at the rate limit's answers."""
        end = time.monotonic() + seconds
        sent = 0
        for _song, video in videos:
            for cookie in cookies:
                while time.monotonic() < end:
                    a = json_request(
                        ctx.port,
                        f"/api/v1/videos/{video}/unplayable",
                        {"code": 150},
                        ATTACKER,
                        cookie,
                        ctx.timeout,
                    )
                    out.add(a)
                    sent += 1
                    if a.status != 429:
                        break
                    time.sleep(min(5.0, float(a.header("retry-after") or 1) / 4))
                else:
                    return sent
        return sent

    phases: list[dict[str, Any]] = []
    plan: list[tuple[str, list[str | None], float]] = [
        ("no cookie", [None], min(3.0, ctx.duration)),
        ("one cookie", [get_cookie(ctx, ATTACKER)], min(3.0, ctx.duration)),
    ]
    cookies: list[str | None] = []
    for _ in range(quorum):
        time.sleep(0.1)
        cookies.append(get_cookie(ctx, ATTACKER))
    plan.append((f"{quorum} cookies", cookies, max(ctx.duration, 10.0)))
    for n, (name, jar, seconds) in enumerate(plan, start=1):
        sent = report(jar, seconds)
        after = fresh_listener_view(ctx, song_ids, n)
        taken = sum(1 for s in song_ids if before[s].startswith("youtube:") and after.get(s) != before[s])
        phases.append({"phase": name, "reports": sent, "videos_taken": taken})
    yt_after = youtube_only_count(ctx, CHECKER.format(252))
    out.sent = f"{len(videos)} videos reported 150 by one client: " + ", ".join(
        f"{p['phase']} x{p['reports']}" for p in phases
    )
    out.videos_taken = max(p["videos_taken"] for p in phases)
    out.extra.update(
        phases=phases,
        catalog_videos=len(videos),
        songs_on_youtube_before=sum(1 for v in before.values() if v.startswith("youtube:")),
        youtube_only_songs_before=yt_before,
        youtube_only_songs_after=yt_after,
    )
    return out


def attack_more_like(ctx: Context, rate: float = 19.0, in_flight: int = 256, drain: float = 10.0) -> Outcome:
    """Requests sent on a clock (19 a second, whatever the answers take; at most ``in_flight`` at
    once), alternating ``more_like`` lists and ``unplayable`` reports, all with one cookie; the
    answers are awaited until ``drain`` seconds after the sending ends, then given up."""
    videos = catalog_videos(ctx.catalog)
    rng = random.Random(8)
    songs = [song.id for song in ctx.catalog]
    cookie = get_cookie(ctx, ATTACKER)
    out = Outcome("")
    total = int(rate * ctx.hold)
    plan: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(total):
        if i % 2 == 0:
            plan.append(("more_like", "/api/v1/recommendations", {"more_like": rng.choice(songs)}))
        else:
            song, video = rng.choice(videos)
            plan.append(("unplayable", f"/api/v1/videos/{video}/unplayable", {"code": 150, "song_id": song}))
    start = time.monotonic()
    deadline = start + ctx.hold + drain  # what is still unanswered then is given up (timeout)

    def send(path: str, body: dict[str, Any]) -> Answer:
        timeout = min(ctx.timeout, max(0.5, deadline - time.monotonic()))
        return json_request(ctx.port, path, body, ATTACKER, cookie, timeout)

    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        futures = []
        for i, (kind, path, body) in enumerate(plan):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            futures.append((kind, pool.submit(send, path, body)))
        sent_s = time.monotonic() - start
        latencies: dict[str, list[float]] = {"more_like": [], "unplayable": []}
        for kind, future in futures:
            a = future.result()
            out.add(a)
            latencies[kind].append(a.ms)
    out.sent = (
        f"more_like + unplayable alternating, {total} requests in {sent_s:.1f} s ({total / sent_s:.1f}/s)"
    )
    out.extra["attacker_ms"] = {
        k: {"p50": rounded(pct(v, 50)), "p99": rounded(pct(v, 99))} for k, v in latencies.items()
    }
    return out


def attack_echo(ctx: Context) -> Outcome:
    big = "x" * 1_000_000
    bodies: list[tuple[str, str, Any]] = [
        ("mood", "/api/v1/recommendations", {"mood": big}),
        ("n", "/api/v1/recommendations", {"mood": "neutral", "n": big}),
        ("filters.genre", "/api/v1/recommendations", {"mood": "neutral", "filters": {"genre": big}}),
        ("field name", "/api/v1/recommendations", {big: 1}),
        ("more_like", "/api/v1/recommendations", {"more_like": big}),
        ("feedback song_id", "/api/v1/feedback", {"song_id": big, "event": "like"}),
        ("unplayable code", "/api/v1/videos/dQw4w9WgXcQ/unplayable", {"code": big}),
        ("60 KB video id", f"/api/v1/videos/{big[:60_000]}/unplayable", {"code": 150}),
    ]
    encoded = [
        head_bytes(
            "POST",
            path,
            ctx.port,
            {"Content-Type": "application/json", "X-Forwarded-For": ATTACKER},
            len(data := json.dumps(payload).encode()),
        )
        + data
        for _, path, payload in bodies
    ]
    answers = hammer(ctx, lambda i: [encoded[i % len(encoded)]], ctx.duration)
    out = Outcome(f"1 MB value in {len(bodies) - 1} places and a 60 KB video id, in turn")
    per: dict[str, Answer] = {}  # per request: its largest answer other than 429
    for i, a in enumerate(answers):
        out.add(a)
        label = bodies[i % len(bodies)][0]
        seen = per.get(label)
        if a.status != 429 and (seen is None or (a.status, a.body_len) > (seen.status, seen.body_len)):
            per[label] = a
    out.extra["answer_by_request"] = {k: f"{a.status or a.error}, {a.body_len} B" for k, a in per.items()}
    return out


def baseline(ctx: Context) -> Outcome:
    time.sleep(ctx.duration)
    return Outcome("nothing (the probes alone)")


ATTACKS: dict[int, tuple[str, Callable[[Context], Outcome]]] = {
    0: ("baseline", baseline),
    1: ("16,000 form fields", attack_fields),
    2: ("10 MiB CRLF image part", attack_crlf),
    3: ("nested multipart", attack_nested),
    4: ("82 MB JSON body", attack_big_json),
    5: ("50 MB Cookie header", attack_cookie),
    6: ("500 stalled uploads", attack_stalled),
    7: ("unplayable loop", attack_unplayable),
    8: ("more_like + unplayable", attack_more_like),
    9: ("error body echo", attack_echo),
}


# --- one row ----------------------------------------------------------------------------------
def run_attack(
    number: int, args: argparse.Namespace, frame: bytes, catalog: Any, tmp: Path
) -> dict[str, Any]:
    name, attack = ATTACKS[number]
    row: dict[str, Any] = {"attack": number, "name": name}
    t0 = time.monotonic()
    try:
        server = Server(tmp / f"attack{number}", args.database_url, args.workers)
    except (RuntimeError, OSError) as exc:
        row.update(sent="", statuses={}, result="FAIL", failed=[f"server did not start: {exc}"])
        return row
    try:
        for _ in range(3):  # warm-up: the first analyses and lists of a new process are slower
            request(
                server.port,
                "POST",
                "/api/v1/analyze",
                frame,
                {"Content-Type": "image/jpeg", "X-Forwarded-For": PROBE_ANALYZE},
            )
        json_request(server.port, "/api/v1/recommendations", {"mood": "neutral"}, PROBE_ANALYZE)
        ctx = Context(server.port, args.timeout, args.duration, args.hold, catalog)
        sampler = RssSampler(server.pid)
        probe = Probe(server.port, frame)
        sampler.start()
        attack_t0 = time.monotonic()
        try:
            outcome = attack(ctx)
        except Exception as exc:  # a bench bug or a surprise must not end the run
            outcome = Outcome("(the attack stopped)")
            row["bench_error"] = f"{type(exc).__name__}: {exc}"
        attack_s = time.monotonic() - attack_t0
        probes = probe.stop()
        sampler.stop()
        alive = server.alive()
        row.update(
            sent=outcome.sent,
            statuses=dict(sorted(outcome.statuses.items(), key=lambda kv: -kv[1])),
            largest_error_body=outcome.largest_error_body(),
            healthz=probe_figures(probes["healthz"]),
            analyze=probe_figures(probes["analyze"]),
            rss_start_mb=round(sampler.start_bytes / 1e6, 1),
            rss_peak_mb=round(sampler.peak / 1e6, 1),
            server_alive=alive,
            attack_s=round(attack_s, 1),
            **outcome.extra,
        )
        if outcome.videos_taken is not None:
            row["videos_taken"] = outcome.videos_taken
        if not alive:
            row["server_exit"] = f"code {server.proc.returncode}: {server.tail()}"
    finally:
        server.close()
    row["wall_s"] = round(time.monotonic() - t0, 1)
    row["failed"] = checks(row)
    row["result"] = "FAIL" if row["failed"] else "PASS"
    return row


def checks(row: dict[str, Any]) -> list[str]:
    failed = []
    h, a = row["healthz"], row["analyze"]
    if h["p99_ms"] is None or h["p99_ms"] > HEALTHZ_P99_MS:
        failed.append(f"/healthz p99 {h['p99_ms']} ms > {HEALTHZ_P99_MS:g}")
    if a["p99_ms"] is None or a["p99_ms"] > ANALYZE_P99_MS:
        failed.append(f"analyze p99 {a['p99_ms']} ms > {ANALYZE_P99_MS:g}")
    for what, figures in (("/healthz", h), ("analyze", a)):
        if figures["failed"]:
            failed.append(
                f"{figures['failed']} of {figures['requests']} {what} probes failed {figures['statuses']}"
            )
    if row["rss_peak_mb"] >= RSS_LIMIT_MB:
        failed.append(f"RSS peak {row['rss_peak_mb']:g} MB >= {RSS_LIMIT_MB:g}")
    if row["largest_error_body"] > ERROR_BODY_LIMIT:
        failed.append(f"error body {row['largest_error_body']} B > {ERROR_BODY_LIMIT}")
    if not row["server_alive"]:
        failed.append(f"server died ({row.get('server_exit', '')})")
    if row.get("videos_taken"):
        failed.append(f"{row['videos_taken']} videos taken away from other listeners")
    if row.get("bench_error"):
        failed.append(f"bench: {row['bench_error']}")
    return failed


# --- output -----------------------------------------------------------------------------------
def statuses_text(statuses: dict[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in statuses.items()) or "-"


def p50_p99(figures: dict[str, Any] | None) -> str:
    if not figures:
        return "-"
    return f"{figures['p50_ms']}/{figures['p99_ms']}"


def print_table(report: dict[str, Any]) -> None:
    rows = report["rows"]
    cols = [
        ("#", lambda r: str(r["attack"])),
        ("attack", lambda r: r["name"]),
        ("statuses", lambda r: statuses_text(r.get("statuses", {}))),
        ("err body", lambda r: size_text(r["largest_error_body"]) if "largest_error_body" in r else "-"),
        ("healthz ms p50/p99", lambda r: p50_p99(r.get("healthz"))),
        ("analyze ms p50/p99", lambda r: p50_p99(r.get("analyze"))),
        ("RSS peak", lambda r: f"{r['rss_peak_mb']:.0f} MB" if "rss_peak_mb" in r else "-"),
        ("result", lambda r: r["result"]),
    ]
    cells = [[fn(r) for _, fn in cols] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (h, _) in enumerate(cols)]
    print(
        f"abuse test on loopback: {report['machine']}; thresholds: /healthz p99 <= {HEALTHZ_P99_MS:g} ms, "
        f"analyze p99 <= {ANALYZE_P99_MS:g} ms, RSS < {RSS_LIMIT_MB:g} MB, error body <= {ERROR_BODY_LIMIT} B"
    )
    print("  ".join(h.ljust(w) for (h, _), w in zip(cols, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    print()
    for r in rows:
        print(f"{r['attack']}. {r['name']}: {r.get('sent', '')}")
        extra = []
        if "videos_taken" in r:
            phases = ", ".join(f"{p['phase']} {p['videos_taken']}" for p in r.get("phases", []))
            extra.append(
                f"videos taken away from other listeners: {r['videos_taken']} ({phases}); youtube_only lists "
                f"for a fresh listener: {r.get('youtube_only_songs_before')} -> "
                f"{r.get('youtube_only_songs_after')} songs"
            )
        if "attacker_ms" in r:
            extra.append(
                "attacker's latency p50/p99: "
                + ", ".join(f"{k} {v['p50']}/{v['p99']} ms" for k, v in r["attacker_ms"].items())
            )
        if r.get("answer_by_request"):
            extra.append(
                "answers (status, body): " + "; ".join(f"{k}: {v}" for k, v in r["answer_by_request"].items())
            )
        if "refused_before_the_end" in r:
            extra.append(f"answered before the whole request was sent: {r['refused_before_the_end']}")
        if "rss_start_mb" in r:
            extra.append(
                f"RSS {r['rss_start_mb']:.0f} -> peak {r['rss_peak_mb']:.0f} MB; attack {r['attack_s']} s"
            )
        for line in extra:
            print(f"     {line}")
        for problem in r["failed"]:
            print(f"     FAIL: {problem}")
    print(f"\ntotal {report['total_s']:.0f} s; {report['failed']} of {len(rows)} rows FAIL")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="attack numbers to run, comma-separated (default: 0-9; 0 = baseline)")
    ap.add_argument("--duration", type=float, default=6.0, help="seconds an attacker sends (0-5, 7, 9)")
    ap.add_argument("--hold", type=float, default=10.0, help="seconds stalled uploads are held (6), and of 8")
    ap.add_argument("--timeout", type=float, default=30.0, help="client timeout of every request, seconds")
    ap.add_argument("--workers", type=int, default=1, help="server processes (shipped default: 1)")
    ap.add_argument("--database-url", help="a scratch database (default: temporary SQLite)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--strict", action="store_true", help="exit 1 when any row fails")
    args = ap.parse_args()
    try:
        numbers = sorted(ATTACKS) if not args.only else [int(x) for x in args.only.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"--only takes attack numbers such as 1,4, not {args.only!r}") from None
    unknown = [n for n in numbers if n not in ATTACKS]
    if unknown:
        raise SystemExit(f"unknown attack numbers {unknown}; choose from {sorted(ATTACKS)}")
    t0 = time.monotonic()
    frame = frame_jpeg()
    catalog = None
    if any(n in (7, 8) for n in numbers):
        from moodtune.music.catalog import CATALOG_PATH, Catalog

        catalog = Catalog.load(os.environ.get("MOODTUNE_CATALOG") or CATALOG_PATH)
    tmp = Path(tempfile.mkdtemp(prefix="moodtune-abuse-"))
    rows = []
    try:
        for n in numbers:
            print(f"attack {n}: {ATTACKS[n][0]} ...", file=sys.stderr, flush=True)
            try:
                row = run_attack(n, args, frame, catalog, tmp)
            except Exception as exc:  # reported as a row, never the end of the run
                problem = f"bench: {type(exc).__name__}: {exc}"
                row = {"attack": n, "name": ATTACKS[n][0], "result": "FAIL", "failed": [problem]}
            print(f"attack {n}: {row['result']} ({row.get('wall_s', '?')} s)", file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "machine": f"{os.cpu_count()} CPU cores, shared by the server, the attacker and the probes",
        "thresholds": {
            "healthz_p99_ms": HEALTHZ_P99_MS,
            "analyze_p99_ms": ANALYZE_P99_MS,
            "rss_mb_below": RSS_LIMIT_MB,
            "error_body_bytes": ERROR_BODY_LIMIT,
            "videos_taken": 0,
        },
        "frame_bytes": len(frame),
        "rows": rows,
        "failed": sum(1 for r in rows if r["result"] == "FAIL"),
        "total_s": round(time.monotonic() - t0, 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    if args.strict and report["failed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
