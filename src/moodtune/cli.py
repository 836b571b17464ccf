"""The ``moodtune`` command. Each subcommand is a thin shell over a library function; errors of
the ``MoodtuneError`` family become one line on stderr and their exit code (2 for usage errors)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from moodtune.errors import MoodtuneError, UsageError
from moodtune.music.cli import catalog_app, eval_recs_command, recommend_command, simulate_command
from moodtune.youtube.cli import youtube_app

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Read a listener's mood from their face and play music that fits it, or lifts it.",
)


def _version(value: bool) -> None:
    if value:
        from moodtune import __version__

        typer.echo(f"moodtune {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print moodtune's version and exit"),
    ] = False,
) -> None:
    """Read a listener's mood from their face and play music that fits it, or lifts it."""


app.add_typer(catalog_app, name="catalog", help="The song catalog: build, stats, search, import a CSV.")
app.add_typer(youtube_app, name="youtube", help="YouTube: find and re-check songs' videos, show the quota.")
app.command("recommend")(recommend_command)
app.command("eval-recs")(eval_recs_command)
app.command("simulate")(simulate_command)
# Piped output is not cut to 80 columns: tables stay whole in files and logs.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)  # one error, one line, also in logs

T = TypeVar("T")


def _run(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except MoodtuneError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {exc.message}", highlight=False)
        raise typer.Exit(exc.exit_code) from None


def _require_train_extra() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise UsageError(
            "training needs PyTorch: install the training extra with `pip install -e .[train]` "
            "(or `make train`, which does it)"
        ) from None


@app.command()
def train(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config (configs/NAME.yaml)")
    ] = None,
    resume: Annotated[Path | None, typer.Option(help="continue the run in this folder from last.pt")] = None,
    name: Annotated[str | None, typer.Option(help="run name (folder under --out-dir)")] = None,
    arch: Annotated[str | None, typer.Option(help="architecture: cnn, cnn-wide, effnet-lite0")] = None,
    epochs: Annotated[int | None, typer.Option(help="total epochs (a resumed run may extend them)")] = None,
    batch_size: Annotated[int | None, typer.Option(help="images per step")] = None,
    lr: Annotated[float | None, typer.Option(help="peak learning rate")] = None,
    input_size: Annotated[int | None, typer.Option(help="input size in pixels (48, 64, ...)")] = None,
    targets: Annotated[str | None, typer.Option(help="votes (soft targets) or majority")] = None,
    data: Annotated[str | None, typer.Option(help="FER+ folder in Microsoft's layout")] = None,
    out_dir: Annotated[str | None, typer.Option(help="where run folders go")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch")] = None,
    stop_after: Annotated[
        int | None, typer.Option(help="stop (checkpointed) after N epochs; continue later with --resume")
    ] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="any config key: KEY=VALUE")] = None,
) -> None:
    """Train an emotion model; CLI options override the config file."""

    def go() -> None:
        _require_train_extra()
        from moodtune.training.config import load_config, parse_overrides
        from moodtune.training.loop import fit, resume_run

        overrides: dict[str, Any] = parse_overrides(set_ or [])
        named = {
            "name": name,
            "arch": arch,
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "input_size": input_size,
            "targets": targets,
            "data": data,
            "out_dir": out_dir,
            "threads": threads,
        }
        overrides.update({k: v for k, v in named.items() if v is not None})
        if resume is not None:
            result = resume_run(resume, overrides, stop_after=stop_after)
        else:
            result = fit(load_config(config, overrides), stop_after=stop_after)
        out.print(
            f"run folder: {result.run_dir}  best epoch {result.best_epoch}  "
            f"best valid score {result.best_score:.4f}"
        )

    _run(go)


@app.command()
def export(
    run: Annotated[Path, typer.Argument(help="run folder holding best.pt and config.yaml")],
    out_path: Annotated[Path, typer.Option("--out", help="ONNX file to write (+ .json beside it)")] = Path(
        "emotion.onnx"
    ),
    quantize: Annotated[bool, typer.Option(help="ship a static int8 model (checked on Valid)")] = False,
    data: Annotated[str | None, typer.Option(help="FER+ folder for the checks")] = None,
    model_version: Annotated[
        str | None,
        typer.Option(help="the model's version in its metadata [default: moodtune's version+the run's name]"),
    ] = None,
) -> None:
    """Export a trained run to ONNX + metadata, with parity and accuracy checks."""

    def go() -> None:
        if model_version is not None and not model_version.strip():
            raise UsageError("--model-version is empty: name a version, or leave the option out")
        _require_train_extra()
        from moodtune.training.export import export_run

        result = export_run(run, out_path, data=data, quantized=quantize, version=model_version)
        out.print(f"wrote {result.model_path} ({result.model_path.stat().st_size / 1e6:.2f} MB)")
        out.print(json.dumps(result.checks, indent=2))

    _run(go)


