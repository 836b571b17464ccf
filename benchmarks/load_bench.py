"""Load test of the web service on loopback: analyze (640x480 JPEG frames) and recommend.

Starts ``moodtune serve --workers N`` (per-client rate limit off for the run, one analysis thread
per worker), drives it with ``wrk`` (Debian package; C, so the generator takes little of the CPU
it shares with the server: on a 2-core machine both run on the same 2 cores), and reports
requests/s, p50/p99 latency and errors. Then, past saturation (a short analysis queue, many
connections), it shows the bounded queue answering 503 quickly: a probe client measures what a
refused request waits.

    python benchmarks/load_bench.py [--workers 2] [--duration 20] [--connections 8] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "data" / "faces"
LUA = Path(__file__).parent / "load" / "post_file.lua"


def frame_jpeg(path: Path) -> Path:
    """A 640x480 webcam-like frame: a portrait scaled to fill the height (face near the camera)."""
    src = FACES / "astronaut.png"
    if not src.is_file():
        from moodtune.samples import sample_path

        src = Path(sample_path("astronaut"))
    img = cv2.imread(str(src))
    frame = np.full((480, 640, 3), 110, np.uint8)
    frame[:, 80:560] = cv2.resize(img, (480, 480), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    path.write_bytes(buf.tobytes())
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, workers: int, queue: int, data: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "MOODTUNE_DATA_DIR": str(data),
            "MOODTUNE_RATE_LIMIT": "0",
            "MOODTUNE_ANALYZE_THREADS": "1",
            "MOODTUNE_ANALYZE_QUEUE": str(queue),
            "MOODTUNE_LOG_LEVEL": "warning",
        }
        exe = Path(sys.executable).parent / "moodtune"
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("server did not answer /healthz within 90 s")
        time.sleep(2.0 * workers)  # every worker up, not just the first

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def parse_wrk(out: str) -> dict[str, Any]:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    res: dict[str, Any] = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = round(ms(m.group(1)), 2) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    res["errors"] = res["non_2xx"] + res["socket_errors"]
    return res


def wrk(
    url: str, body: Path, content_type: str, connections: int, duration: int, threads: int = 1
) -> dict[str, Any]:
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
        "-s", str(LUA), url,
    ]  # fmt: skip
    env = {**os.environ, "BODY_FILE": str(body), "BODY_TYPE": content_type}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def probe(url: str, body: bytes, seconds: float, results: list[tuple[int, float]]) -> None:
    """One client sending frames one after another while wrk floods the server."""
    end = time.time() + seconds
    while time.time() < end:
        req = urllib.request.Request(url, data=body, headers={"content-type": "image/jpeg"})
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError:
            status = 0
        results.append((status, (time.perf_counter() - t) * 1000))
        time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    ap.add_argument("--connections", type=int, default=8, help="concurrent connections for the measured runs")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk (make bench installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="moodtune-load-"))
    frame = frame_jpeg(tmp / "frame.jpg")
    rec_body = tmp / "recommend.json"
    rec_body.write_text(json.dumps({"mood": "negative", "strategy": "lift", "n": 20}))
    report: dict[str, Any] = {
        "machine": f"{os.cpu_count()} CPU cores, shared by the server and the load generator (wrk)",
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "frame": f"640x480 JPEG, {frame.stat().st_size} bytes",
    }
    server = Server(args.workers, queue=16, data=tmp / "data")
    try:
        for name, path in (
            ("analyze_camera", "/api/v1/analyze?source=camera"),
            ("analyze_photo", "/api/v1/analyze"),
        ):
            wrk(server.url + path, frame, "image/jpeg", args.connections, 3)  # warm-up
            report[name] = wrk(server.url + path, frame, "image/jpeg", args.connections, args.duration)
        wrk(server.url + "/api/v1/recommendations", rec_body, "application/json", args.connections, 3)
        report["recommend"] = wrk(
            server.url + "/api/v1/recommendations",
            rec_body,
            "application/json",
            args.connections,
            args.duration,
        )
    finally:
        server.close()
    # Past saturation: a short queue and 20x the connections; a probe measures refusals.
    server = Server(args.workers, queue=2, data=tmp / "data2")
    try:
        url = server.url + "/api/v1/analyze?source=camera"
        seen: list[tuple[int, float]] = []
        t = threading.Thread(target=probe, args=(url, frame.read_bytes(), args.duration - 2, seen))
        t.start()
        flood = wrk(url, frame, "image/jpeg", 20 * args.connections, args.duration)
        t.join()
        refused = [ms for status, ms in seen if status == 503]
        served = [ms for status, ms in seen if status == 200]
        report["saturation"] = {
            "connections": 20 * args.connections,
            "analysis_queue": 2,
            "wrk": flood,
            "probe": {
                "requests": len(seen),
                "served_200": len(served),
                "refused_503": len(refused),
                "other": len(seen) - len(served) - len(refused),
                "p50_ms_503": round(float(np.percentile(refused, 50)), 2) if refused else None,
                "p99_ms_503": round(float(np.percentile(refused, 99)), 2) if refused else None,
                "p50_ms_200": round(float(np.percentile(served, 50)), 2) if served else None,
            },
        }
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"load test on loopback: {report['machine']}; {args.workers} workers, {args.connections} connections"
    )
    for name in ("analyze_camera", "analyze_photo", "recommend"):
        r = report[name]
        print(
            f"  {name:15s} {r['requests_per_s']:7.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
            f"errors {r['errors']} of {r['requests']}"
        )
    s = report["saturation"]
    print(
        f"  saturation ({s['connections']} connections, queue {s['analysis_queue']}): "
        f"{s['wrk']['requests_per_s']:.1f} req/s, {s['wrk']['non_2xx']} answered 503, "
        f"socket errors {s['wrk']['socket_errors']}; probe: 503 in p50 {s['probe']['p50_ms_503']} ms / "
        f"p99 {s['probe']['p99_ms_503']} ms, 200 in p50 {s['probe']['p50_ms_200']} ms"
    )


if __name__ == "__main__":
    main()
