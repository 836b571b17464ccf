"""`make image-test`: start the container image's server and check it from outside, in one line.

Runs ``moodtune serve`` inside the image with ``buildah run --isolation chroot`` (no container
runtime needed; the chroot shares this machine's network, so the server listens on 127.0.0.1 of
a free port), then from outside: ``/healthz`` answers, a photo of a smiling face reads positive,
a recommendation comes back; and the image's size, on disk and compressed as a registry stores it
(gzip, what a pull downloads), against the limit. Prints one line with the figures; exits 1 when a
check fails. Without buildah it says so and exits 0 (CI may run without it).

    python scripts/image_test.py [--image moodtune:0.1.0] [--limit-mb 450]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "src" / "moodtune" / "samples" / "astronaut.png"


def buildah(*args: str, check: bool = True) -> str:
    done = subprocess.run(["buildah", *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"image-test: buildah {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(
    url: str, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, dict, float]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type} if body else {})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read())
        return response.status, payload, (time.perf_counter() - started) * 1000


def sizes(image: str) -> tuple[float, float]:
    """(on disk, compressed) in MB: buildah's own size, and the gzip layers a registry would hold."""
    number, unit = json.loads(buildah("images", "--json", image))[0]["size"].split()  # "781 MB"
    on_disk = float(number) * {"B": 1e-6, "kB": 1e-3, "MB": 1.0, "GB": 1e3}[unit]
    with tempfile.TemporaryDirectory(prefix="moodtune-image-") as out:
        buildah("push", "-q", "--compression-format", "gzip", image, f"oci:{out}")
        compressed = sum(p.stat().st_size for p in Path(out, "blobs").rglob("*") if p.is_file()) / 1e6
    return on_disk, compressed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", default="moodtune:0.1.0")
    parser.add_argument("--limit-mb", type=float, default=450.0)
    args = parser.parse_args()
    if shutil.which("buildah") is None:
        print(
            "image-test: skipped: buildah is not installed (make image installs it: apt-get install buildah)"
        )
        return 0
    if not buildah("images", "-q", args.image, check=False):
        raise SystemExit(f"image-test: no image {args.image}: build it first with `make image`")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    container = buildah("from", "-q", args.image)
    serve = ["moodtune", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read after the server ends, closed at exit
    server = subprocess.Popen(
        ["buildah", "run", "--isolation", "chroot", container, "--", *serve],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    problems: list[str] = []
    figures: list[str] = []
    try:
        started = time.monotonic()
        health: dict = {}
        while time.monotonic() - started < 180:
            try:
                _, health, _ = call(f"{base}/healthz")
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        if health.get("status") != "ok":
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"image-test: the server in {args.image} did not answer /healthz:\n{tail}")
        figures.append(f"started in {time.monotonic() - started:.1f} s")
        figures.append(f"/healthz ok (moodtune {health['version']}, model {health['model']})")

        _, analysis, took = call(f"{base}/api/v1/analyze?assume_face=true", PHOTO.read_bytes(), "image/png")
        mood = analysis["faces"][0]["mood"] if analysis.get("faces") else None
        figures.append(f"analyze {'ok' if mood == 'positive' else 'FAILED'} ({mood}, {took:.0f} ms)")
        if mood != "positive":
            problems.append(f"the smiling sample read {mood!r}")

        plan = json.dumps({"mood": "negative", "strategy": "lift", "n": 10}).encode()
        _, playlist, took = call(f"{base}/api/v1/recommendations", plan)
        songs = len(playlist.get("songs", []))
        figures.append(f"recommend {'ok' if songs == 10 else 'FAILED'} ({songs} songs, {took:.0f} ms)")
        if songs != 10:
            problems.append(f"the recommendation had {songs} songs, not 10")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        buildah("rm", container, check=False)

    on_disk, compressed = sizes(args.image)
    within = compressed <= args.limit_mb
    figures.insert(
        0,
        f"{args.image} {compressed:.0f} MB compressed ({'<=' if within else '>'} {args.limit_mb:.0f} MB), "
        f"{on_disk:.0f} MB on disk",
    )
    if not within:
        problems.append(f"the image is {compressed:.0f} MB compressed, over {args.limit_mb:.0f} MB")
    print("image-test: " + " | ".join(figures) + (" | FAILED: " + "; ".join(problems) if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
