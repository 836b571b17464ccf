"""``moodtune youtube ...``: find and re-check songs' videos with the Data API (``resolve``), and
show the quota and the cache (``status``). Thin shells over ``moodtune.youtube.resolve``; errors go
through the main CLI's one handler (one line on stderr; exit 2 for a missing or refused key)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")

youtube_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="YouTube: find songs' videos with the Data API, re-check known ones, show the quota.",
)


def _run(fn: Callable[[], T]) -> T:
    from moodtune.cli import _run as run  # the main CLI's one error handler; imported late (cycle)

    return run(fn)


class _Bars:
    """``resolve.Progress`` drawn with rich, on stderr (stdout stays for ``--json``)."""

    def __init__(self, progress: Progress) -> None:
        self.labels = {"recheck": "re-checking known videos", "resolve": "searching songs"}
        self.progress = progress
        self.tasks: dict[str, Any] = {}

    def start(self, phase: str, total: int) -> None:
        self.tasks[phase] = self.progress.add_task(self.labels.get(phase, phase), total=total)

    def advance(self, phase: str, done: int) -> None:
        self.progress.advance(self.tasks[phase], done)


@youtube_app.command()
def resolve(
    limit: Annotated[
        int | None, typer.Option(help="search at most N songs (default: as many as the quota allows)", min=0)
    ] = None,
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck", help="first re-check known videos (catalog ids, reported ones, stale confirmations)"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as one JSON object")] = False,
) -> None:
    """Find a playable video for songs without one (search.list, then videos.list to confirm)."""

    def go() -> None:
        from moodtune.cli import err, out
        from moodtune.music.catalog import Catalog
        from moodtune.settings import load_settings
        from moodtune.store import Store
        from moodtune.youtube.service import YouTube

        settings = load_settings()
        with Store(settings.resolved_database_url) as store:
            youtube = YouTube(settings, store)
            catalog = Catalog.load(settings.catalog)
            with youtube.client("resolve") as client:
                resolver = youtube.resolver(client)
                columns = (
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                )
                # Drawn while it runs on a terminal, then cleared: the summary is what stays.
                with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bars:
                    summary = resolver.run(catalog, limit=limit, recheck=recheck, progress=_Bars(bars))
            youtube.close()
        if as_json:
            sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
            return
        table = Table(title="moodtune youtube resolve", show_header=False)
        table.add_column("what")
        table.add_column("", justify="right")
        rows: list[tuple[str, Any]] = []
        if recheck:
            rows += [
                ("videos re-checked", summary.videos_checked),
                ("  confirmed playable", summary.videos_confirmed),
                ("  unplayable", summary.videos_unplayable),
                ("  marks cleared (playable again)", summary.marks_cleared),
                ("  newly marked unplayable", summary.videos_marked),
            ]
        rows += [
            ("songs searched", summary.songs_searched),
            ("  resolved (confirmed video)", summary.songs_resolved),
            ("  no match", summary.songs_no_match),
            ("  searched by an earlier run (checked only)", summary.searches_reused),
            ("songs still without a video", summary.songs_left),
            ("  searched, candidates to check next run", summary.searches_pending),
            ("quota spent (units)", summary.quota_spent),
            ("quota left today", f"{summary.quota_left} of {summary.quota_limit}"),
            ("stopped on quota", "yes" if summary.stopped_on_quota else "no"),
        ]
        for what, value in rows:
            table.add_row(what, str(value))
        out.print(table)
        if summary.resume:
            out.print(summary.resume, highlight=False, markup=False, soft_wrap=True)

    _run(go)


@youtube_app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """What is configured, today's quota, and what the cache holds."""

    def go() -> None:
        from moodtune.cli import out
        from moodtune.settings import load_settings
        from moodtune.store import Store
        from moodtune.youtube.service import YouTube

        settings = load_settings()
        with Store(settings.resolved_database_url) as store:
            youtube = YouTube(settings, store)
            info = youtube.status()
            resolutions = store.resolutions()
            checks = store.video_checks()
            youtube.close()
        info["cache"] = {
            "songs_confirmed": sum(r.status == "confirmed" for r in resolutions.values()),
            "songs_no_match": sum(r.status == "no_match" for r in resolutions.values()),
            "songs_searched": sum(r.status == "searched" for r in resolutions.values()),
            "videos_confirmed": sum(c.status == "confirmed" for c in checks.values()),
            "videos_unplayable": sum(c.status == "unplayable" for c in checks.values()),
        }
        info["missing"] = {"search": youtube.missing("search"), "playlists": youtube.missing("playlists")}
        if as_json:
            sys.stdout.write(json.dumps(info) + "\n")
            return
        quota = info["quota"]
        playlists = "on" if info["playlists"] else "off, set " + ", ".join(info["missing"]["playlists"])
        lines = [
            f"search (MOODTUNE_YOUTUBE_API_KEY): {'on' if info['search'] else 'off'}",
            f"saving playlists: {playlists}",
            f"quota {quota['day']} (Pacific): {quota['spent']} of {quota['limit']} units spent, "
            f"{quota['left']} left",
            "cache: {songs_confirmed} songs resolved, {songs_no_match} without a match, {songs_searched} "
            "searched with candidates still to check, {videos_confirmed} videos confirmed, "
            "{videos_unplayable} unplayable".format(**info["cache"]),
        ]
        for line in lines:
            out.print(line, highlight=False, markup=False, soft_wrap=True)

    _run(go)
