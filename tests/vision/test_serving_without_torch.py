"""Serving and evaluation never import PyTorch: the service, `moodtune analyze` and
`moodtune evaluate` (crops, whole photos, robustness) run from the base install."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import numpy as np
import moodtune
from moodtune.evaluation import photos, robustness, run
from moodtune.web.app import create_app
face = (np.random.default_rng(0).random((200, 200, 3)) * 255).astype(np.uint8)
moodtune.analyze(face)
leaked = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print("torch modules:", len(leaked))
"""


def test_analysis_evaluation_and_the_app_never_import_torch() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "torch modules: 0" in done.stdout
