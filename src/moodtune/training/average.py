"""Weight averaging of one run's checkpoints (Izmailov et al. 2018, "Averaging Weights Leads to
Wider Optima"): the mean of ``best.pt`` (the epoch chosen on Valid) and ``last.pt`` (the end of
the schedule), or of the last epochs a run kept (``keep_epochs``), often reads better than either,
at no cost when serving - it is one network.

``average_run`` writes a new run folder that ``moodtune export`` takes like any other: ``best.pt``
(the averaged weights), ``config.yaml`` (the run's, renamed) and ``metrics.json`` (the run's
history, plus what was averaged). Batch-norm running statistics are averaged like the weights,
or, with ``recompute_bn``, measured anew for the averaged weights by one pass over the training
images (SWA's ``update_bn`` step: the mean of several networks' statistics is not the statistics
of the mean network)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from moodtune.errors import ConfigError
from moodtune.training import data as tdata
from moodtune.training.config import TrainConfig, load_config
from moodtune.training.loop import augmented_batch, build, load_checkpoint, save_weights


def average_weights(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of state dicts of one network. Integer buffers (batch-norm's
    ``num_batches_tracked``) are taken from the first: they count, they do not average."""
    if len(states) < 2:
        raise ConfigError("averaging needs at least two checkpoints")
    first = states[0]
    for other in states[1:]:
        if other.keys() != first.keys() or any(other[k].shape != v.shape for k, v in first.items()):
            raise ConfigError("the checkpoints hold different networks: only one run's checkpoints average")
    out: dict[str, torch.Tensor] = {}
    for key, value in first.items():
        if value.is_floating_point():
            out[key] = (torch.stack([s[key].float() for s in states]).mean(0)).to(value.dtype)
        else:
            out[key] = value.clone()
    return out


def recompute_batch_norm(
    weights: dict[str, torch.Tensor], cfg: TrainConfig
) -> tuple[dict[str, torch.Tensor], int]:
    """``weights`` with their batch-norm running statistics measured anew: one pass in training
    mode over the run's training images, augmented as in training (seeded), no gradient. Returns
    the new weights and how many images were read."""
    torch.set_num_threads(cfg.threads)
    model = build(cfg, pretrained=False)
    model.load_state_dict(weights)
    train = tdata.training_set(cfg, tdata.open_split(cfg, "train"), np.random.default_rng(cfg.seed))
    gen = torch.Generator().manual_seed(cfg.seed)

    def inputs() -> Any:
        for images, _ in tdata.batches(train, cfg.batch_size, cfg.input_size, cfg.seed):
            yield augmented_batch(images, cfg, gen, torch.device("cpu"))[1]

    torch.optim.swa_utils.update_bn(inputs(), model)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, len(train.rows)


DEFAULT_CHECKPOINTS = ("best", "last")
KEPT = "kept"  # stands for every epoch-NNN checkpoint the run kept (keep_epochs)


def expand_kept(run_dir: Path, which: tuple[str, ...]) -> tuple[str, ...]:
    """``which`` with ``kept`` replaced by the run's epoch-NNN checkpoints, in epoch order."""
    if KEPT not in which:
        return which
    kept = tuple(sorted(p.stem for p in run_dir.glob("epoch-*.pt")))
    if not kept:
        raise ConfigError(
            f"{run_dir} kept no epoch-NNN checkpoints: only a run trained with keep_epochs > 0 keeps them; "
            "name best and last instead"
        )
    out: list[str] = []
    for w in which:
        out.extend(kept if w == KEPT else (w,))
    return tuple(out)


def average_run(
    run_dir: Path, out_dir: Path, which: tuple[str, ...] = DEFAULT_CHECKPOINTS, recompute_bn: bool = False
) -> dict[str, Any]:
    """Average the run's ``which`` checkpoints (``best``, ``last``, ``epoch-NNN`` saved by
    ``keep_epochs``, or ``kept`` for all of those) into a new run folder ``out_dir`` (named after
    it); with ``recompute_bn``, measure the batch-norm statistics anew on the training images."""
    cfg = load_config(run_dir / "config.yaml")
    which = expand_kept(run_dir, which)
    if cfg.ema_decay > 0 and "last" in which:
        raise ConfigError(
            f"{run_dir} trained with ema_decay {cfg.ema_decay}: its last.pt holds the raw weights and "
            "the others the moving average; average best and epoch-NNN checkpoints instead"
        )
    if len(set(which)) != len(which):
        raise ConfigError(f"each checkpoint once: {list(which)} names one twice")
    if out_dir.resolve() == run_dir.resolve():
        raise ConfigError("write the averaged run to a new folder (--out), not over the run it comes from")
    missing = [w for w in which if not (run_dir / f"{w}.pt").is_file()]
    if missing:
        have = sorted(p.stem for p in run_dir.glob("*.pt"))
        raise ConfigError(
            f"no checkpoint {', '.join(w + '.pt' for w in missing)} in {run_dir} (it has {have}); "
            "epoch-NNN checkpoints are kept only for the last keep_epochs epochs of a run trained with them"
        )
    checkpoints = [load_checkpoint(run_dir, w) for w in which]
    epochs = [int(c.get("epoch", 0)) for c in checkpoints]
    averaged = average_weights([c["model"] for c in checkpoints])
    averaged_from: dict[str, Any] = {"run": run_dir.name, "checkpoints": list(which), "epochs": epochs}
    if recompute_bn:
        averaged, seen = recompute_batch_norm(averaged, cfg)
        averaged_from["batch_norm"] = f"recomputed on {seen} training images"
    out_dir.mkdir(parents=True, exist_ok=True)
    new_cfg = replace(cfg, name=out_dir.name)
    new_cfg.save(out_dir / "config.yaml")
    save_weights(out_dir / "best.pt", averaged, max(epochs), new_cfg)
    metrics_file = run_dir / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    metrics = {**metrics, "config": new_cfg.to_dict(), "averaged_from": averaged_from}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    if (run_dir / "curves.png").is_file():
        shutil.copy(run_dir / "curves.png", out_dir / "curves.png")
    return averaged_from
