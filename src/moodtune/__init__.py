"""moodtune: read a listener's mood from their face and play music that fits it, or lifts it.

Layers (one subpackage each): ``vision`` (face -> emotion, serving; never imports torch),
``datasets`` (face data set readers, numpy only), ``evaluation`` (metrics and reports),
``training`` (torch; optional extra ``[train]``), ``cli`` (the ``moodtune`` command).
"""

from moodtune.errors import MoodtuneError

__version__ = "0.1.0"

__all__ = ["MoodtuneError", "__version__"]
