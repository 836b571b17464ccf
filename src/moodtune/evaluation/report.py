"""Confusion matrices as PNG (row-normalised, with counts), for ``evaluate --report``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def plot_confusion(cm: np.ndarray, classes: list[str], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    support = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, support, out=np.zeros(cm.shape, dtype=float), where=support > 0)
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(classes), 0.8 + 0.7 * len(classes)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(
                j,
                i,
                f"{100 * norm[i, j]:.0f}%\n{cm[i, j]}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if norm[i, j] > 0.5 else "black",
            )
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_confusion_pngs(result: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    name = result["dataset"].replace(":", "_").replace("/", "_")
    if result["level"] == "emotion":
        p = out_dir / f"{name}_emotions.png"
        plot_confusion(
            np.asarray(result["confusion_matrix"]),
            result["classes"],
            f"{result['dataset']}: accuracy {100 * result['accuracy']:.1f}%",
            p,
        )
        written.append(p)
    mood = result["mood"]
    p = out_dir / f"{name}_moods.png"
    plot_confusion(
        np.asarray(mood["confusion_matrix"]),
        mood["classes"],
        f"{result['dataset']} (moods): accuracy {100 * mood['accuracy']:.1f}%",
        p,
    )
    written.append(p)
    return written
