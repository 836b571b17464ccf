"""``make bench`` (engine part): end-to-end speed of ``moodtune analyze`` on 640x480 frames.

Measures, in one run on this machine (numbers are only comparable within a run):
1. one face per frame, one thread: p50 / p99 per frame, decode excluded (RGB array in) and included
   (JPEG bytes in);
2. the peer pipeline that users of the ``fer`` package get (OpenCV Haar cascade with fer's settings
   + fer's tflite model) on the same JPEG frames, and the speed ratio;
3. cost growth: time per frame with 1, 2, 4 and 8 faces;
4. small faces (the ``auto`` detector's tiled pass): the tile of four portraits (1024x1112) and
   group frames of 8-12 faces 40-100 px wide (640x480, 1280x720, 1280x960), built from the two
   public-domain portraits and, where ../shared/data/taiwan-actors is present, from 40 of its
   actors: faces found, faces that are not faces, time per frame; and a frame without a face,
   where every pass runs;
5. throughput with 1 and 2 worker processes (one thread each), and the peak RSS of a
   ``moodtune analyze`` process reading 50 frames.

    python benchmarks/engine_bench.py [--frames 200] [--json] [--only small-faces]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests.vision.scenes

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
ACTORS = FACES.parent / "taiwan-actors"
GROUPS = ((640, 480, 8), (640, 480, 10), (1280, 720, 10), (1280, 960, 12))
W, H = 640, 480


def _photo(name: str) -> np.ndarray:
    bgr = cv2.imread(str(FACES / name))
    if bgr is None:
        raise SystemExit(f"{FACES / name} not found: the benchmark needs ../shared/data/faces")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def frames_with_faces(n_faces: int, count: int, seed: int = 0) -> list[np.ndarray]:
    """640x480 frames holding ``n_faces`` head-and-shoulders cut-outs of the two portraits on a
    grey, lightly noisy background, jittered in place and brightness."""
    rng = np.random.default_rng(seed)
    heads = [_photo("astronaut.png")[30:300, 110:340], _photo("grace_hopper.jpg")[60:420, 110:410]]
    cols = {1: 1, 2: 2, 4: 2, 8: 4}[n_faces]
    rows = n_faces // cols
    cell_w, cell_h = W // cols, H // rows
    out = []
    for _ in range(count):
        frame = np.clip(rng.normal(120, 8, (H, W, 3)), 0, 255).astype(np.uint8)
        for i in range(n_faces):
            head = heads[(i + rng.integers(2)) % 2]
            s = min(cell_w / head.shape[1], cell_h / head.shape[0]) * rng.uniform(0.75, 0.9)
            patch = cv2.resize(head, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
            ph, pw = patch.shape[:2]
            r, c = divmod(i, cols)
            y = r * cell_h + int(rng.integers(0, cell_h - ph + 1))
            x = c * cell_w + int(rng.integers(0, cell_w - pw + 1))
            frame[y : y + ph, x : x + pw] = np.clip(patch * rng.uniform(0.85, 1.1), 0, 255).astype(np.uint8)
        out.append(frame)
    return out


def jpeg(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def timed(fn: Any, items: list[Any], warmup: int = 5) -> dict[str, float]:
    for item in items[:warmup]:
        fn(item)
    times = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": statistics.median(times), "p99_ms": float(np.percentile(times, 99)), "n": len(times)}


class PeerPipeline:
    """What a ``fer`` user gets: OpenCV's Haar cascade (fer's defaults: scaleFactor 1.1,
    minNeighbors 5, minSize 50 px... see fer.FER) + fer's tflite model on each face."""

    def __init__(self) -> None:
        from peer_fer import FerPeer

        self.cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        self.model = FerPeer()

    def __call__(self, data: bytes) -> int:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        faces = self.cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(50, 50))
        for x, y, w, h in faces:
            crop = cv2.resize(gray[y : y + h, x : x + w], (48, 48))
            self.model.predict(crop[None])
        return len(faces)


def _worker(args: tuple[list[bytes], int]) -> float:
    frames, _ = args
    from moodtune.vision.engine import Analyzer

    engine = Analyzer(threads=1)
    engine.analyze(frames[0])
    t0 = time.perf_counter()
    for f in frames:
        engine.analyze(f)
    return time.perf_counter() - t0


def throughput(frames: list[bytes], processes: int) -> float:
    with mp.get_context("spawn").Pool(processes) as pool:
        t0 = time.perf_counter()
        pool.map(_worker, [(frames, i) for i in range(processes)])
        return processes * len(frames) / (time.perf_counter() - t0)


# The child measures itself, from its own memory map's high-water mark (VmHWM, which starts afresh
# at exec). getrusage's ru_maxrss, even RUSAGE_SELF, keeps the peak of the forked copy of this
# parent across exec, so it read this benchmark's own size (434 MB against the child's ~130 MB).
_RSS_PROBE = """
import resource, sys
from moodtune.cli import app
try:
    app(["analyze", sys.argv[1], "--json"])
except SystemExit:
    pass
try:
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
except OSError:  # not Linux: the rusage figure, an upper bound
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(f"\\nmaxrss_kb={kb}\\n")
"""


