"""``moodtune catalog ...``: build, inspect, search and extend the song catalog; and
``moodtune recommend`` (``recommend_command``, registered by the main CLI): songs for a mood.

Each command is a thin shell over ``moodtune.music.catalog``, ``moodtune.music.build`` and
``moodtune.music.recommender``; errors of the ``MoodtuneError`` family go through the main CLI's
one handler (one line on stderr, exit code 2 for usage errors, 1 otherwise).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from moodtune.music.catalog import CATALOG_PATH, user_catalog_path

if TYPE_CHECKING:
    from moodtune.music.catalog import Song
    from moodtune.music.plan import Reading

T = TypeVar("T")

catalog_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="The song catalog: build it from shared/data/music, show its counts, search it, import a CSV.",
)

DEFAULT_SOURCE = Path("../shared/data/music")

CatalogOption = Annotated[
    Path | None, typer.Option("--catalog", help="catalog file (default: the one shipped with moodtune)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON object")]


def _run(fn: Callable[[], T]) -> T:
    from moodtune.cli import _run as run  # the main CLI's one error handler; imported late (cycle)

    return run(fn)


def _print(line: str) -> None:
    from moodtune.cli import out

    out.print(line, highlight=False, markup=False, soft_wrap=True)


def _json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _song_cells(song: Song, *, mark_estimated: bool = False) -> list[str]:
    """title, artist, year, valence, energy, youtube: a song's cells in the CLI's tables; with
    ``mark_estimated``, features estimated from the mood tag end in ``~``."""

    def feature(name: str, value: float | None) -> str:
        if value is None:
            return ""
        return f"{value:.2f}" + ("~" if mark_estimated and name in song.estimated else "")

    return [
        escape(song.title),
        escape(song.artist),
        "" if song.year is None else str(song.year),
        feature("valence", song.valence),
        feature("energy", song.energy),
        song.youtube_id or "",
    ]


@catalog_app.command()
def build(
    source: Annotated[
        Path, typer.Option("--source", help="folder with seed_playlists.csv and the Spotify feature files")
    ] = DEFAULT_SOURCE,
    out_path: Annotated[
        Path, typer.Option("--out", help="catalog file to write (default: the one shipped with moodtune)")
    ] = CATALOG_PATH,
    as_json: JsonOption = False,
) -> None:
    """Build the catalog from the source files; prints what was read, kept, merged and skipped."""

    def go() -> None:
        from moodtune.music.build import build_catalog

        catalog, report = build_catalog(source)
        written = catalog.save(out_path)
        if as_json:
            _json({"path": str(written), **report.to_dict()})
            return
        for line in report.lines():
            _print(line)
        _print(f"wrote {written} ({len(catalog)} songs, {written.stat().st_size / 1e6:.2f} MB)")

    _run(go)


@catalog_app.command()
def stats(catalog: CatalogOption = None, as_json: JsonOption = False) -> None:
    """Count the catalog's songs by source, language, decade and genre."""

    def go() -> None:
        from moodtune.cli import out
        from moodtune.music.catalog import Catalog

        counts = Catalog.load(catalog).stats()
        if as_json:
            _json(counts)
            return
        _print(
            f"{counts['songs']} songs; {counts['with_youtube_id']} with a YouTube id; "
            f"{counts['with_language']} with a known language; "
            f"{counts['with_measured_valence_energy']} with measured valence and energy; "
            f"{counts['with_estimated_features']} with estimated features"
        )
        for key, title in (
            ("by_source", "source"),
            ("by_language", "language"),
            ("by_decade", "decade"),
            ("by_genre", "genre (top 15)"),
        ):
            table = Table(title=title)
            table.add_column(title.split(" ")[0])
            table.add_column("songs", justify="right")
            for name, n in list(counts[key].items())[:15]:
                table.add_row(escape(name), str(n))
            out.print(table)

    _run(go)


