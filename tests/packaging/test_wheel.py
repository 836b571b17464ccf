"""The wheel works on its own: built from the sources, installed into a fresh environment outside the
checkout, its ``moodtune`` command reads faces, recommends songs and serves the page and the API
without reading one file of the repository and without importing PyTorch.

The wheel is built once for this module (``pip wheel --no-deps --no-build-isolation --no-index``
over a copy of what the build reads, so nothing is written into the checkout) and installed with
``--no-deps`` into a new virtual environment; its dependencies come from the test's own
environment through a ``.pth`` line, so the test needs no network and takes seconds, not the
minutes of installing onnxruntime, OpenCV and scipy again. What proves the package stands alone is
a guard the new environment imports first: an audit hook (PEP 578) that records every file opened
and folder listed under the checkout (the test's virtual environment excepted, which may live
there) and any import of ``torch``; each command runs from an empty folder with
``PYTHONPATH`` unset.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import moodtune

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "NOTICE.md")

GUARD = '''
"""Installed by tests/packaging/test_wheel.py: records what this process reads from the checkout."""
import os, sys

_forbid = [p for p in os.environ.get("MOODTUNE_GUARD_FORBID", "").split(os.pathsep) if p]
_allow = [p for p in os.environ.get("MOODTUNE_GUARD_ALLOW", "").split(os.pathsep) if p]
_log = os.environ.get("MOODTUNE_GUARD_LOG")
_fd = os.open(_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if _log else None


def _under(path, roots):
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def _note(line):
    if _fd is not None:
        os.write(_fd, (f"{os.getpid()} {line}\\n").encode("utf-8", "replace"))


def _hook(event, args):
    if event == "import" and args and (args[0] == "torch" or str(args[0]).startswith("torch.")):
        _note(f"import {args[0]}")
        return
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    target = args[0]
    if not isinstance(target, (str, bytes, os.PathLike)):
        return
    path = os.path.abspath(os.fsdecode(target))
    if _under(path, _forbid) and not _under(path, _allow):
        _note(f"{event} {path}")


if _forbid:
    for entry in sys.path:
        if entry and _under(os.path.abspath(entry), _forbid) and not _under(os.path.abspath(entry), _allow):
            _note(f"sys.path {entry}")
    sys.addaudithook(_hook)
'''


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    work: Path  # an empty folder outside the checkout: every command's working folder
    guard_log: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def site_packages(self) -> Path:
        return next((self.venv / "lib").glob("python3.*/site-packages"))

    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MOODTUNE_", "VIRTUAL_ENV"))
        }
        env.update(
            HOME=str(self.work),
            MOODTUNE_DATA_DIR=str(self.work / "data"),
            MOODTUNE_ANALYZE_THREADS="1",
            MOODTUNE_GUARD_FORBID=os.pathsep.join(_forbidden()),
            MOODTUNE_GUARD_ALLOW=sys.prefix,
            MOODTUNE_GUARD_LOG=str(self.guard_log),
            PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        return env

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "moodtune"), *args],
            cwd=self.work,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def python(self, code: str) -> str:
        done = subprocess.run(
            [str(self.bin / "python"), "-c", code],
            cwd=self.work,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout


def _forbidden() -> list[str]:
    """The checkout, and the folder the test process imports moodtune from (an editable install's
    sources may live in another checkout)."""
    return sorted({str(REPO), str(Path(moodtune.__file__).resolve().parents[1])})


def build_wheel(out: Path) -> Path:
    """The wheel of the sources as they are, built over a copy of what the build reads."""
    tree = out / "tree"
    tree.mkdir(parents=True)
    for name in BUILD_INPUTS:
        shutil.copy2(REPO / name, tree / name)
    shutil.copytree(
        REPO / "src" / "moodtune",
        tree / "src" / "moodtune",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    dist = out / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(dist),
            str(tree),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("moodtune-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(root)
    venv = root / "venv"
    # PYTHONPATH unset: the new environment must not see the test's own sources (nor their
    # egg-info, which would make pip take moodtune for installed already).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120, env=clean
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env=clean,
    )
    work = root / "work"
    work.mkdir()
    env = Installed(wheel, venv, work, root / "guard.log")
    site = env.site_packages
    # The dependencies: the test environment's own packages, after the new environment's (a plain
    # path line: that environment's .pth files, such as an editable moodtune's, are not run).
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / "moodtune_guard.py").write_text(GUARD)
    (site / "00_moodtune_guard.pth").write_text("import moodtune_guard\n")
    yield env


def read_guard(env: Installed) -> list[str]:
    return env.guard_log.read_text().splitlines() if env.guard_log.exists() else []


def test_the_wheel_holds_the_model_the_detector_the_catalog_and_its_notices(installed: Installed) -> None:
    import zipfile

    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        info = f"moodtune-{moodtune.__version__}.dist-info"
        metadata = email.message_from_bytes(wheel.read(f"{info}/METADATA"))
    for shipped in (
        "moodtune/vision/models/emotion.onnx",
        "moodtune/vision/models/emotion.json",
        "moodtune/vision/models/face_detection_short_range.tflite",
        "moodtune/music/data/catalog.csv.gz",
        "moodtune/web/static/index.html",
        "moodtune/store/migrations/versions/0001_initial.py",
    ):
        assert shipped in names, shipped
    assert metadata["Version"] == moodtune.__version__
    assert metadata["License-Expression"] == "MIT"
    notices = metadata.get_all("License-File") or []
    assert {"LICENSE", "NOTICE.md"} <= set(notices)
    assert any(n.endswith("LICENSE-mediapipe.md") for n in notices)  # the face detector's Apache 2.0
    assert any(n.endswith("DATA.md") for n in notices)  # the catalog's sources and terms
    for notice in notices:
        assert f"{info}/licenses/{notice}" in names, notice
    assert not any(n.startswith(("tests/", "benchmarks/", "training-runs/")) for n in names)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    where = installed.python("import json, moodtune, sys; print(json.dumps([moodtune.__file__, sys.path]))")
    module_file, path = json.loads(where)
    assert Path(module_file).is_relative_to(installed.site_packages)
    # nothing of the checkout's sources on the path (the checkout's own venv may hold the dependencies)
    assert not any(
        Path(entry).is_relative_to(REPO) and not Path(entry).is_relative_to(REPO / ".venv")
        for entry in path
        if entry
    )
    version = installed.run("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"moodtune {moodtune.__version__}"
    metadata = "import importlib.metadata as m; print(m.version('moodtune'), m.metadata('moodtune')"
    assert installed.python(metadata + "['License-Expression'])").split() == [moodtune.__version__, "MIT"]
    assert read_guard(installed) == []
    # The guard itself works: reading a file of the checkout, or importing torch, is recorded.
    installed.python(
        f"open({str(REPO / 'README.md')!r}).close()\ntry:\n import torch\nexcept ImportError:\n pass"
    )
    caught = read_guard(installed)
    installed.guard_log.unlink()
    assert any(line.endswith("README.md") for line in caught), caught
    assert any(line.endswith("import torch") for line in caught), caught


def test_demo_analyze_and_recommend_run_from_the_wheel(installed: Installed) -> None:
    demo = installed.run("demo")
    assert demo.returncode == 0, demo.stderr
    assert "sample faces" in demo.stdout and "astronaut" in demo.stdout

    photo = installed.site_packages / "moodtune" / "samples" / "astronaut.png"
    shutil.copy(photo, installed.work / "photo.png")
    analyzed = installed.run("analyze", "photo.png", "--assume-face", "--json")
    assert analyzed.returncode == 0, analyzed.stderr
    face = json.loads(analyzed.stdout)["faces"][0]
    assert face["emotion"] == "happiness" and face["mood"] == "positive"  # the smiling astronaut

    recommended = installed.run("recommend", "--mood", "negative", "--strategy", "lift", "-n", "5", "--json")
    assert recommended.returncode == 0, recommended.stderr
    playlist = json.loads(recommended.stdout)
    assert playlist["plan"]["strategy"] == "lift"
    assert len(playlist["songs"]) == 5
    assert read_guard(installed) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(
    url: str, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type} if body else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def test_serve_answers_the_page_the_api_and_health_from_the_wheel(installed: Installed) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(installed.bin / "moodtune"), "serve", "--port", str(port)],
        cwd=installed.work,
        env=installed.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = _request(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not answer /healthz within 90 s"
                time.sleep(0.3)
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, page = _request(f"{base}/")
        assert status == 200 and b"<html" in page.lower()
        photo = (installed.site_packages / "moodtune" / "samples" / "astronaut.png").read_bytes()
        status, body = _request(f"{base}/api/v1/analyze?assume_face=true", photo, "image/png")
        assert status == 200 and json.loads(body)["faces"][0]["mood"] == "positive"
        status, body = _request(
            f"{base}/api/v1/recommendations",
            json.dumps({"mood": "negative", "strategy": "lift", "n": 5}).encode(),
        )
        assert status == 200 and len(json.loads(body)["songs"]) == 5
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    # uvicorn finishes its shutdown, then ends by the signal it was sent
    assert server.returncode in (0, -15), out
    assert "Application shutdown complete" in out
    assert read_guard(installed) == [], "\n".join(read_guard(installed))