@app.command()
def average(
    run: Annotated[Path, typer.Argument(help="run folder holding best.pt, last.pt and config.yaml")],
    out_dir: Annotated[Path, typer.Option("--out", help="the new run folder (its name names the model)")],
    checkpoint: Annotated[
        list[str] | None,
        typer.Option(
            help="a checkpoint to average: best, last, epoch-NNN, or kept for every epoch-NNN the run "
            "kept (repeat; default best and last)"
        ),
    ] = None,
    recompute_bn: Annotated[
        bool,
        typer.Option(
            "--recompute-bn",
            help="measure the batch-norm statistics anew for the averaged weights (one pass over the "
            "run's training images) instead of averaging them",
        ),
    ] = False,
) -> None:
    """Average a run's checkpoints (best.pt and last.pt unless named) into a new run folder."""

    def go() -> None:
        _require_train_extra()
        from moodtune.training.average import DEFAULT_CHECKPOINTS, average_run

        done = average_run(run, out_dir, tuple(checkpoint or DEFAULT_CHECKPOINTS), recompute_bn)
        bn = f"; batch norm {done['batch_norm']}" if "batch_norm" in done else ""
        out.print(f"wrote {out_dir / 'best.pt'}: the mean of {done['run']} epochs {done['epochs']}{bn}")

    _run(go)


@app.command()
def pack(
    data: Annotated[Path, typer.Argument(help="FER+ folder in Microsoft's layout")],
    out_path: Annotated[Path, typer.Option("--out", help="the .npz to write")] = Path(".pack/ferplus.npz"),
    splits: Annotated[str, typer.Option(help="comma-separated: train, valid, test")] = "train,valid,test",
    train_jpeg: Annotated[
        int | None,
        typer.Option(help="store the training faces as JPEG of this quality (50-100), the rest lossless"),
    ] = None,
) -> None:
    """Pack FER+ (pixels, votes, FER2013 labels) into one .npz, for a machine without ../shared
    (a GPU machine): train there with `--data .pack/ferplus.npz`. Never commit the pack. For a
    small upload beside the repository: `--splits train,valid --train-jpeg 85`
    (scripts/gpu-prepare.sh)."""

    def go() -> None:
        from moodtune.datasets.packed import pack_ferplus

        chosen = tuple(s.strip() for s in splits.split(",") if s.strip())
        written = pack_ferplus(data, out_path, splits=chosen, train_jpeg_quality=train_jpeg)  # type: ignore[arg-type]
        out.print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")

    _run(go)


