"""Fit a model: AdamW with warm-up and cosine decay, class-weighted soft-target cross-entropy,
validation every epoch, early stopping, checkpoints (``last.pt`` every epoch, ``best.pt`` on a
better validation score) and ``--resume`` from ``last.pt``.

A run folder holds ``config.yaml`` (resolved), ``metrics.json`` (history, best epoch, the best
checkpoint's validation report), ``curves.png``, ``last.pt``, ``best.pt`` and ``train.log`` (the
run's own log over every call that trained it: ``RunLog``).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from moodtune.emotions import DEFAULT_MOOD_GROUPS, EMOTIONS
from moodtune.errors import ConfigError
from moodtune.evaluation.evaluate import evaluate_probs, predict_dataset
from moodtune.training import data as tdata
from moodtune.training.augment import augment, to_tensor
from moodtune.training.config import TrainConfig, load_config
from moodtune.training.nets import build_model

console = Console(stderr=True)


@dataclass
class RunResult:
    run_dir: Path
    best_epoch: int
    best_score: float
    history: list[dict[str, Any]]


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``-sum_k w_k t_k log p_k``."""
    return -(F.log_softmax(logits, dim=1) * targets * weights).sum(dim=1).mean()


def lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def build(cfg: TrainConfig, pretrained: bool = True) -> torch.nn.Module:
    """The run's network; ``pretrained=False`` skips loading ImageNet weights into a transfer model
    whose every weight is about to come from a checkpoint."""
    kwargs = cfg.arch_kwargs if pretrained else {**cfg.arch_kwargs, "pretrained": False}
    return build_model(cfg.arch, num_classes=len(EMOTIONS), **kwargs)


