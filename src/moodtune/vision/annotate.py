"""Draw an analysis onto a copy of the image: a box per face with its emotion and mood."""

from __future__ import annotations

import cv2
import numpy as np

from moodtune.vision.engine import ImageAnalysis

MOOD_COLOURS_BGR = {"positive": (60, 180, 75), "neutral": (200, 160, 40), "negative": (60, 60, 220)}


def annotate(rgb: np.ndarray, analysis: ImageAnalysis) -> np.ndarray:
    """A BGR copy of ``rgb`` (ready for ``cv2.imwrite``) with boxes and labels drawn."""
    out = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    thick = max(1, round(max(out.shape[:2]) / 400))
    for i, f in enumerate(analysis.faces):
        x, y, w, h = (round(v) for v in f.face.box)
        colour = MOOD_COLOURS_BGR.get(f.mood, (255, 255, 255))
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, thick)
        label = f"{i + 1}: {f.emotion} {f.reading.probabilities[f.emotion]:.2f} ({f.mood})"
        scale = 0.4 * thick
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        top = max(0, y - th - base - 2)
        cv2.rectangle(out, (x, top), (x + tw + 2, top + th + base + 2), colour, -1)
        cv2.putText(
            out, label, (x + 1, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick
        )
    return out