def _format_report(rep: dict[str, Any], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("class")
    table.add_column("recall", justify="right")
    table.add_column("n", justify="right")
    support = [sum(row) for row in rep["confusion_matrix"]]
    for (cls, rec), n in zip(rep["per_class_recall"].items(), support, strict=True):
        table.add_row(cls, f"{100 * rec:.1f}%", str(n))
    table.caption = (
        f"n={rep['n']}  accuracy {100 * rep['accuracy']:.2f}%  macro F1 {100 * rep['macro_f1']:.2f}%  "
        f"ECE {rep['ece']:.3f}"
    )
    return table


@app.command()
def evaluate(
    dataset: Annotated[
        str,
        typer.Argument(help="ferplus:DIR, fer2013:DIR, folder:DIR (face crops) or photos:DIR (whole photos)"),
    ],
    split: Annotated[str, typer.Option(help="train, valid or test (not for folder:)")] = "test",
    model: Annotated[
        list[Path] | None,
        typer.Option(help="ONNX model (default: the shipped one); repeat it to evaluate an ensemble"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    report: Annotated[Path | None, typer.Option(help="also write confusion matrices as PNG here")] = None,
    threads: Annotated[int, typer.Option(help="onnxruntime threads")] = 1,
    flip: Annotated[
        bool, typer.Option("--flip", help="average each face with its mirror image (twice the model time)")
    ] = False,
    person_pattern: Annotated[
        str | None,
        typer.Option(
            help="photos:DIR only: a regular expression whose first group in each file name names the "
            "person; adds the figures calibrated by each person's own neutral photos"
        ),
    ] = None,
) -> None:
    """Evaluate an emotion model on a labelled face data set; with several --model, the mean of
    their probabilities (an ensemble, e.g. to judge a teacher before distilling it). photos:DIR
    reads whole photos through face detection and alignment, as the service does."""

    def go() -> None:
        from moodtune.evaluation.run import evaluate_model

        result = evaluate_model(
            dataset,
            split=split,
            model_path=model,
            threads=threads,
            report_dir=report,
            flip_average=flip,
            person_pattern=person_pattern,
        )
        if as_json:
            sys.stdout.write(json.dumps(result) + "\n")
            return
        level = "moods" if result["level"] == "mood" else "emotions"
        how = f"v{result['model']['version']}" + (", flip averaged" if flip else "")
        out.print(f"{result['dataset']} with {result['model']['path']} ({how})")
        if result["level"] == "emotion":
            out.print(_format_report(result, f"{len(result['per_class_recall'])} {level}"))
        out.print(_format_report(result["mood"], "3 moods"))
        if "photos" in result:
            ph = result["photos"]
            out.print(f"{ph['faces_read']} of {ph['photos']} photos read; no face found in {ph['no_face']}")
            for path in ph["no_face_paths"]:
                out.print(f"  no face: {path}")
        if "calibrated" in result and result["calibrated"].get("n"):
            cal = result["calibrated"]
            out.print(f"calibrated by each person's own neutral photos ({cal['persons']} persons):")
            out.print(_format_report(cal["mood"], "3 moods, calibrated"))
        if report is not None:
            out.print(f"confusion matrices written to {report}")

    _run(go)


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".heic", ".heif")


def _expand(paths: list[str]) -> list[str]:
    """Files as given, folders walked recursively for images, ``-`` kept for stdin."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            out += sorted(
                str(f) for f in path.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
            )
        else:
            out.append(p)
    return out


def _face_row(table: Table, name: str, i: int, f: Any) -> None:
    q = f.quality
    flags = [k for k in ("too_small", "too_dark", "blurred", "turned_away") if getattr(q, k)]
    x, y, w, h = (round(v) for v in f.face.box)
    table.add_row(
        name,
        str(i + 1),
        f"{x},{y} {w}x{h}",
        f.emotion,
        f"{f.reading.probabilities[f.emotion]:.2f}",
        f.mood,
        f"{f.valence:+.2f}",
        f"{f.arousal:+.2f}",
        ", ".join(flags) or "ok",
    )


def _room_row(table: Table, name: str, room: Any) -> None:
    table.add_row(
        name,
        "room",
        f"{room.faces} faces",
        room.emotion,
        f"{room.probabilities[room.emotion]:.2f}",
        room.mood,
        f"{room.valence:+.2f}",
        f"{room.arousal:+.2f}",
        "",
    )


@app.command()
def analyze(
    paths: Annotated[list[str], typer.Argument(help="image files, folders (recursive), or - for stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines: one object per image")] = False,
    assume_face: Annotated[bool, typer.Option(help="treat each image as one face crop")] = False,
    detector: Annotated[
        str,
        typer.Option(
            help="auto (blazeface, then blazeface-full, whole and in tiles, while faces are small or "
            "absent), blazeface, blazeface-full, haar"
        ),
    ] = "auto",
    annotate_dir: Annotated[
        Path | None, typer.Option("--annotate", help="write copies with boxes and labels here")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="ONNX model (default: the shipped one)")] = None,
    threads: Annotated[int, typer.Option(help="threads for detection and the model")] = 1,
    flip: Annotated[
        bool, typer.Option("--flip", help="average each face with its mirror image (twice the model time)")
    ] = False,
) -> None:
    """Find faces and read their emotion, mood, valence and arousal; with several faces, a "room"
    row pools them (weighted by face size, detection score and quality).

    Exit code 0 when every file was read, 1 when some failed, 2 on usage errors."""
    from rich.progress import Progress

    from moodtune.vision.engine import Analyzer
    from moodtune.vision.image_io import load_image

    engine = _run(lambda: Analyzer(detector=detector, model_path=model, threads=threads, flip_average=flip))
    files = _expand(paths)
    if not files:
        err.print("[red]error[/red] (usage_error): no images found in the given paths")
        raise typer.Exit(2)
    failed = 0
    table = Table(title="moodtune analyze")
    for col in ("image", "#", "box", "emotion", "p", "mood", "valence", "arousal", "quality"):
        table.add_column(col)
    show_progress = err.is_terminal and len(files) > 5
    with Progress(console=err, disable=not show_progress, transient=True) as progress:
        task = progress.add_task("analyzing", total=len(files))
        for name in files:
            progress.advance(task)
            try:
                loaded = load_image(sys.stdin.buffer.read() if name == "-" else Path(name))
                result = engine.analyze_rgb(loaded.rgb, assume_face=assume_face)
            except MoodtuneError as exc:
                failed += 1
                if as_json:
                    sys.stdout.write(json.dumps({"path": name, "error": exc.to_dict()}) + "\n")
                else:
                    err.print(f"[red]error[/red] {name} ({exc.code}): {exc.message}", highlight=False)
                continue
            if as_json:
                sys.stdout.write(json.dumps({"path": name, **result.to_dict()}, ensure_ascii=False) + "\n")
            else:
                if not result.faces:
                    table.add_row(name, "-", "", "no face", "", "", "", "", "")
                for i, f in enumerate(result.faces):
                    _face_row(table, name, i, f)
                if result.room is not None and len(result.faces) > 1:
                    _room_row(table, name, result.room)
            if annotate_dir is not None:
                import cv2

                from moodtune.vision.annotate import annotate

                target = annotate_dir / (("stdin" if name == "-" else Path(name).stem) + ".annotated.png")
                target.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(target), annotate(loaded.rgb, result))
    if not as_json:
        out.print(table)
    raise typer.Exit(1 if failed else 0)


@app.command()
def demo(
    model: Annotated[Path | None, typer.Option(help="ONNX model (default: the shipped one)")] = None,
) -> None:
    """Read the sample faces shipped with moodtune (crops of two public-domain portraits)."""

    def go() -> None:
        import cv2

        from moodtune.samples import sample_faces
        from moodtune.vision.engine import Analyzer

        engine = Analyzer(model_path=model)
        table = Table(title=f"moodtune {engine.meta.version}: sample faces")
        for col in ("face", "emotion", "p", "mood", "p(mood)", "valence", "arousal", "runner-up"):
            table.add_column(col)
        for name, crop in sample_faces():
            f = engine.analyze_rgb(cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB), assume_face=True).faces[0]
            r = f.reading
            second = sorted(r.probabilities.items(), key=lambda kv: -kv[1])[1]
            table.add_row(
                name,
                r.emotion,
                f"{r.probabilities[r.emotion]:.2f}",
                r.mood,
                f"{r.mood_probabilities[r.mood]:.2f}",
                f"{f.valence:+.2f}",
                f"{f.arousal:+.2f}",
                f"{second[0]} {second[1]:.2f}",
            )
        out.print(table)
        out.print("Next: moodtune analyze PHOTO (see moodtune --help)")

    _run(go)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (0.0.0.0: every interface)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None,
    workers: Annotated[int | None, typer.Option(help="server processes (default 1)")] = None,
    https: Annotated[
        bool, typer.Option(help="serve HTTPS with a self-signed certificate (a phone's camera needs HTTPS)")
    ] = False,
    ssl_certfile: Annotated[Path | None, typer.Option(help="your own certificate (PEM)")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="its private key (PEM)")] = None,
) -> None:
    """Start the web service: the page, the API (/api/v1, docs at /docs), /healthz and /metrics.

    Every other setting is a MOODTUNE_* environment variable: see `moodtune settings`."""

    def go() -> None:
        from moodtune.settings import load_settings
        from moodtune.web.server import serve as run_server

        settings = load_settings(host=host, port=port, workers=workers)
        run_server(settings, https=https, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)

    _run(go)


@app.command("settings")
def settings_command(
    markdown: Annotated[bool, typer.Option("--markdown", help="print docs/settings.md")] = False,
) -> None:
    """List every MOODTUNE_* setting with its default and what it does (and its current value)."""

    def go() -> None:
        from moodtune.settings import load_settings, settings_markdown, settings_table

        if markdown:
            sys.stdout.write(settings_markdown())
            return
        current = load_settings()
        table = Table(title="moodtune settings (environment variables)")
        for col in ("variable", "default", "now", "what it does"):
            table.add_column(col)
        for row, name in zip(settings_table(), type(current).model_fields, strict=True):
            value = getattr(current, name)
            table.add_row(
                row["variable"], row["default"], "" if value is None else str(value), row["description"]
            )
        out.print(table)

    _run(go)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