@catalog_app.command()
def search(
    query: Annotated[str, typer.Argument(help="part of a title or an artist (any case, accents, Korean)")],
    limit: Annotated[int, typer.Option(min=1, help="at most this many songs")] = 20,
    catalog: CatalogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find songs by title or artist."""

    def go() -> None:
        from moodtune.cli import out
        from moodtune.music.catalog import Catalog

        songs = Catalog.load(catalog).search(query, limit=limit)
        if as_json:
            _json({"query": query, "count": len(songs), "songs": [s.to_dict() for s in songs]})
            return
        table = Table(title=escape(f"{len(songs)} songs for {query!r}"))
        for col in ("id", "title", "artist", "year", "valence", "energy", "youtube"):
            table.add_column(col)
        for s in songs:
            table.add_row(s.id, *_song_cells(s, mark_estimated=True))
        table.caption = "~ estimated from the song's mood tag"
        out.print(table)

    _run(go)


@catalog_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV with title and artist columns (see DATA.md for the rest)")
    ],
    catalog: CatalogOption = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="catalog file to write (default: the --catalog file, else your own catalog in "
            "$MOODTUNE_DATA_DIR or ~/.local/share/moodtune, which then becomes the default)",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add the songs of a CSV to the catalog; bad rows are reported with their line and left out.

    Exit code 0 when every row was good, 1 when some were bad (the good ones are still added),
    2 on usage errors."""

    def go() -> int:
        from moodtune.music.build import import_csv
        from moodtune.music.catalog import Catalog

        before = Catalog.load(catalog)
        merged, report = import_csv(file, before)
        target = out_path or catalog or user_catalog_path()
        merged.save(target)
        summary = {
            "path": str(target),
            "songs_before": len(before),
            "songs_after": len(merged),
            **report.to_dict(),
        }
        if as_json:
            _json(summary)
        else:
            _print(
                f"{report.source}: {report.rows_read} rows read, {report.rows_kept} kept "
                f"({report.rows_merged} merged into songs already in the catalog), "
                f"{report.rows_skipped} skipped, {report.values_dropped} values dropped"
                + (f"  [{report.note}]" if report.note else "")
            )
            for reason, examples in report.examples.items():
                _print(f"  {report.reasons[reason]} x {reason}")
                for example in examples:
                    _print(f"    {example}")
            _print(f"wrote {target} ({len(before)} -> {len(merged)} songs)")
        return report.rows_with_issues

    bad = _run(go)
    raise typer.Exit(1 if bad else 0)


def _reading(
    mood: str | None, valence: float | None, arousal: float | None, probabilities: str | None
) -> Reading:
    """Exactly one of --mood, --valence with --arousal, --probabilities -> a checked ``Reading``."""
    from moodtune.errors import UsageError
    from moodtune.music.plan import Reading

    given = [
        name
        for name, value in (
            ("--mood", mood),
            ("--valence/--arousal", valence if valence is not None else arousal),
            ("--probabilities", probabilities),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise UsageError(
            "give the listener's mood in exactly one way: --mood negative|neutral|positive, "
            "--valence V --arousal A (each in [-1, 1]), or --probabilities NEG,NEU,POS"
            + (f"; got {' and '.join(given)}" if given else "; got none")
        )
    if mood is not None:
        return Reading.from_mood(mood)
    if probabilities is not None:
        parts = [p.strip() for p in probabilities.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise UsageError(
                "--probabilities must be three numbers NEG,NEU,POS such as 0.1,0.3,0.6, "
                f"but got {probabilities!r}"
            ) from None
        return Reading.from_probabilities(values)
    if valence is None or arousal is None:
        missing = "--arousal" if arousal is None else "--valence"
        raise UsageError(f"--valence and --arousal go together, but {missing} is missing")
    return Reading.from_point(valence, arousal)


def recommend_command(
    mood: Annotated[
        str | None, typer.Option("--mood", help="listener mood: negative, neutral or positive")
    ] = None,
    valence: Annotated[float | None, typer.Option("--valence", help="listener valence in [-1, 1]")] = None,
    arousal: Annotated[float | None, typer.Option("--arousal", help="listener arousal in [-1, 1]")] = None,
    probabilities: Annotated[
        str | None, typer.Option("--probabilities", help="mood probabilities NEG,NEU,POS, e.g. 0.1,0.3,0.6")
    ] = None,
    strategy: Annotated[
        str, typer.Option("--strategy", "-s", help="match, lift (toward a lighter mood), calm or energize")
    ] = "match",
    n: Annotated[int, typer.Option("-n", "--songs", help="how many songs")] = 20,
    lang: Annotated[
        str | None, typer.Option("--lang", help="only songs in this language (ko, en, ...)")
    ] = None,
    genre: Annotated[str | None, typer.Option("--genre", help="only this genre and its sub-genres")] = None,
    decade: Annotated[
        str | None, typer.Option("--decade", help="only songs of this decade, e.g. 1990s")
    ] = None,
    youtube_only: Annotated[
        bool, typer.Option("--youtube-only", help="only songs with a YouTube id")
    ] = False,
    playable_only: Annotated[
        bool,
        typer.Option(
            "--playable-only",
            help="only songs the web page plays: a YouTube id or a Spotify id (the page's default)",
        ),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="breaks ties; the same seed gives the same list")] = 0,
    catalog: CatalogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recommend songs for a listener's mood: match it, lift it, calm it or energize it.

    Each song comes with a one-line reason; a filter that cannot judge a song leaves it out.

    Exit code 0, or 2 on usage errors."""

    def go() -> None:
        from moodtune.cli import out
        from moodtune.music.catalog import Catalog
        from moodtune.music.plan import make_plan
        from moodtune.music.rank import Filters
        from moodtune.music.recommender import CatalogMoodRecommender

        reading = _reading(mood, valence, arousal, probabilities)
        make_plan(reading, strategy, n)  # checks strategy and n before the catalog is read
        filters = Filters(
            language=lang, genre=genre, decade=decade, youtube_only=youtube_only, playable_only=playable_only
        )
        recommender = CatalogMoodRecommender(Catalog.load(catalog))
        result = recommender.recommend(reading, strategy, n, filters=filters, seed=seed)
        if as_json:
            _json(result.to_dict())
            return
        plan = result.plan
        table = Table(title=escape(f"{plan.strategy} for a {plan.reading.mood} mood: {len(result)} songs"))
        for col in ("#", "title", "artist", "year", "valence", "energy", "youtube", "reason"):
            table.add_column(col)
        for i, rec in enumerate(result, 1):
            table.add_row(str(i), *_song_cells(rec.song), escape(rec.reason))
        unjudged = result.unjudged
        if unjudged["songs"]:
            parts = ", ".join(f"{k} {v}" for k, v in unjudged["by_filter"].items())
            table.caption = (
                f"{unjudged['songs']} songs left out because a filter could not judge them ({parts})"
            )
        out.print(table)

    _run(go)


def _figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def eval_recs_command(
    data_moods: Annotated[
        Path,
        typer.Option(
            "--data-moods",
            help="data_moods.csv, for the out-of-fold mood consistency (skipped when the file is missing)",
        ),
    ] = DEFAULT_SOURCE / "data_moods.csv",
    as_json: JsonOption = False,
) -> None:
    """Evaluate the mood recommender on the shipped catalog: mood model accuracy, mood consistency,
    the curators' playlists (ROC AUC), lift, diversity and coverage, how each mood x strategy list
    sounds (mean valence and energy), and which goals are met (see moodtune.music.evaluate).

    Exit code 0, or 1 when the catalog or the mood model cannot be read."""

    def go() -> None:
        from moodtune.cli import out
        from moodtune.emotions import MOODS
        from moodtune.music.evaluate import SOUND_LENGTH, evaluate_recommender

        report = evaluate_recommender(data_moods=data_moods if data_moods.is_file() else None)
        if as_json:
            _json(report)
            return
        model = report["mood_model"]
        _print(
            f"catalog: {report['catalog']['songs']} songs ({report['catalog']['placed']} placed); "
            f"mood model {model['folds']}-fold accuracy on {model['data']} (stored): "
            f"{100 * model['accuracy_mean']:.1f}% +- {100 * model['accuracy_std']:.1f}"
        )
        cons, cur, lift = report["consistency"], report["curators"], report["lift"]
        table = Table(title="per listener mood")
        table.add_column("")
        for col in (*MOODS, "mean"):
            table.add_column(col, justify="right")
        for name in ("in_sample", "out_of_fold"):
            if name in cons:
                shares = [cons[name][m]["share"] for m in MOODS]
                table.add_row(
                    f"consistency, top 10 ({name.replace('_', ' ')}, {cons['songs']} songs)",
                    *(_figure(s, 2) for s in shares),
                    "",
                )
        for subset in ("all", "measured"):
            table.add_row(
                f"curators' AUC ({subset}, {cur['songs'][subset]} songs)",
                *(_figure(cur[subset][m]) for m in MOODS),
                _figure(cur[subset]["mean"]),
            )
        table.add_row(
            "lift valence, first -> last third",
            *(f"{lift[m]['first_third_valence']:.2f} -> {lift[m]['last_third_valence']:.2f}" for m in MOODS),
            "",
        )
        table.caption = f"note: {cur['note']}"
        out.print(table)
        div = report["diversity"]
        table = Table(title=f"diversity over {div['requests']} requests of {div['list_length']} songs")
        for col in ("strategy", "intra-list distance", "distinct artists"):
            table.add_column(col, justify="right")
        for strategy, figures in div["by_strategy"].items():
            table.add_row(
                strategy,
                _figure(figures["intra_list_distance"]),
                _figure(figures["distinct_artists"], 1),
            )
        table.add_row(
            "all",
            _figure(div["intra_list_distance"]["mean"]),
            f"{_figure(div['distinct_artists']['mean'], 1)} (min {div['distinct_artists']['min']})",
        )
        table.caption = (
            f"catalog coverage {100 * div['coverage']:.1f}%: {div['songs_recommended']} of "
            f"{div['catalog_songs']} songs recommended at least once"
        )
        out.print(table)
        table = Table(title=f"how each list sounds ({SOUND_LENGTH} songs, Spotify valence and energy 0-1)")
        for col in ("mood", "strategy", "valence", "energy", "valence, first -> last third", "rise"):
            table.add_column(col, justify="right")
        for mood, strategies in report["sound"].items():
            for strategy, fig in strategies.items():
                table.add_row(
                    mood,
                    strategy,
                    f"{fig['valence']:.2f}",
                    f"{fig['energy']:.2f}",
                    f"{fig['first_third_valence']:.2f} -> {fig['last_third_valence']:.2f}",
                    f"{fig['rise']:+.2f}",
                )
        out.print(table)
        table = Table(title="checks")
        table.add_column("check")
        for col in ("value", "goal", ""):
            table.add_column(col, justify="right")
        for check in report["checks"]:
            table.add_row(
                check["check"], _figure(check["value"]), check["goal"], "ok" if check["ok"] else "FAILS"
            )
        failed = sum(not c["ok"] for c in report["checks"])
        table.caption = f"{len(report['checks']) - failed} of {len(report['checks'])} checks met"
        out.print(table)

    _run(go)


def simulate_command(
    listeners: Annotated[int, typer.Option("--listeners", help="simulated listeners")] = 500,
    sessions: Annotated[int, typer.Option("--sessions", help="sessions per listener")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same figures")] = 0,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="lift, calm or energize")] = "lift",
    songs: Annotated[int, typer.Option("--songs", help="songs per session")] = 10,
    faces: Annotated[
        str,
        typer.Option(
            "--faces", help="reading noise: ferplus (FER+ Test), taiwan (the Taiwanese photos) or perfect"
        ),
    ] = "ferplus",
    taste_spread: Annotated[
        float,
        typer.Option(
            "--taste-spread",
            help="scales how much listeners differ from the average listener (1 = the default)",
        ),
    ] = 1.0,
    from_session: Annotated[
        int, typer.Option("--from-session", help="figures count sessions from this one on")
    ] = 4,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="any other assumption: KEY=VALUE, e.g. contagion=0.1 (docs/simulate.md)"),
    ] = None,
    with_taste: Annotated[
        bool,
        typer.Option("--with-taste", help="also today's lift with taste from likes and skips (slow)"),
    ] = False,
    catalog: CatalogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate listeners offline: adaptive sessions against today's static lift, re-planning alone,
    random songs and each listener's best fixed playlist (assumptions: docs/simulate.md).

    Prints each policy's mean gain per session (from --from-session on), its spread and its regret.
    Exit code 0, or 2 on usage errors."""

    def go() -> None:
        from moodtune.cli import err, out
        from moodtune.errors import UsageError
        from moodtune.music.catalog import Catalog
        from moodtune.music.rank import RecommenderIndex
        from moodtune.music.simulate import POLICIES, Assumptions, assumptions_from, check_arguments, simulate

        check_arguments(listeners, sessions, seed, strategy, from_session)
        if not (taste_spread >= 0 and taste_spread < float("inf")):
            raise UsageError(f"--taste-spread must be a number >= 0, but got {taste_spread!r}")
        base = Assumptions()
        assumptions = assumptions_from(
            set_ or [],
            Assumptions(
                songs=songs,
                faces=faces,
                taste_sd=base.taste_sd * taste_spread,
                latent_sd=base.latent_sd * taste_spread,
            ),
        )
        index = RecommenderIndex(Catalog.load(catalog))

        def progress(line: str) -> None:
            if not as_json:
                err.print(line, highlight=False, markup=False)

        report = simulate(
            index, listeners, sessions, seed, strategy, assumptions, from_session, progress, with_taste
        )
        if as_json:
            _json(report)
            return
        goal = {"lift": "valence gain", "calm": "arousal fall", "energize": "arousal rise"}[strategy]
        table = Table(
            title=f"{listeners} listeners x {sessions} sessions of {assumptions.songs} songs ({strategy}, "
            f"faces {assumptions.faces}, "
            f"seed {seed}): {goal} per session from session {from_session}"
        )
        for col in ("policy", "mean", "95% CI of mean", "std", "95% of sessions", "regret", "skips", "likes"):
            table.add_column(col, justify="right")
        for name in (p for p in POLICIES if p in report):
            r = report[name]
            table.add_row(
                name,
                f"{r['mean_gain']:.3f}",
                f"{r['mean_ci95'][0]:.3f} - {r['mean_ci95'][1]:.3f}",
                f"{r['std']:.3f}",
                f"{r['interval95'][0]:.2f} - {r['interval95'][1]:.2f}",
                f"{r['regret']:.3f}",
                f"{100 * r['skips']:.0f}%",
                f"{100 * r['likes']:.0f}%",
            )
        ratio = report["adaptive_over_static"]
        table.caption = (
            f"adaptive / static: {'-' if ratio is None else f'{ratio:.2f}x'}; population prior from "
            f"{report['prior_responses']} responses; {report['seconds']:.1f} s"
        )
        out.print(table)

    _run(go)
