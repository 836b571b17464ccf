"""Export a trained run to ONNX + metadata, checking itself (the timm habit):

1. ``onnx.checker`` on the exported graph;
2. the float model's outputs equal torch's within 1e-4 on 100 test faces;
3. a quantized model (optional) is judged by accuracy instead: at most 0.5 points below the
   float model on FER+ Valid; and its int8 kernels on this CPU must compute what its graph
   states (``moodtune.vision.kernel_check``): its weights keep to 7 bits so that CPUs without
   VNNI do not saturate.

The metadata (``ModelMeta``) records labels, mood grouping, input size, normalisation, version,
training data and the model's measured metrics; it is written beside the ``.onnx`` file.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from moodtune import __version__
from moodtune.datasets import FaceDataset, open_fer2013, open_ferplus
from moodtune.emotions import DEFAULT_MOOD_GROUPS, EMOTIONS
from moodtune.errors import ModelError
from moodtune.evaluation.evaluate import evaluate_probs, predict_dataset
from moodtune.evaluation.run import evaluate_classifier
from moodtune.training.config import TrainConfig
from moodtune.training.data import class_weights, open_split, split_title, training_set
from moodtune.training.loop import load_trained, make_predict
from moodtune.vision.classifier import EmotionClassifier, adjust_probabilities
from moodtune.vision.kernel_check import MIN_AGREEMENT, int8_kernel_agreement
from moodtune.vision.model_meta import ModelMeta, meta_path_for

PARITY_TOLERANCE = 1e-4
QUANT_MAX_DROP = 0.005


class _WithSoftmax(torch.nn.Module):
    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


@dataclass
class ExportResult:
    model_path: Path
    meta: ModelMeta
    checks: dict[str, Any]


def _valid_accuracy(clf: EmotionClassifier, valid: FaceDataset) -> float:
    return float(evaluate_classifier(clf, valid)["accuracy"])


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    mood = report["mood"]
    return {
        "n": report["n"],
        "accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro_f1"], 4),
        "mood_accuracy": round(mood["accuracy"], 4),
        "mood_recall": {k: round(v, 4) for k, v in mood["per_class_recall"].items()},
    }


def choose_adjustment(model_path: Path, cfg: TrainConfig) -> tuple[float, tuple[float, ...], dict[str, Any]]:
    """Pick the post-hoc temperature and logit bias on the run's own Valid split (never on Test):
    FER+ Valid for a FER+ run, FER2013 PublicTest for a run on the FER2013 labels.

    The class-balanced loss shifts the model's prior toward rare emotions; summed into moods, that
    inflates "negative" at the cost of "neutral". The bias ``-tau * log(w)`` (``w`` the run's
    training class weights; 0 for a class it never trained on) undoes a share ``tau`` of that
    shift. Grid: tau 0..1 by 0.05, temperature 0.6..1.4 by 0.1. Chosen for a FER+ run (what the
    service reads as moods): the largest smallest per-mood recall on Valid, then among settings
    within 0.5 points of it the lowest expected calibration error. For a FER2013-labels run (the
    7-class benchmark row, never shipped): the highest Valid accuracy, then the lowest calibration
    error."""
    clf = EmotionClassifier(model_path)
    valid = open_split(cfg, "valid")
    raw = predict_dataset(clf.predict_proba, valid, clf.meta.input_size)
    labels = valid.labels[valid.labelled]
    train = training_set(cfg, open_split(cfg, "train"), np.random.default_rng(cfg.seed))
    weights = class_weights(train.targets, cfg.class_balance)
    # A class the run never trained on (weight 0, e.g. contempt under the FER2013 labels) keeps
    # bias 0: the network already gives it next to nothing, and -log(0) would make it win.
    log_w = np.log(np.where(weights > 0, weights, 1.0))
    by_moods = cfg.labels == "ferplus"
    taus = np.round(np.arange(0, 1.0001, 0.05), 2) if cfg.class_balance != "none" else np.array([0.0])
    rows = []
    for tau in taus:
        bias = (-tau * log_w).astype(np.float32)
        for temperature in np.round(np.arange(0.6, 1.4001, 0.1), 2):
            rep = evaluate_probs(
                adjust_probabilities(raw, float(temperature), bias),
                labels,
                valid.classes,
                valid.level,
                clf.meta.labels,
                clf.meta.mood_groups,
            )
            score = min(rep["mood"]["per_class_recall"].values()) if by_moods else rep["accuracy"]
            rows.append((score, rep["ece"], float(tau), float(temperature), rep))
    best = max(r[0] for r in rows)
    tolerance = 0.005 if by_moods else 0.0
    _, ece, tau, temperature, rep = min((r for r in rows if r[0] >= best - tolerance), key=lambda r: r[1])
    bias = tuple(round(float(b), 6) for b in -tau * log_w)
    report = {
        "chosen_on": f"{valid.name}, " + ("smallest mood recall" if by_moods else "accuracy"),
        "tau": tau,
        "temperature": temperature,
        "valid_min_mood_recall": round(min(rep["mood"]["per_class_recall"].values()), 4),
        "valid_ece": round(ece, 4),
        "valid_accuracy": round(rep["accuracy"], 4),
        "valid_mood_accuracy": round(rep["mood"]["accuracy"], 4),
    }
    return temperature, bias, report


def neutral_reading(model_path: Path, data: str) -> tuple[float, ...]:
    """The model's mean reading (after its adjustment) of the FER+ Valid faces whose majority
    says neutral: what a listener's own neutral face is calibrated to."""
    clf = EmotionClassifier(model_path)
    valid = open_ferplus(data, "valid")
    rows = valid.labelled[valid.labels[valid.labelled] == list(valid.classes).index("neutral")]
    probs = predict_dataset(clf.predict_proba, valid, clf.meta.input_size, indices=rows)
    mean = probs.mean(axis=0)
    return tuple(round(float(v), 6) for v in mean / mean.sum())