def analyze_process_rss(frames: list[bytes]) -> float:
    """Peak RSS (MB) of a ``moodtune analyze --json`` process reading these frames from a folder."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for i, data in enumerate(frames):
            Path(tmp, f"frame{i:03d}.jpg").write_bytes(data)
        proc = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, tmp],
            check=True,
            stdout=subprocess.DEVNULL,
            capture_output=False,
            stderr=subprocess.PIPE,
            text=True,
        )
    kb = next(line for line in proc.stderr.splitlines() if line.startswith("maxrss_kb="))
    return int(kb.split("=")[1]) / 1024


def small_faces(engine: Any, frames: int) -> dict[str, Any]:
    """Faces found and time per frame on the tile of four portraits and on group frames of small
    faces (``tests.vision.scenes``), and on a frame without a face."""
    from tests.vision.scenes import PORTRAITS, four_portraits, group_frame, heads, matched

    out: dict[str, Any] = {}
    tile = four_portraits(FACES)
    out["four_portraits_1024x1112"] = {
        **timed(engine.analyze_rgb, [tile] * max(3, frames // 4), warmup=1),
        "faces_found": len(engine.analyze_rgb(tile).faces),
        "faces": 4,
    }
    crowds = {"portraits": heads([FACES / name for name in PORTRAITS])}
    actors = sorted(ACTORS.glob("*/*.jpg"))
    if actors:
        pick = np.random.default_rng(0).choice(len(actors), 40, replace=False)
        crowds["actors"] = heads([actors[i] for i in sorted(pick)])
    for who, people in crowds.items():
        for width, height, n in GROUPS:
            scenes = [group_frame(width, height, n, people, seed=seed) for seed in range(frames)]
            found = [matched(engine.detector.detect(f), boxes) for f, boxes in scenes]
            out[f"group_{who}_{width}x{height}_{n}_faces"] = {
                **timed(engine.analyze_rgb, [f for f, _ in scenes], warmup=1),
                "faces_found": sum(hit for hit, _ in found),
                "faces": n * frames,
                "not_faces": sum(false for _, false in found),
            }
    blank = [
        np.clip(np.random.default_rng(i).normal(120, 8, (H, W, 3)), 0, 255).astype(np.uint8)
        for i in range(frames)
    ]
    out["no_face_640x480"] = {**timed(engine.analyze_rgb, blank, warmup=1), "faces_found": 0, "faces": 0}
    return out


def print_small_faces(rows: dict[str, Any]) -> None:
    for name, r in rows.items():
        false = f", {r['not_faces']} not faces" if "not_faces" in r else ""
        print(
            f"{name:40s} {r['faces_found']:3d} of {r['faces']:3d} faces found{false}; "
            f"p50 {r['p50_ms']:7.1f} ms, p99 {r['p99_ms']:7.1f} ms per frame ({r['n']} frames)"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", choices=["small-faces"], help="run one part only")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    from moodtune.vision.engine import Analyzer

    engine = Analyzer(threads=1)
    small_frames = max(3, args.frames // 20)
    if args.only == "small-faces":
        rows = small_faces(engine, small_frames)
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print_small_faces(rows)
        return
    one = frames_with_faces(1, args.frames)
    one_jpeg = [jpeg(f) for f in one]
    found = sum(len(engine.analyze_rgb(f).faces) == 1 for f in one)
    res: dict[str, Any] = {"frames": args.frames, "frames_with_the_face_found": found}
    res["moodtune_decode_excluded"] = timed(engine.analyze_rgb, one)
    res["moodtune_decode_included"] = timed(engine.analyze, one_jpeg)
    try:
        peer = PeerPipeline()
    except RuntimeError as exc:
        print(f"peer skipped: {exc}", file=sys.stderr)
    else:
        res["peer_haar_fer_decode_included"] = timed(peer, one_jpeg)
        res["peer_frames_with_a_face"] = sum(peer(f) >= 1 for f in one_jpeg)
        res["speedup_vs_peer"] = (
            res["peer_haar_fer_decode_included"]["p50_ms"] / res["moodtune_decode_included"]["p50_ms"]
        )
    growth = {}
    for n in (1, 2, 4, 8):
        frames = frames_with_faces(n, max(20, args.frames // 4), seed=n)
        counts = [len(engine.analyze_rgb(f).faces) for f in frames]
        growth[n] = {**timed(engine.analyze_rgb, frames), "mean_faces_found": float(np.mean(counts))}
    res["faces_per_frame"] = growth
    res["small_faces"] = small_faces(engine, small_frames)
    res["peak_rss_mb"] = analyze_process_rss(one_jpeg[:50])
    res["throughput_frames_per_s"] = {p: throughput(one_jpeg, p) for p in (1, 2)}
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(f"frames: {args.frames} of 640x480 with one face; face found in {found}")
    for key in ("moodtune_decode_excluded", "moodtune_decode_included", "peer_haar_fer_decode_included"):
        if key in res:
            r = res[key]
            print(f"{key:32s} p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms")
    if "speedup_vs_peer" in res:
        print(
            f"moodtune is {res['speedup_vs_peer']:.1f}x faster end to end than Haar + fer "
            f"(peer found a face in {res['peer_frames_with_a_face']} of {args.frames} frames)"
        )
    for n, r in growth.items():
        print(
            f"{n} faces per frame: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
            f"{r['mean_faces_found']:.2f} found"
        )
    print_small_faces(res["small_faces"])
    for p, fps in res["throughput_frames_per_s"].items():
        print(f"throughput, {p} process(es) x 1 thread: {fps:.0f} frames/s")
    print(f"peak RSS of a 'moodtune analyze' process over 50 frames: {res['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
