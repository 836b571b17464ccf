"""A smoke training run whose loss falls, resume, and a self-checking ONNX export that serving
reads back."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from moodtune.training.config import load_config  # noqa: E402
from moodtune.training.export import export_run  # noqa: E402
from moodtune.training.loop import fit, resume_run  # noqa: E402
from moodtune.vision import EmotionClassifier  # noqa: E402


def _cfg(tree: Path, out: Path, epochs: int = 4):
    return load_config(
        None,
        {
            "name": "smoke",
            "data": str(tree),
            "out_dir": str(out),
            "epochs": epochs,
            "batch_size": 16,
            "lr": 0.005,
            "warmup_epochs": 0.5,
            "threads": 1,
            "arch_kwargs": {"widths": [8, 16, 16, 32], "dropout": 0.0},
            "augment": {"rotate_deg": 0, "scale": 0, "shift": 0, "hflip": False, "erase_p": 0},
        },
    )


@pytest.fixture
def trained(ferplus_tree: Path, tmp_path: Path):
    return fit(_cfg(ferplus_tree, tmp_path / "runs"), quiet=True)


@pytest.mark.slow
def test_loss_falls_and_run_folder_is_complete(trained) -> None:
    losses = [h["train_loss"] for h in trained.history]
    assert losses[-1] < losses[0] * 0.8
    for name in ("config.yaml", "metrics.json", "curves.png", "last.pt", "best.pt"):
        assert (trained.run_dir / name).is_file(), name
    metrics = json.loads((trained.run_dir / "metrics.json").read_text())
    assert len(metrics["history"]) == 4 and metrics["best_epoch"] >= 1


@pytest.mark.slow
def test_resume_continues_where_it_stopped(trained) -> None:
    result = resume_run(trained.run_dir, {"epochs": 5}, quiet=True)
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4, 5]
    assert result.history[:4] == trained.history


@pytest.mark.slow
def test_stopped_and_resumed_run_equals_an_uninterrupted_one(
    trained, ferplus_tree: Path, tmp_path: Path
) -> None:
    cfg = _cfg(ferplus_tree, tmp_path / "split")
    first = fit(cfg, run_dir=tmp_path / "split" / "run", quiet=True, stop_after=2)
    assert [h["epoch"] for h in first.history] == [1, 2]
    second = resume_run(first.run_dir, quiet=True)

    def strip(h: dict) -> dict:
        return {k: v for k, v in h.items() if k != "train_seconds"}

    assert [strip(h) for h in second.history] == [strip(h) for h in trained.history]


@pytest.mark.slow
def test_export_checks_itself_and_serving_reads_it(trained, ferplus_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "model" / "emotion.onnx"
    result = export_run(trained.run_dir, out, data=str(ferplus_tree))
    assert result.checks["onnx_checker"] == "passed"
    assert result.checks["parity_max_abs_diff"] <= 1e-4
    clf = EmotionClassifier(out)
    assert clf.meta.labels[0] == "neutral" and clf.meta.input_size == 48
    assert set(clf.meta.moods) == {"negative", "neutral", "positive"}
    probs = clf.predict_proba(np.zeros((3, 48, 48), np.uint8))
    assert probs.shape == (3, 8)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # No exporter notes naming this checkout's files: a rebuild elsewhere gives the same bytes.
    import onnx

    assert not any(node.metadata_props for node in onnx.load(str(out)).graph.node)
    assert b"moodtune/training" not in out.read_bytes()


@pytest.mark.slow
def test_export_records_measured_metrics(trained, ferplus_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "emotion.onnx"
    meta = export_run(trained.run_dir, out, data=str(ferplus_tree)).meta
    test = meta.metrics["ferplus_test"]
    assert meta.metrics["export_checks"]["adjustment"]["chosen_on"] == "ferplus:valid, smallest mood recall"
    assert "selected on FER+ Valid" in meta.training_data
    assert test["n"] == 32 - 32 // 5
    assert 0.0 <= test["accuracy"] <= 1.0
    assert set(test["mood_recall"]) == {"negative", "neutral", "positive"}


@pytest.mark.slow
def test_export_cli_names_the_model_version(trained, ferplus_tree: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    def export(*extra: str) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, "-m", "moodtune.cli", "export", str(trained.run_dir)]
        args += ["--out", str(tmp_path / "m" / "emotion.onnx"), "--data", str(ferplus_tree), *extra]
        return subprocess.run(args, capture_output=True, text=True, timeout=300)

    done = export("--model-version", "0.1.0+smoke.w7")
    assert done.returncode == 0, done.stderr
    assert EmotionClassifier(tmp_path / "m" / "emotion.onnx").meta.version == "0.1.0+smoke.w7"
    empty = export("--model-version", " ")
    assert empty.returncode == 2 and "--model-version is empty" in empty.stderr


@pytest.mark.slow
def test_quantized_model_keeps_weights_to_seven_bits_and_reads_as_its_graph(
    trained, ferplus_tree: Path, tmp_path: Path
) -> None:
    """int8 weights of at most 64 in magnitude (7 bits), so CPUs without VNNI (16-bit sums of two
    u8 x s8 products: 2 * 255 * 64 < 32,767) compute the model as its graph states: the same top
    emotion for every face, fused kernels or not."""
    from onnx import numpy_helper

    from moodtune.datasets import open_ferplus
    from moodtune.training.export import quantize
    from moodtune.vision.kernel_check import int8_kernel_agreement
    from moodtune.vision.model_meta import meta_path_for

    float_path = export_run(
        trained.run_dir, tmp_path / "f" / "emotion.onnx", data=str(ferplus_tree)
    ).model_path
    q = tmp_path / "q" / "emotion.onnx"
    q.parent.mkdir()
    quantize(float_path, q, str(ferplus_tree))
    shutil.copy(meta_path_for(float_path), meta_path_for(q))
    import onnx

    weights = [
        numpy_helper.to_array(t)
        for t in onnx.load(str(q)).graph.initializer
        if t.data_type == onnx.TensorProto.INT8 and len(t.dims) >= 2
    ]
    assert len(weights) == 9  # 8 convolutions and the linear head
    # Symmetric per channel: each channel's largest weight maps to 64, none beyond.
    assert all(int(np.abs(w.astype(int)).max()) == 64 for w in weights)
    test = open_ferplus(ferplus_tree, "test")
    faces = next(test.iter_batches(64, 48, test.labelled))[0]
    agreement = int8_kernel_agreement(q, faces)
    assert agreement.same_top_emotion == 1.0 and agreement.max_abs_diff < 0.05
    assert int8_kernel_agreement(float_path, faces).max_abs_diff < 1e-5  # float: rounding only


@pytest.mark.slow
def test_export_refuses_an_int8_model_this_cpu_computes_otherwise(
    trained, ferplus_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moodtune.errors import ModelError
    from moodtune.training import export
    from moodtune.vision.kernel_check import KernelAgreement

    monkeypatch.setattr(export, "_valid_accuracy", lambda clf, valid: 0.5)
    monkeypatch.setattr(
        export, "int8_kernel_agreement", lambda path, faces: KernelAgreement(len(faces), 0.94, 0.9)
    )
    out = tmp_path / "q" / "emotion.onnx"
    with pytest.raises(
        ModelError,
        match=r"top emotion of 6\.0% of Valid faces.*nothing was written: export without --quantize",
    ):
        export_run(trained.run_dir, out, data=str(ferplus_tree), quantized=True)
    assert sorted(p.name for p in out.parent.iterdir()) == []  # no half-made model left to pick up


def _write_fer2013_labels(tree: Path) -> None:
    """The tiny tree's images with FER2013 words for their pattern classes (neutral, happiness,
    sadness), one usage per split folder."""
    word = {0: "neutral", 1: "happy", 3: "sad"}
    rows = ["image,usage,fer2013_label"]
    for folder, usage in (
        ("FER2013Train", "Training"),
        ("FER2013Valid", "PublicTest"),
        ("FER2013Test", "PrivateTest"),
    ):
        n = len((tree / folder / "label.csv").read_text().splitlines())
        rows += [f"fer{i:07d}.png,{usage},{word[(0, 1, 3)[i % 3]]}" for i in range(n)]
    (tree / "fer2013_labels.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.slow
def test_a_fer2013_run_is_adjusted_on_its_own_valid_split(ferplus_tree: Path, tmp_path: Path) -> None:
    """A run on the FER2013 labels gets its temperature and bias chosen on FER2013 PublicTest by
    accuracy (not on FER+ Valid by mood recall): the exported model reads its own Valid split at
    least as well as the unadjusted network (the grid holds "no adjustment")."""
    from moodtune.datasets import open_fer2013
    from moodtune.emotions import EMOTIONS
    from moodtune.evaluation.run import evaluate_classifier
    from moodtune.vision.model_meta import meta_path_for

    _write_fer2013_labels(ferplus_tree)
    cfg = _cfg(ferplus_tree, tmp_path / "runs", epochs=2)
    cfg.labels, cfg.targets = "fer2013", "majority"
    run = fit(cfg, quiet=True)
    result = export_run(run.run_dir, tmp_path / "m" / "emotion.onnx")
    chosen = result.checks["adjustment"]
    assert chosen["chosen_on"] == "fer2013:valid, accuracy"
    assert "selected on FER2013 PublicTest" in result.meta.training_data
    valid = open_fer2013(ferplus_tree, "valid")
    adjusted = EmotionClassifier(result.model_path)
    # Contempt is not a FER2013 label: it gets no bias, so it cannot take over the moods.
    assert result.meta.logit_bias[EMOTIONS.index("contempt")] == 0.0
    faces = next(valid.iter_batches(len(valid), 48, valid.labelled))[0]
    assert EMOTIONS.index("contempt") not in adjusted.predict_proba(faces).argmax(axis=1)
    assert evaluate_classifier(adjusted, valid)["accuracy"] == pytest.approx(
        chosen["valid_accuracy"], abs=1e-4
    )
    # The same network without the adjustment: a copy whose metadata has none.
    bare = tmp_path / "bare" / "emotion.onnx"
    bare.parent.mkdir()
    shutil.copy(result.model_path, bare)
    replace(result.meta, temperature=1.0, logit_bias=()).save(meta_path_for(bare))
    assert chosen["valid_accuracy"] >= evaluate_classifier(EmotionClassifier(bare), valid)["accuracy"] - 1e-9


@pytest.mark.slow
def test_distillation_from_a_trained_teacher(trained, ferplus_tree: Path, tmp_path: Path) -> None:
    cfg = _cfg(ferplus_tree, tmp_path / "student", epochs=2)
    cfg.teachers = [str(trained.run_dir)]
    cfg.distill_alpha = 0.7
    cfg.arch_kwargs = {"widths": [4, 8, 8, 16], "dropout": 0.0}
    result = fit(cfg, run_dir=tmp_path / "student" / "run", quiet=True)
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_a_teacher_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    from moodtune.errors import ConfigError

    cfg = load_config(None, {"teachers": [str(tmp_path)], "out_dir": str(tmp_path / "runs")})
    with pytest.raises(ConfigError, match=r"teacher run .* has no best\.pt: train the teacher first"):
        fit(cfg, quiet=True)
    assert not (tmp_path / "runs").exists()  # refused before a run folder is made


@pytest.mark.slow
def test_fine_tuning_starts_from_the_trained_weights(trained, ferplus_tree: Path, tmp_path: Path) -> None:
    """init_from: the first epoch of a fine-tune starts where the trained run ended, so its loss
    begins far below a fresh run's first epoch."""
    cfg = _cfg(ferplus_tree, tmp_path / "tuned", epochs=1)
    cfg.init_from = str(trained.run_dir)
    cfg.lr = 1e-4
    tuned = fit(cfg, run_dir=tmp_path / "tuned" / "run", quiet=True)
    assert tuned.history[0]["train_loss"] < trained.history[0]["train_loss"] * 0.9
    assert tuned.history[0]["valid_loss"] < trained.history[0]["valid_loss"]


