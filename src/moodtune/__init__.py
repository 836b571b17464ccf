"""moodtune: read a listener's mood from their face and play music that fits it, or lifts it.

Layers (one subpackage each): ``vision`` (image -> faces -> emotion, mood, valence, arousal;
serving, never imports torch), ``moodspace`` (the one valence/arousal space), ``datasets`` (face
data set readers), ``evaluation`` (metrics and reports), ``training`` (torch; optional extra
``[train]``), ``cli`` (the ``moodtune`` command).

``moodtune.analyze(image)`` reads every face in a photo with the shipped defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moodtune.errors import MoodtuneError

if TYPE_CHECKING:
    from moodtune.vision.engine import ImageAnalysis

__version__ = "0.1.0"

__all__ = ["MoodtuneError", "__version__", "analyze"]


def analyze(image: Any, assume_face: bool = False) -> ImageAnalysis:
    """Analyze one image (a path, bytes, a numpy RGB array or a PIL image): every face, largest
    first, with emotion and mood probabilities, valence, arousal and quality flags. The engine
    (BlazeFace + the shipped ONNX model) is built on the first call and reused."""
    from moodtune.vision.engine import analyze as _analyze

    return _analyze(image, assume_face=assume_face)