def measured_metrics(model_path: Path, data: str) -> dict[str, Any]:
    """The exported model's figures on FER+ Valid and Test (majority labels) and, where the
    labels file exists, FER2013 PrivateTest, as stored in its metadata."""
    clf = EmotionClassifier(model_path)
    out = {
        "ferplus_valid": _summary(evaluate_classifier(clf, open_ferplus(data, "valid"))),
        "ferplus_test": _summary(evaluate_classifier(clf, open_ferplus(data, "test"))),
    }
    if (Path(data) / "fer2013_labels.csv").is_file():
        out["fer2013_privatetest"] = _summary(evaluate_classifier(clf, open_fer2013(data, "test")))
    return out


def quantize(float_path: Path, out_path: Path, data: str, n_calibration: int = 512) -> None:
    """Static int8 quantization (QDQ, per-channel weights) calibrated on FER+ Train faces.

    Weights keep to 7 bits (``reduce_range``): x86 CPUs without VNNI add u8 x s8 products in pairs
    into 16-bit integers, which 8-bit weights can overflow (onnxruntime's quantization guide);
    with 7 the sums fit, so the model reads the same on every CPU."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    clf = EmotionClassifier(float_path)
    train = open_ferplus(data, "train")
    rows = np.random.default_rng(0).permutation(len(train))[:n_calibration]
    batches = [clf.preprocess(imgs) for imgs, _ in train.iter_batches(1, clf.meta.input_size, rows)]
    name = "input"

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self.it, None)
            return None if x is None else {name: x}

    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(float_path), str(pre))
        quantize_static(
            str(pre),
            str(out_path),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            reduce_range=True,
        )


def write_float_onnx(model: torch.nn.Module, size: int, path: Path) -> None:
    """``model`` (1 x size x size grayscale in, probabilities out) as one self-contained ONNX file,
    batch size dynamic, checked by ``onnx.checker``."""
    import onnx

    # The torch.export-based exporter (the default since torch 2.9).
    torch.onnx.export(
        model.eval(),
        (torch.zeros(1, 1, size, size),),
        str(path),
        input_names=["input"],
        output_names=["probabilities"],
        dynamic_shapes={"x": {0: torch.export.Dim("batch")}},
        opset_version=18,
        dynamo=True,
        verbose=False,
    )
    # One file: the exporter may write the weights to a side file (.onnx.data). Without the
    # exporter's per-node notes (source stack traces with this checkout's paths and line numbers):
    # the same weights then export to the same bytes from any checkout.
    graph = onnx.load(str(path))
    for node in graph.graph.node:
        del node.metadata_props[:]
    onnx.save_model(graph, str(path), save_as_external_data=False)
    path.with_name(path.name + ".data").unlink(missing_ok=True)
    onnx.checker.check_model(onnx.load(str(path)))


def training_description(cfg: TrainConfig) -> str:
    """What the model learnt from, for its metadata: the data, and the runs it started from or
    was distilled from (named by their run folders)."""
    text = f"FER+ Train ({cfg.labels} labels, {cfg.targets} targets), selected on {split_title(cfg, 'valid')}"
    if cfg.init_from:
        text += f"; fine-tuned from run {Path(cfg.init_from).name}"
    if cfg.teachers:
        names = ", ".join(Path(t).name for t in cfg.teachers)
        text += f"; distilled from {names} (alpha {cfg.distill_alpha}, T {cfg.distill_temperature})"
    return text


def export_run(
    run_dir: Path,
    out_path: Path,
    data: str | None = None,
    quantized: bool = False,
    version: str | None = None,
) -> ExportResult:
    """Export ``run_dir/best.pt`` to ``out_path`` (+ ``.json``); with ``quantized``, ship int8."""

    model, cfg = load_trained(run_dir)
    cfg = replace(cfg, data=data or cfg.data)  # the data the checks below read
    size = cfg.input_size
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wrapped = _WithSoftmax(model).eval()
    float_path = out_path if not quantized else out_path.with_name(out_path.stem + ".float.onnx")
    write_float_onnx(wrapped, size, float_path)

    metrics_file = run_dir / "metrics.json"
    run_metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    meta = ModelMeta(
        labels=EMOTIONS,
        mood_groups={k: tuple(v) for k, v in DEFAULT_MOOD_GROUPS.items()},
        input_size=size,
        mean=cfg.mean,
        std=cfg.std,
        version=version or f"{__version__}+{cfg.name}",
        architecture=cfg.arch,
        training_data=training_description(cfg),
        metrics={
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "best_epoch": run_metrics.get("best_epoch"),
            "train_wall_seconds": run_metrics.get("wall_seconds"),
        },
        created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    meta.save(meta_path_for(float_path))

    # Parity on 100 test faces: torch vs onnxruntime on identical inputs.
    test = open_ferplus(cfg.data, "test")
    n_parity = min(100, len(test.labelled))
    images = next(test.iter_batches(n_parity, size, test.labelled[:n_parity]))[0]
    torch_out = make_predict(wrapped.net, replace(cfg, channels_last=False))(images)
    clf = EmotionClassifier(float_path)
    onnx_out = clf.predict_proba(images)
    max_diff = float(np.abs(torch_out - onnx_out).max())
    if max_diff > PARITY_TOLERANCE:
        raise ModelError(f"ONNX export differs from torch by {max_diff:.2e} > {PARITY_TOLERANCE:.0e}")
    checks: dict[str, Any] = {
        "onnx_checker": "passed",
        "parity_max_abs_diff": max_diff,
        "parity_faces": n_parity,
    }

    if quantized:
        quantize(float_path, out_path, cfg.data)
        shutil.copy(meta_path_for(float_path), meta_path_for(out_path))
        valid = open_split(cfg, "valid")
        float_acc = _valid_accuracy(clf, valid)
        quant_acc = _valid_accuracy(EmotionClassifier(out_path), valid)
        checks.update({"valid_accuracy_float": float_acc, "valid_accuracy_int8": quant_acc})
        faces = np.concatenate([imgs for imgs, _ in valid.iter_batches(512, size, valid.labelled)])
        agreement = int8_kernel_agreement(out_path, faces)
        checks["int8_kernels_vs_graph"] = agreement.to_dict()
        refusal = None
        if float_acc - quant_acc > QUANT_MAX_DROP:
            refusal = (
                f"the int8 model loses {100 * (float_acc - quant_acc):.2f} points on Valid "
                f"(at most {100 * QUANT_MAX_DROP:.1f} allowed)"
            )
        elif not agreement.ok:
            refusal = (
                f"this CPU's int8 kernels change the top emotion of "
                f"{100 * (1 - agreement.same_top_emotion):.1f}% of Valid faces against the model's own "
                f"graph (at most {100 * (1 - MIN_AGREEMENT):.0f}% allowed): the quantized weights "
                "overflow this CPU's integer arithmetic"
            )
        if refusal:
            for path in (out_path, float_path):
                path.unlink()
                meta_path_for(path).unlink()
            raise ModelError(
                f"{refusal}; nothing was written: export without --quantize to ship the float model"
            )
        meta = replace(
            meta, metrics={**meta.metrics, "quantized": "int8 static QDQ, 7-bit per-channel weights"}
        )
        float_path.unlink()
        meta_path_for(float_path).unlink()
    temperature, bias, chosen = choose_adjustment(out_path, cfg)
    meta = replace(meta, temperature=temperature, logit_bias=bias)
    meta.save(meta_path_for(out_path))
    meta = replace(meta, neutral_reading=neutral_reading(out_path, cfg.data))
    checks["adjustment"] = chosen
    measured = measured_metrics(out_path, cfg.data)
    meta = replace(meta, metrics={**meta.metrics, **measured, "export_checks": checks})
    meta.save(meta_path_for(out_path))
    return ExportResult(model_path=out_path, meta=meta, checks=checks)
