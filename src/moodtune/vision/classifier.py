"""The emotion classifier: a face crop in, 8 emotion and 3 mood probabilities out.

Runs the shipped ONNX model with onnxruntime (thread count configurable, any batch size). Labels,
mood grouping, input size and normalisation come from the model's metadata file beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from moodtune.datasets.base import fit_square
from moodtune.errors import InvalidImage, ModelError
from moodtune.vision.model_meta import ModelMeta, meta_path_for

DEFAULT_MODEL_NAME = "emotion.onnx"


def default_model_path() -> Path:
    """The model shipped inside the package."""
    return Path(str(resources.files("moodtune.vision") / "models" / DEFAULT_MODEL_NAME))


@dataclass(frozen=True)
class EmotionReading:
    """One face's reading: probabilities by emotion and by mood, and the top of each."""

    probabilities: dict[str, float]
    mood_probabilities: dict[str, float]

    @property
    def emotion(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def mood(self) -> str:
        return max(self.mood_probabilities, key=self.mood_probabilities.__getitem__)

    def to_dict(self) -> dict[str, Any]:
        return {
            "emotion": self.emotion,
            "probabilities": self.probabilities,
            "mood": self.mood,
            "mood_probabilities": self.mood_probabilities,
        }


def adjust_probabilities(probs: np.ndarray, temperature: float, bias: np.ndarray | None) -> np.ndarray:
    """``softmax(log(p) / temperature + bias)``, row by row."""
    logits = np.log(np.clip(probs, 1e-12, None)) / temperature
    if bias is not None:
        logits = logits + bias
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


class EmotionClassifier:
    """Load once, call many times: ``predict_proba`` on a batch of grayscale crops.

    ``flip_average`` reads each crop and its mirror image (in one batch) and averages the two:
    a face and its mirror image then read the same (a mirrored webcam), and the reading is a little
    more accurate (the model card has the figures), for twice the model's time."""

    def __init__(
        self, model_path: str | Path | None = None, threads: int = 1, flip_average: bool = False
    ) -> None:
        path = Path(model_path) if model_path is not None else default_model_path()
        if not path.is_file():
            raise ModelError(
                f"model file not found: {path}. Pass --model PATH to an exported .onnx, or reinstall "
                "moodtune to restore the shipped model."
            )
        if threads < 1:
            raise ModelError(f"threads must be >= 1, but got {threads}")
        self.path = path
        self.flip_average = flip_average
        self.meta = ModelMeta.load(meta_path_for(path))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors on bad files
            raise ModelError(f"cannot load model {path}: {exc}") from None
        self._input = self._session.get_inputs()[0].name
        out_shape = self._session.get_outputs()[0].shape
        if out_shape[-1] != len(self.meta.labels):
            raise ModelError(
                f"model {path} has {out_shape[-1]} outputs but its metadata names "
                f"{len(self.meta.labels)} labels"
            )
        self._to_mood = self.meta.mood_matrix()
        self._bias = np.asarray(self.meta.logit_bias, dtype=np.float32) if self.meta.logit_bias else None
        self._adjust = self._bias is not None or self.meta.temperature != 1.0

    def preprocess(self, crops: np.ndarray) -> np.ndarray:
        """uint8 ``(B, H, W)`` square grayscale crops -> float32 ``(B, 1, S, S)`` normalised."""
        crops = np.asarray(crops)
        if crops.ndim == 2:
            crops = crops[None]
        if crops.ndim != 3 or crops.shape[1] != crops.shape[2] or crops.shape[1] < 8:
            raise InvalidImage(
                f"face crops must be square grayscale images of shape (B, S, S) with S >= 8, "
                f"but got shape {crops.shape}"
            )
        size = self.meta.input_size
        if crops.shape[1] != size:
            crops = np.stack([fit_square(c, size) for c in crops])
        x = crops.astype(np.float32) * (1.0 / 255.0)
        x = (x - self.meta.mean) / self.meta.std
        return x[:, None, :, :]

    def predict_proba(self, crops: np.ndarray) -> np.ndarray:
        """Emotion probabilities ``(B, n_labels)`` in the order of ``meta.labels``."""
        x = self.preprocess(crops)
        if self.flip_average:
            both = self.run_network(np.concatenate([x, x[..., ::-1]]))
            out = (both[: len(x)] + both[len(x) :]) / 2
        else:
            out = self.run_network(x)
        return adjust_probabilities(out, self.meta.temperature, self._bias) if self._adjust else out

    def run_network(self, x: np.ndarray) -> np.ndarray:
        """The network's probabilities on ``preprocess``-ed input, before the mirror-image average
        and the post-hoc adjustment: the serving session's own arithmetic."""
        return np.asarray(self._session.run(None, {self._input: x})[0], dtype=np.float32)

    def mood_proba(self, probs: np.ndarray) -> np.ndarray:
        return probs @ self._to_mood

    def read(self, crops: np.ndarray) -> list[EmotionReading]:
        return self.readings(self.predict_proba(crops))

    def readings(self, probs: np.ndarray) -> list[EmotionReading]:
        """Readings from probabilities ``(B, n_labels)``, e.g. from ``predict_proba``."""
        moods = self.mood_proba(probs)
        return [
            EmotionReading(
                probabilities={lab: round(float(p), 6) for lab, p in zip(self.meta.labels, row, strict=True)},
                mood_probabilities={
                    m: round(float(p), 6) for m, p in zip(self.meta.moods, mrow, strict=True)
                },
            )
            for row, mrow in zip(probs, moods, strict=True)
        ]