def test_fine_tuning_another_network_is_refused(trained, ferplus_tree: Path, tmp_path: Path) -> None:
    from moodtune.errors import ConfigError

    cfg = _cfg(ferplus_tree, tmp_path / "tuned", epochs=1)
    cfg.init_from = str(trained.run_dir)
    cfg.arch_kwargs = {"widths": [4, 8, 8, 16], "dropout": 0.0}
    with pytest.raises(ConfigError, match="another network"):
        fit(cfg, run_dir=tmp_path / "tuned" / "run", quiet=True)


def test_fine_tuning_a_run_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    from moodtune.errors import ConfigError

    cfg = load_config(None, {"init_from": str(tmp_path), "out_dir": str(tmp_path / "runs")})
    with pytest.raises(ConfigError, match=r"init_from .* has no best\.pt"):
        fit(cfg, quiet=True)


@pytest.mark.slow
def test_a_time_budget_shortens_the_schedule_and_saves_it(
    ferplus_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget allows 2 of 4 epochs: the run ends after epoch 2 with the decay re-planned to
    that length (the learning rate back at 0, not halfway down), and config.yaml says so, so a
    resumed run has nothing left to do."""
    import moodtune.training.loop as loop

    plans: list[tuple[int, float, float, int, float | None]] = []

    def plan(
        epoch: int, seconds: float, budget: float, epochs: int, epoch_seconds: float | None = None
    ) -> int:
        plans.append((epoch, seconds, budget, epochs, epoch_seconds))
        return 2

    monkeypatch.setattr(loop, "fit_to_budget", plan)
    cfg = _cfg(ferplus_tree, tmp_path / "runs", epochs=4)
    cfg.time_budget_s = 60.0
    result = fit(cfg, run_dir=tmp_path / "runs" / "budget", quiet=True)
    assert [h["epoch"] for h in result.history] == [1, 2]
    # planned after the first epoch (from its own time), then again after the second at its pace
    assert len(plans) == 2 and plans[0][0] == 1 and plans[0][2:] == (60.0, 4, None) and plans[0][1] > 0
    assert plans[1][0] == 2 and plans[1][2:4] == (60.0, 4) and 0 < (plans[1][4] or 0) <= plans[1][1]
    assert result.history[-1]["lr"] == pytest.approx(0.0, abs=1e-9)
    assert load_config(result.run_dir / "config.yaml").epochs == 2
    again = resume_run(result.run_dir, quiet=True)
    assert [h["epoch"] for h in again.history] == [1, 2]


def test_the_time_budget_plan() -> None:
    from moodtune.training.loop import fit_to_budget

    assert fit_to_budget(1, 30.0, 300.0, 40) == 10  # 9 more epochs of 30 s fit after the first
    assert fit_to_budget(1, 30.0, 3000.0, 40) == 40  # never longer than planned
    assert fit_to_budget(1, 500.0, 300.0, 40) == 1  # the first epoch alone overran: stop there
    assert fit_to_budget(5, 30.0, 95.0, 40) == 7  # a resumed call counts from its own first epoch
    # after the second epoch: 40 s spent (a slow first epoch), 7 s an epoch now -> 37 more fit
    assert fit_to_budget(2, 40.0, 300.0, 60, epoch_seconds=7.0) == 39
    assert fit_to_budget(2, 40.0, 300.0, 20, epoch_seconds=7.0) == 20  # never past the planned length


@pytest.mark.slow
def test_a_weight_average_is_what_validates_and_ships(ferplus_tree: Path, tmp_path: Path) -> None:
    """ema_decay: best.pt holds the moving average (not the last step's weights), its validation
    differs from the raw run's, and a stopped and resumed run averages as an uninterrupted one."""
    cfg = _cfg(ferplus_tree, tmp_path / "ema", epochs=3)
    cfg.ema_decay = 0.9
    whole = fit(cfg, run_dir=tmp_path / "ema" / "whole", quiet=True)
    raw = fit(_cfg(ferplus_tree, tmp_path / "raw", epochs=3), run_dir=tmp_path / "raw" / "run", quiet=True)
    assert [h["train_loss"] for h in whole.history] == [h["train_loss"] for h in raw.history]
    assert [h["valid_loss"] for h in whole.history] != [h["valid_loss"] for h in raw.history]
    # best.pt reads Valid exactly as the validation that chose it: the averaged weights.
    from moodtune.evaluation.evaluate import predict_dataset
    from moodtune.training.data import open_split
    from moodtune.training.loop import load_trained, make_predict

    model, run_cfg = load_trained(whole.run_dir)
    valid = open_split(run_cfg, "valid")
    probs = predict_dataset(make_predict(model, run_cfg), valid, run_cfg.input_size)
    vloss = float(-(np.log(np.clip(probs, 1e-8, None)) * valid.targets[valid.labelled]).sum(1).mean())
    assert vloss == pytest.approx(whole.history[whole.best_epoch - 1]["valid_loss"], rel=1e-5)

    split_dir = tmp_path / "ema" / "split"
    fit(cfg, run_dir=split_dir, quiet=True, stop_after=1)
    resumed = resume_run(split_dir, quiet=True)
    assert [h["valid_loss"] for h in resumed.history] == [h["valid_loss"] for h in whole.history]


def test_averaging_a_run_gives_the_mean_of_its_checkpoints_and_exports(
    trained, ferplus_tree: Path, tmp_path: Path
) -> None:
    """`moodtune average RUN --out DIR`: DIR/best.pt is the element-wise mean of the run's best.pt
    and last.pt, named after DIR, and exports as any run does."""
    from moodtune.training.average import average_run
    from moodtune.training.loop import trained_weights

    out = tmp_path / "runs" / "smoke-avg"
    done = average_run(trained.run_dir, out)
    best, last = trained_weights(trained.run_dir), trained_weights(trained.run_dir, "last")
    avg = trained_weights(out)
    key = next(k for k, v in best.items() if v.is_floating_point() and not torch.equal(v, last[k]))
    torch.testing.assert_close(avg[key], (best[key] + last[key]) / 2)
    assert done["checkpoints"] == ["best", "last"] and done["epochs"][1] == 4
    assert load_config(out / "config.yaml").name == "smoke-avg"
    assert json.loads((out / "metrics.json").read_text())["averaged_from"]["run"] == trained.run_dir.name
    meta = export_run(out, tmp_path / "avg" / "emotion.onnx", data=str(ferplus_tree)).meta
    assert meta.version.endswith("+smoke-avg")


def test_averaging_refuses_what_it_cannot_average(trained, tmp_path: Path) -> None:
    from moodtune.errors import ConfigError
    from moodtune.training.average import average_run, average_weights

    with pytest.raises(ConfigError, match="new folder"):
        average_run(trained.run_dir, trained.run_dir)
    (tmp_path / "copy").mkdir()
    for name in ("config.yaml", "best.pt"):
        shutil.copy(trained.run_dir / name, tmp_path / "copy" / name)
    with pytest.raises(ConfigError, match=r"no checkpoint last\.pt in"):
        average_run(tmp_path / "copy", tmp_path / "out")
    with pytest.raises(ConfigError, match="different networks"):
        average_weights([{"w": torch.zeros(2)}, {"w": torch.zeros(3)}])
    with pytest.raises(ConfigError, match="kept no epoch-NNN checkpoints: only a run trained with"):
        average_run(trained.run_dir, tmp_path / "out", ("kept",))


def test_keep_epochs_saves_the_last_epochs_and_average_takes_them(ferplus_tree: Path, tmp_path: Path) -> None:
    """keep_epochs 2 of a 3-epoch run: epoch-002.pt and epoch-003.pt hold those epochs' weights
    (epoch 3's equal last.pt's); `average --checkpoint` takes any of them, `kept` all of them,
    and `--recompute-bn` renews only the batch-norm statistics."""
    from moodtune.datasets import open_ferplus
    from moodtune.errors import ConfigError
    from moodtune.training.average import average_run
    from moodtune.training.loop import trained_weights

    cfg = replace(_cfg(ferplus_tree, tmp_path / "runs", epochs=3), keep_epochs=2)
    run = fit(cfg, quiet=True).run_dir
    assert sorted(p.name for p in run.glob("epoch-*.pt")) == ["epoch-002.pt", "epoch-003.pt"]
    last, third = trained_weights(run, "last"), trained_weights(run, "epoch-003")
    assert all(torch.equal(last[k], third[k]) for k in last)
    done = average_run(run, tmp_path / "avg3", ("epoch-002", "epoch-003", "best"))
    assert done["epochs"][:2] == [2, 3]
    with pytest.raises(ConfigError, match=r"no checkpoint epoch-001\.pt .*keep_epochs"):
        average_run(run, tmp_path / "avg1", ("epoch-001", "last"))
    with pytest.raises(ConfigError, match="names one twice"):
        average_run(run, tmp_path / "avg2", ("last", "last"))
    kept = average_run(run, tmp_path / "avgkept", ("kept",))
    assert kept["checkpoints"] == ["epoch-002", "epoch-003"] and kept["epochs"] == [2, 3]
    # --recompute-bn: the same averaged weights, batch-norm statistics measured on the training images
    fresh = average_run(run, tmp_path / "avgbn", ("kept",), recompute_bn=True)
    n_train = len(open_ferplus(ferplus_tree, "train"))
    assert fresh["batch_norm"] == f"recomputed on {n_train} training images"
    plain, renewed = trained_weights(tmp_path / "avgkept"), trained_weights(tmp_path / "avgbn")
    stats = [k for k in plain if k.endswith(("running_mean", "running_var"))]
    assert stats and all(
        torch.equal(plain[k], renewed[k]) for k in plain if k not in stats and "num_batches" not in k
    )
    assert all(not torch.allclose(plain[k], renewed[k]) for k in stats)
    assert json.loads((tmp_path / "avgbn" / "metrics.json").read_text())["averaged_from"]["batch_norm"]
