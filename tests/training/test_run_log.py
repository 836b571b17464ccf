"""A run folder keeps its own log (train.log): one file over every session that trained it, with a
line for each start, resume, epoch and stop, whether or not the console was quiet."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

torch = pytest.importorskip("torch")

from moodtune.training import loop  # noqa: E402
from moodtune.training.config import load_config  # noqa: E402
from moodtune.training.loop import fit, resume_run  # noqa: E402

SMALL = {
    "name": "smoke",
    "epochs": 2,
    "batch_size": 32,
    "lr": 0.005,
    "warmup_epochs": 0.5,
    "threads": 1,
    "arch_kwargs": {"widths": [8, 8, 16, 16], "dropout": 0.0},
    "augment": {"rotate_deg": 0, "scale": 0, "shift": 0, "hflip": False, "erase_p": 0},
}
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def _cfg(tree: Path, out: Path, **more: object):
    return load_config(None, {**SMALL, "data": str(tree), "out_dir": str(out), **more})


def _log(run_dir: Path) -> list[str]:
    return (run_dir / "train.log").read_text().splitlines()


def _epoch_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("epoch ")]


def test_a_stopped_and_resumed_run_keeps_one_log(ferplus_tree: Path, tmp_path: Path) -> None:
    first = fit(_cfg(ferplus_tree, tmp_path), quiet=True, stop_after=1)
    after_first = _log(first.run_dir)
    second = resume_run(first.run_dir, quiet=True)
    lines = _log(second.run_dir)
    assert lines[: len(after_first)] == after_first  # appended, nothing rewritten

    assert re.fullmatch(rf"{STAMP}  started smoke: 2 epochs, arch cnn, on \w+, --stop-after 1", lines[0])
    assert [line.split(":")[0] for line in _epoch_lines(lines)] == ["epoch 1", "epoch 2"]
    stopped = next(i for i, line in enumerate(lines) if "stopped after --stop-after 1" in line)
    resumed = next(i for i, line in enumerate(lines) if "resumed at epoch 2 of 2" in line)
    epoch1, epoch2 = (lines.index(line) for line in _epoch_lines(lines))
    assert 0 < epoch1 < stopped < resumed < epoch2 < len(lines) - 1
    assert re.match(STAMP, lines[resumed]) and re.match(STAMP, lines[stopped])
    assert f"moodtune train --resume {first.run_dir}" in lines[stopped]
    assert re.match(rf"{STAMP}  finished: epoch 2 of 2; best valid accuracy", lines[-1])

    # Each epoch's line says what metrics.json holds for it (the console's text, with "best").
    history = json.loads((second.run_dir / "metrics.json").read_text())["history"]
    best = json.loads((second.run_dir / "metrics.json").read_text())["best_epoch"]
    for line, h in zip(_epoch_lines(lines), history, strict=True):
        assert f"epoch {h['epoch']}: train loss {h['train_loss']:.4f}" in line
        assert f"acc {h['valid_accuracy']:.4f}" in line
        assert re.search(r"\(\d+s\)", line)
    assert _epoch_lines(lines)[0].endswith(" best")  # the first epoch always improves
    assert _epoch_lines(lines)[best - 1].endswith(" best")


def test_a_time_budget_logs_why_the_run_ended(ferplus_tree: Path, tmp_path: Path) -> None:
    result = fit(_cfg(ferplus_tree, tmp_path, epochs=3, time_budget_s=0.01), quiet=True)
    lines = _log(result.run_dir)
    assert "time budget 0.01s" in lines[0]
    assert len(_epoch_lines(lines)) == 1
    assert "time budget 0s: the schedule now ends at epoch 1" in lines
    assert re.match(
        rf"{STAMP}  finished at epoch 1: the time budget \(0.01s a call\) cut the schedule from 3 to 1",
        lines[-1],
    )


def test_a_failed_call_logs_why_after_what_it_wrote(
    ferplus_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(loop, "_plot", full_disk)
    with pytest.raises(OSError):
        fit(_cfg(ferplus_tree, tmp_path), quiet=True)
    lines = _log(tmp_path / "smoke")
    assert len(lines) == 2 and "started smoke" in lines[0]
    assert re.fullmatch(rf"{STAMP}  failed: OSError: No space left on device", lines[1])


def test_the_cli_trains_into_a_committed_folder_and_resumes_it(ferplus_tree: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from moodtune.cli import app

    config = tmp_path / "smoke.yaml"
    config.write_text(yaml.safe_dump({**SMALL, "data": str(ferplus_tree)}))
    runs = tmp_path / "training-runs"
    cli = CliRunner()
    start = cli.invoke(app, ["train", "--config", str(config), "--out-dir", str(runs), "--stop-after", "1"])
    assert start.exit_code == 0, start.output
    run = runs / "smoke"
    assert {p.name for p in run.iterdir()} >= {
        "config.yaml",
        "last.pt",
        "best.pt",
        "metrics.json",
        "train.log",
    }
    more = cli.invoke(app, ["train", "--resume", str(run)])
    assert more.exit_code == 0, more.output
    assert [h["epoch"] for h in json.loads((run / "metrics.json").read_text())["history"]] == [1, 2]
    lines = _log(run)
    assert len(_epoch_lines(lines)) == 2 and "resumed at epoch 2 of 2" in "\n".join(lines)
