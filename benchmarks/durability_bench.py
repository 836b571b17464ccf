"""No acknowledged write lost when PostgreSQL stops and starts again under load.

Starts a PostgreSQL cluster of its own (Debian's server binaries, a temporary folder, a free port,
the server's default durability: ``synchronous_commit = on``) and ``moodtune serve`` on it, then
has ``--clients`` listeners record likes as fast as the service takes them for ``--seconds``. In
the middle of each run the database is stopped for ``--down`` seconds and started again: once with
a clean shutdown (``pg_ctl stop -m fast``) and once as a crash (``-m immediate``). At the end every
feedback event the service acknowledged (201) is looked up in the database by its song and time.

One row per run: events acknowledged, requests refused while the database was down (503, the
client may retry) or failed otherwise, acknowledged events missing from the database (the figure
that must be 0), and how long after the restart the service stored again without being restarted.

    python benchmarks/durability_bench.py [--clients 20] [--seconds 12] [--down 3] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from moodtune.music.catalog import Catalog


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise SystemExit(
            "PostgreSQL's server binaries are not installed (Debian: apt-get install postgresql)"
        )
    return found[-1].parent


class PrivatePostgres:
    """A throwaway cluster in a temporary folder; run by the ``postgres`` user when we are root."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="moodtune-durability-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # initdb refuses root
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.dir.chmod(0o700)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd="/")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-o", options, "start")

    def stop(self, mode: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("fast")
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    def __init__(self, database_url: str, data: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "MOODTUNE_DATA_DIR": str(data),
            "MOODTUNE_DATABASE_URL": database_url,
            "MOODTUNE_RATE_LIMIT": "0",
            "MOODTUNE_ANALYZE_THREADS": "1",
            "MOODTUNE_LOG_LEVEL": "critical",
        }
        exe = Path(sys.executable).parent / "moodtune"
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("the server exited at start")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit("the server did not answer /healthz within 90 s")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@dataclass
class Run:
    stop: str
    acknowledged: int = 0
    refused_503: int = 0
    failed_other: int = 0
    lost: int = 0
    stored_again_after_s: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)


def client_loop(
    url: str,
    songs: list[str],
    until: float,
    acks: list[tuple[str, float]],
    statuses: Counter[str],
    lock: threading.Lock,
) -> list[float]:
    """Likes as fast as the service takes them; the times of acknowledged ones."""
    stored_at: list[float] = []
    with httpx.Client(base_url=url, timeout=10) as client:
        client.get("/api/v1/me")  # the listener cookie
        i = 0
        while time.monotonic() < until:
            song = songs[i % len(songs)]
            i += 1
            try:
                r = client.post("/api/v1/feedback", json={"song_id": song, "event": "like"})
                status = str(r.status_code)
            except httpx.HTTPError as e:
                status = type(e).__name__
                r = None
            with lock:
                statuses[status] += 1
                if r is not None and r.status_code == 201:
                    body = r.json()
                    acks.append((body["song_id"], float(body["at"])))
            if r is not None and r.status_code == 201:
                stored_at.append(time.monotonic())
            elif r is not None and r.status_code == 503:
                time.sleep(0.05)
    return stored_at


def one_run(pg: PrivatePostgres, server: Server, mode: str, clients: int, seconds: float, down: float) -> Run:
    songs = [s.id for s in Catalog.load(None).songs[:500]]
    acks: list[tuple[str, float]] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    start = time.monotonic()
    until = start + seconds
    times: list[list[float]] = [[] for _ in range(clients)]

    def work(k: int) -> None:
        times[k] = client_loop(server.url, songs, until, acks, statuses, lock)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds / 3)
    pg.stop(mode)
    time.sleep(down)
    pg.start()
    restarted = time.monotonic()
    for t in threads:
        t.join()
    engine = create_engine(pg.url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            stored = {(s, float(a)) for s, a in connection.execute(text("SELECT song_id, at FROM feedback"))}
            connection.execute(text("DELETE FROM feedback"))
            connection.commit()
    finally:
        engine.dispose()
    after = [t for ts in times for t in ts if t >= restarted]
    run = Run(
        stop=mode,
        acknowledged=len(acks),
        refused_503=statuses.get("503", 0),
        failed_other=sum(n for s, n in statuses.items() if s not in ("201", "503")),
        lost=sum(1 for a in acks if a not in stored),
        stored_again_after_s=round(min(after) - restarted, 2) if after else None,
        statuses=dict(statuses),
    )
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--down", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        print("durability_bench: skipped, PostgreSQL's server is not installed (Debian: postgresql)")
        return
    pg = PrivatePostgres()
    data = Path(tempfile.mkdtemp(prefix="moodtune-durability-data-"))
    server = None
    runs: list[Run] = []
    try:
        server = Server(pg.url, data)
        for mode in ("fast", "immediate"):
            runs.append(one_run(pg, server, mode, args.clients, args.seconds, args.down))
    finally:
        if server is not None:
            server.close()
        pg.close()
        shutil.rmtree(data, ignore_errors=True)
    if args.json:
        print(json.dumps([asdict(r) for r in runs], indent=2))
        return
    print(
        f"PostgreSQL stopped {args.down:g} s in the middle of {args.seconds:g} s of likes from "
        f"{args.clients} listeners (one moodtune process, never restarted)"
    )
    print(
        f"{'stop':<10} {'acknowledged':>12} {'503 (retry)':>12} {'other':>6} {'lost':>5} {'stored again':>13}"
    )
    for r in runs:
        again = f"{r.stored_again_after_s:.2f} s" if r.stored_again_after_s is not None else "never"
        verdict = "PASS" if r.lost == 0 and r.stored_again_after_s is not None else "FAIL"
        print(
            f"{r.stop:<10} {r.acknowledged:>12} {r.refused_503:>12} {r.failed_other:>6} {r.lost:>5} "
            f"{again:>13}  {verdict}"
        )


if __name__ == "__main__":
    main()