def augmented_batch(
    images: np.ndarray, cfg: TrainConfig, gen: torch.Generator, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of uint8 faces as training feeds it: augmented in [0, 1] (what teachers read), and
    normalised (what the network reads)."""
    x01 = augment(to_tensor(torch.from_numpy(images).to(device)), cfg.augment, gen)
    return x01, (x01 - cfg.mean) / cfg.std


def load_checkpoint(run_dir: Path, which: str = "best") -> dict[str, Any]:
    """What a run saved in ``which.pt`` (on the CPU): ``model`` (the weights), ``epoch``, ``config``."""
    ckpt_path = run_dir / f"{which}.pt"
    if not ckpt_path.is_file():
        raise ConfigError(f"no checkpoint {ckpt_path}: train first (moodtune train) or pass a run folder")
    ckpt: dict[str, Any] = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    return ckpt


def trained_weights(run_dir: Path, which: str = "best") -> dict[str, torch.Tensor]:
    """The weights a run saved in ``which.pt`` (on the CPU)."""
    weights: dict[str, torch.Tensor] = load_checkpoint(run_dir, which)["model"]
    return weights


def save_weights(path: Path, weights: dict[str, torch.Tensor], epoch: int, cfg: TrainConfig) -> None:
    """A weights-only checkpoint (best.pt, epoch-NNN.pt, an averaged run's best.pt)."""
    torch.save({"model": weights, "epoch": epoch, "config": cfg.to_dict()}, path)


def load_trained(run_dir: Path, which: str = "best") -> tuple[torch.nn.Module, TrainConfig]:
    """A trained model (eval mode, on the CPU) and its run's configuration."""
    weights = trained_weights(run_dir, which)
    cfg = load_config(run_dir / "config.yaml")
    model = build(cfg, pretrained=False)  # the checkpoint holds every weight
    model.load_state_dict(weights)
    model.eval()
    return model, cfg


def start_from(model: torch.nn.Module, run_dir: Path) -> None:
    """Load a trained run's best weights into ``model`` (fine-tuning), refusing another shape."""
    weights = trained_weights(run_dir)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[:3]
        raise ConfigError(
            f"init_from {run_dir} holds another network than this config builds "
            f"(arch and arch_kwargs must match the run's config.yaml): {' '.join(first)}"
        ) from None


class Teachers:
    """Knowledge distillation (Hinton et al. 2015, "Distilling the Knowledge in a Neural Network"):
    the mean of the teachers' temperature-softened probabilities on the student's own augmented
    batch; each teacher sees it at its own input size and normalisation."""

    def __init__(self, run_dirs: list[str], temperature: float, device: torch.device) -> None:
        self.members = []
        for d in run_dirs:
            model, tcfg = load_trained(Path(d))
            self.members.append((model.to(device), tcfg))
        self.temperature = temperature

    def soft_targets(self, x01: torch.Tensor) -> torch.Tensor:
        probs = []
        with torch.no_grad():
            for model, tcfg in self.members:
                x = x01
                if x.shape[-1] != tcfg.input_size:
                    x = F.interpolate(
                        x, size=(tcfg.input_size, tcfg.input_size), mode="bilinear", align_corners=False
                    )
                probs.append(
                    torch.softmax(model((x - tcfg.mean) / tcfg.std).float() / self.temperature, dim=1)
                )
        return torch.stack(probs).mean(0)


def distillation_loss(logits: torch.Tensor, soft: torch.Tensor, temperature: float) -> torch.Tensor:
    """``T^2 * KL(teacher || student)`` at temperature ``T`` (the T^2 keeps gradients comparable)."""
    log_p = F.log_softmax(logits / temperature, dim=1)
    return (soft * (torch.log(soft.clamp_min(1e-8)) - log_p)).sum(1).mean() * temperature**2


def weight_average(model: torch.nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel | None:
    """An exponential moving average of ``model``'s weights and batch-norm statistics (None for
    decay 0). Validating the average instead of the last step's weights smooths the epoch-to-epoch
    noise of small-batch training (Polyak & Juditsky 1992)."""
    if decay <= 0:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda asked for, but torch sees no CUDA GPU; use device: auto or cpu")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def _autocast(cfg: TrainConfig, device: torch.device) -> Any:
    return torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=cfg.amp and device.type == "cuda"
    )


def make_predict(model: torch.nn.Module, cfg: TrainConfig) -> Any:
    device = next(model.parameters()).device

    def predict(images: np.ndarray) -> np.ndarray:
        x = (to_tensor(torch.from_numpy(images)).to(device) - cfg.mean) / cfg.std
        if cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad(), _autocast(cfg, device):
            return torch.softmax(model(x).float(), dim=1).cpu().numpy()

    return predict


def _score(report: dict[str, Any], metric: str, loss: float) -> float:
    if metric == "loss":
        return -loss
    if metric == "mood_accuracy":
        return float(report["mood"]["accuracy"])
    return float(report[metric])


def _plot(history: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(ep, [h["train_loss"] for h in history], label="train")
    a.plot(ep, [h["valid_loss"] for h in history], label="valid")
    a.set_xlabel("epoch")
    a.set_ylabel("loss")
    a.legend()
    b.plot(ep, [h["valid_accuracy"] for h in history], label="valid accuracy (8 emotions)")
    b.plot(ep, [h["valid_mood_accuracy"] for h in history], label="valid accuracy (3 moods)")
    b.plot(ep, [h["valid_macro_f1"] for h in history], label="valid macro F1")
    b.set_xlabel("epoch")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fit_to_budget(
    epoch: int, elapsed_s: float, budget_s: float, epochs: int, epoch_seconds: float | None = None
) -> int:
    """The last epoch of a schedule that fits the budget: after ``elapsed_s`` of this call, with
    epochs of ``epoch_seconds`` (default: ``elapsed_s``, the first epoch's own time) from here on
    (the epoch just finished counts; at least that one, at most the planned ``epochs``)."""
    per_epoch = elapsed_s if epoch_seconds is None else epoch_seconds
    more = int((budget_s - elapsed_s) // max(per_epoch, 1e-9))
    return max(epoch, min(epochs, epoch + more))


def new_run_dir(cfg: TrainConfig) -> Path:
    base = Path(cfg.out_dir) / cfg.name
    if not base.exists():
        return base
    return Path(cfg.out_dir) / f"{cfg.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def utc_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


class RunLog:
    """``RUN/train.log``: the run's own plain-text log, appended to by every call of ``fit`` (a
    line when it starts or resumes, the console's line for each epoch, a line when it stops), so a
    run trained over several calls keeps its whole log beside its checkpoint. Each line is
    written and flushed on its own: a killed call keeps what it wrote. As a context manager, it
    logs the exception that ends a call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stopped = False

    def line(self, text: str) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(text.rstrip("\n") + "\n")
            f.flush()

    def stop(self, text: str) -> None:
        self.line(f"{utc_now()}  {text}")
        self.stopped = True

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is not None and not self.stopped:
            what = "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed"
            detail = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else ""
            self.stop(f"{what}: {exc_type.__name__}" + (f": {detail}" if detail else ""))


def fit(
    cfg: TrainConfig,
    run_dir: Path | None = None,
    resume: bool = False,
    quiet: bool = False,
    stop_after: int | None = None,
) -> RunResult:
    """Train per ``cfg``; with ``resume``, continue the run in ``run_dir`` from ``last.pt``.

    ``stop_after`` ends this call after that many epochs (checkpointed), so a long schedule can
    be trained over several calls with ``--resume``; the schedule itself is unchanged."""
    cfg.require_checkpoints()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    run_dir = run_dir or new_run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg.save(run_dir / "config.yaml")

    rng = np.random.default_rng(cfg.seed)
    train = tdata.training_set(cfg, tdata.open_split(cfg, "train"), rng)
    valid = tdata.open_split(cfg, "valid")
    valid_rows = valid.labelled
    if cfg.limit_valid:
        valid_rows = valid_rows[: cfg.limit_valid]
    device = resolve_device(cfg.device)
    weights = torch.from_numpy(tdata.class_weights(train.targets, cfg.class_balance)).to(device)
    valid_targets = torch.from_numpy(valid.targets[valid_rows])

    model = build(cfg).to(device)
    if cfg.init_from and not resume:
        start_from(model, Path(cfg.init_from))
    teachers = Teachers(cfg.teachers, cfg.distill_temperature, device) if cfg.teachers else None
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    opt = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(train.rows) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    warmup = max(1, int(cfg.warmup_epochs * steps_per_epoch))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, total_steps, warmup))

    ema = weight_average(model, cfg.ema_decay)
    kept = ema.module if ema is not None else model  # what is validated and saved as best.pt
    history: list[dict[str, Any]] = []
    start_epoch, best_score, best_epoch, stale = 1, -math.inf, 0, 0
    if resume:
        ckpt_path = run_dir / "last.pt"
        if not ckpt_path.is_file():
            raise ConfigError(f"cannot resume: {ckpt_path} not found. Start the run without --resume.")
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])  # onto the model's device
        if ema is not None and ckpt.get("ema") is not None:
            ema.load_state_dict(ckpt["ema"])  # else (averaging switched on now) it starts here
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        history = ckpt["history"]
        start_epoch = ckpt["epoch"] + 1
        best_score, best_epoch, stale = ckpt["best_score"], ckpt["best_epoch"], ckpt["stale"]
        torch.set_rng_state(ckpt["torch_rng"])
        # A resumed run may extend the schedule (more epochs): keep the step count, new total.
        sched.lr_lambdas[0] = lambda s: lr_factor(s, total_steps, warmup)
        if not quiet:
            console.print(
                f"resuming {run_dir} at epoch {start_epoch} (best {best_score:.4f} at {best_epoch})"
            )

    run_log = RunLog(run_dir / "train.log")  # written whether or not quiet
    call = f"on {device}" + (f", --stop-after {stop_after}" if stop_after is not None else "")
    call += f", time budget {cfg.time_budget_s:g}s" if cfg.time_budget_s > 0 else ""
    if resume:
        run_log.line(
            f"{utc_now()}  resumed at epoch {start_epoch} of {cfg.epochs}: {cfg.name} "
            f"(best valid {cfg.select_metric} {best_score:.4f} at epoch {best_epoch}), {call}"
        )
    else:
        run_log.line(f"{utc_now()}  started {cfg.name}: {cfg.epochs} epochs, arch {cfg.arch}, {call}")

    def best_so_far() -> str:
        return f"best valid {cfg.select_metric} {best_score:.4f} at epoch {best_epoch}"

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=quiet, transient=False) as progress, run_log:
        epochs_task = progress.add_task("epochs", total=cfg.epochs, completed=start_epoch - 1, info="")
        call_started = time.time()
        budget_epochs = cfg.epochs  # the most a time budget may plan
        epoch = start_epoch
        while epoch <= cfg.epochs:  # a time budget may shorten the schedule as it runs
            epoch_started = time.time()
            if stale >= cfg.patience:
                run_log.stop(
                    f"stopped early after epoch {epoch - 1} of {cfg.epochs}: no better valid "
                    f"{cfg.select_metric} for {stale} epochs (patience {cfg.patience}); {best_so_far()}"
                )
                break
            if stop_after is not None and epoch - start_epoch >= stop_after:
                run_log.stop(
                    f"stopped after --stop-after {stop_after} (epoch {epoch - 1} of {cfg.epochs}); "
                    f"{best_so_far()}; continue with: moodtune train --resume {run_dir}"
                )
                break
            t0 = time.time()
            model.train()
            # Seeded per epoch, so a resumed run augments exactly as an uninterrupted one.
            gen = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
            task = progress.add_task(f"epoch {epoch}", total=steps_per_epoch, info="")
            loss_sum, seen = 0.0, 0
            for images, targets in tdata.batches(
                train, cfg.batch_size, cfg.input_size, cfg.seed * 1000 + epoch
            ):
                x01, x = augmented_batch(images, cfg, gen, device)
                if cfg.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                t = torch.from_numpy(targets).to(device)
                if cfg.label_smoothing:
                    t = t * (1 - cfg.label_smoothing) + cfg.label_smoothing / t.shape[1]
                with _autocast(cfg, device):
                    logits = model(x)
                loss = soft_cross_entropy(logits.float(), t, weights)
                if teachers is not None:
                    soft = teachers.soft_targets(x01)
                    kd = distillation_loss(logits.float(), soft, cfg.distill_temperature)
                    loss = (1 - cfg.distill_alpha) * loss + cfg.distill_alpha * kd
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                if ema is not None:
                    ema.update_parameters(model)
                loss_sum += loss.item() * len(images)
                seen += len(images)
                progress.update(task, advance=1, info=f"loss {loss_sum / seen:.4f}")
            progress.remove_task(task)
            train_time = time.time() - t0

            kept.eval()
            probs = predict_dataset(make_predict(kept, cfg), valid, cfg.input_size, indices=valid_rows)
            report = evaluate_probs(
                probs, valid.labels[valid_rows], valid.classes, valid.level, EMOTIONS, DEFAULT_MOOD_GROUPS
            )
            vloss = float(-(torch.log(torch.from_numpy(probs).clamp_min(1e-8)) * valid_targets).sum(1).mean())
            row = {
                "epoch": epoch,
                "lr": opt.param_groups[0]["lr"],
                "train_loss": loss_sum / max(seen, 1),
                "valid_loss": vloss,
                "valid_accuracy": report["accuracy"],
                "valid_macro_f1": report["macro_f1"],
                "valid_mood_accuracy": report["mood"]["accuracy"],
                "valid_mood_recall": report["mood"]["per_class_recall"],
                "train_seconds": round(train_time, 1),
            }
            history.append(row)
            if cfg.time_budget_s > 0 and epoch in (start_epoch, start_epoch + 1):
                # Planned after the call's first epoch (its time includes loading and warm-up, so
                # the plan is cautious), then again after the second, at the steady pace.
                now = time.time()
                planned = fit_to_budget(
                    epoch,
                    now - call_started,
                    cfg.time_budget_s,
                    budget_epochs,
                    None if epoch == start_epoch else now - epoch_started,
                )
                if planned != cfg.epochs:
                    cfg.epochs = planned
                    total_steps = steps_per_epoch * cfg.epochs  # the schedule's lambda reads it
                    cfg.save(run_dir / "config.yaml")
                    progress.update(epochs_task, total=cfg.epochs)
                    replanned = (
                        f"time budget {cfg.time_budget_s:.0f}s: the schedule now ends at epoch {cfg.epochs}"
                    )
                    run_log.line(replanned)
                    if not quiet:
                        console.print(replanned)
            score = _score(report, cfg.select_metric, vloss)
            improved = score > best_score
            if improved:
                best_score, best_epoch, stale = score, epoch, 0
                save_weights(run_dir / "best.pt", kept.state_dict(), epoch, cfg)
                (run_dir / "best_valid_report.json").write_text(json.dumps(report, indent=2) + "\n")
            else:
                stale += 1
            if cfg.keep_epochs and epoch > cfg.epochs - cfg.keep_epochs:
                save_weights(run_dir / f"epoch-{epoch:03d}.pt", kept.state_dict(), epoch, cfg)
            torch.save(
                {
                    "model": model.state_dict(),
                    "ema": None if ema is None else ema.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "epoch": epoch,
                    "history": history,
                    "best_score": best_score,
                    "best_epoch": best_epoch,
                    "stale": stale,
                    "torch_rng": torch.get_rng_state(),
                    "config": cfg.to_dict(),
                },
                run_dir / "last.pt",
            )
            metrics = {
                "config": cfg.to_dict(),
                "best_epoch": best_epoch,
                "select_metric": cfg.select_metric,
                "best_score": best_score,
                "history": history,
                "train_images": len(train.rows),
                "valid_images": len(valid_rows),
                "parameters": int(sum(p.numel() for p in model.parameters())),
                "wall_seconds": round(sum(h["train_seconds"] for h in history), 1),
            }
            (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
            _plot(history, run_dir / "curves.png")
            progress.update(
                epochs_task,
                advance=1,
                info=f"valid acc {report['accuracy']:.4f} mood {report['mood']['accuracy']:.4f}"
                + (" *" if improved else ""),
            )
            done = (
                f"epoch {epoch}: train loss {row['train_loss']:.4f} valid loss {vloss:.4f} "
                f"acc {report['accuracy']:.4f} f1 {report['macro_f1']:.4f} "
                f"mood {report['mood']['accuracy']:.4f} ({train_time:.0f}s)" + (" best" if improved else "")
            )
            run_log.line(done)
            if not quiet:
                console.print(done)
            epoch += 1
        if not run_log.stopped:
            last = history[-1]["epoch"] if history else 0
            if cfg.epochs < budget_epochs:
                why = (
                    f"finished at epoch {last}: the time budget ({cfg.time_budget_s:g}s a call) "
                    f"cut the schedule from {budget_epochs} to {cfg.epochs} epochs"
                )
            else:
                why = f"finished: epoch {last} of {cfg.epochs}"
            run_log.stop(f"{why}; {best_so_far()}; {time.time() - call_started:.0f}s this call")
    return RunResult(run_dir=run_dir, best_epoch=best_epoch, best_score=best_score, history=history)


def resume_run(
    run_dir: Path, overrides: dict[str, Any] | None = None, quiet: bool = False, stop_after: int | None = None
) -> RunResult:
    cfg = load_config(run_dir / "config.yaml", overrides)
    return fit(cfg, run_dir=run_dir, resume=True, quiet=quiet, stop_after=stop_after)
