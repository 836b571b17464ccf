"""From a listener's reading to a plan: a trajectory of target points for the playlist to follow.

A reading is a listener mood (negative / neutral / positive), the three mood probabilities, or a
point (valence, arousal) in the project's one mood space (``moodtune.moodspace``, [-1, 1] on both
axes). A plan is a strategy and ``n`` targets, one per song; each ``Target`` has a position in song
space (the space of ``moodspace.song_point``), the distribution over the four music moods
(``moodspace.MUSIC_MOODS``) it wants, and two secondary features (danceability, acousticness).

Anchors: where the music of each mood sits
------------------------------------------
The music moods do not sit where the quadrant rule ``moodspace.music_mood_of_point`` puts them
(that rule agrees with the labels on 45% of songs), so every anchor is *measured*: the mean, over
songs of ``data_moods.csv`` (686 songs hand-labelled Happy/Sad/Calm/Energetic,
github.com/cristobalvch/Spotify-Machine-Learning; see ``moodtune.music.mood_model``), of
``song_points(valence, energy)`` and of the raw danceability and acousticness
(``measure_anchors`` recomputes them; a test checks the table against the file). Spotify valence
``v`` is ``(valence + 1) / 2`` of the table::

    anchor      songs  valence  arousal  danceability  acousticness   the songs of data_moods that are
    happy         140   +0.158   +0.504      0.623         0.128       labelled happy
    sad           197   -0.421   -0.224      0.497         0.579       labelled sad
    calm          195   -0.697   -0.687      0.407         0.883       labelled calm
    energetic     154   -0.126   +0.767      0.512         0.028       labelled energetic
    positive       69   +0.612   +0.471      0.669         0.177       happy, in the positive region
    neutral         8   -0.038   -0.612      0.498         0.969       calm, in the neutral region
    negative      144   -0.619   -0.289      0.462         0.611       sad, in the negative region
    lift end       34   +0.616   +0.206      0.715         0.242       positive, with arousal <= 0.5

Calm songs are quiet, acoustic and instrumental and sit at low valence; happy songs straddle the
rule's energetic band. Ranking therefore asks the mood model for a song's mood and uses positions
only for distances (``moodtune.music.rank``).

What a listener mood wants: the songs that carry its label *and* sound like it
---------------------------------------------------------------------------
A listener mood is a region of the one mood space (``moodspace.mood_of_point``: valence >= +0.2
positive, <= -0.2 negative, neutral between; Spotify valence >= 0.6, <= 0.4, between), and Spotify
valence is the measure of how positive a song sounds ("tracks with high valence sound more positive
(e.g. happy, cheerful, euphoric)", Spotify Web API reference, ``/audio-features``). So a listener
mood's anchor is the mean of the songs that listeners labelled with the music mood it plays
(positive -> happy, neutral -> calm, negative -> sad) *and* whose own point lies in its region:
where people's label and the song's sound agree. Positive sits at (+0.612, +0.471), Spotify valence
0.81, and wants happy; negative at (-0.619, -0.289), valence 0.19, and wants sad; neutral at
(-0.038, -0.612), valence 0.48 (quiet, acoustic, in between), and wants calm. Its secondary
features are its songs' own means.

Whole labels are too wide for that: the mean of all happy songs sits at Spotify valence 0.58 (a
quarter of them at 0.37 or below; 41 of the 140 lie in the negative region), and the mean of the
happy and energetic centroids at 0.51 with energy 0.82: ranked there, a smiling listener gets
mid-tempo pop (mean valence 0.51 over the top 10 of the shipped catalog). Positive does not want
energetic music (energetic songs average valence 0.44), though energetic still *fits* a positive
listener (``moodspace.LISTENER_TO_MUSIC_MOODS``, the mood consistency check of
``moodtune.music.evaluate``). Neutral's anchor stands on 8 songs (calm music in Spotify's features
sits at low valence: 187 of the 195 calm songs lie in the negative region); its wanted mood, calm,
is what keeps neutral lists calm.

The start target
----------------
* a mood name, or probabilities ``w`` over (negative, neutral, positive): the ``w``-weighted mean of
  the listener anchors (position, wanted moods, secondary features). A mood name says *which* mood
  but not where in it, so the target sits where music of that mood sits.
* a point (v, a): the target is the point itself (it says where). Its listener-mood weights come
  from valence by linear ramps across the ``NEUTRAL_VALENCE`` (0.2) boundaries: negative
  ``clip(-v / 0.4, 0, 1)``, positive ``clip(v / 0.4, 0, 1)``, neutral the rest (so v = -0.2 is half
  negative, half neutral, as ``mood_of_point`` draws the line). The positive share is split between
  happy and energetic by where ``a`` lies between their anchors' arousal (+0.504 -> all happy,
  +0.767 -> all energetic, clipped); the other shares want the music mood of their listener mood.
  The secondary features are the mood-weighted means of the music-mood anchors'.

Strategies: trajectories of ``n`` targets
-----------------------------------------
Target ``i`` (0-based) is ``lerp(start, end, t_i)`` with ``t_i = i / (n - 1)`` (``t = 0`` when n is
1); position, wanted moods and secondary features are all interpolated linearly.

* ``match``: stay with the mood. end = start: n copies of the start target.
* ``lift``: the iso principle of music therapy (I. M. Altshuler, "A psychiatrist's experience with
  music as a therapeutic agent", in D. M. Schullian & M. Schoen (eds.), Music and Medicine, 1948,
  266-281; A. Heiderscheit & A. Madson, "Use of the iso principle as a central method in mood
  management: a music psychotherapy clinical case study", Music Therapy Perspectives 33(1), 45-52,
  2015): start where the listener is and move step by step toward a positive, calm-to-moderate
  target. end = the lift anchor (the positive anchor's songs of calm-to-moderate arousal): valence
  ``max(start, +0.616)`` (a lift never lowers valence), arousal +0.206, wanted moods happy 1.0,
  danceability 0.715, acousticness 0.242. From the negative anchor that is a rise of 0.62 in
  Spotify valence (0.19 -> 0.81), 0.48 between the targets of the first and the last third of a
  10-song list.
* ``calm``: toward lower arousal. end keeps the start's valence; arousal
  ``max(-1, min(start - 0.5, -0.687))`` (at least 0.5 lower, and at least as low as the calm
  anchor); wanted moods half the start's, half calm; secondary features the mood-weighted means of
  the music-mood anchors'.
* ``energize``: toward higher arousal. end keeps the start's valence; arousal
  ``min(1, max(start + 0.5, +0.767))`` (at least 0.5 higher, and at least as high as the energetic
  anchor); wanted moods half the start's, half energetic; secondary features as for ``calm``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from moodtune.emotions import MOODS
from moodtune.errors import InvalidMoodInput, UsageError
from moodtune.moodspace import (
    MUSIC_MOODS,
    NEUTRAL_VALENCE,
    MoodPoint,
    mood_of_point,
    song_points,
)

STRATEGIES: tuple[str, ...] = ("match", "lift", "calm", "energize")
"""The plan strategies, each a trajectory of targets (see the module docstring)."""

MAX_TARGETS = 500
"""The longest plan: more targets than any playlist needs, few enough to keep a request cheap."""

SECONDARY: tuple[str, ...] = ("danceability", "acousticness")
"""The secondary features a target asks for, on Spotify's 0-1 scales."""


@dataclass(frozen=True)
class MoodAnchor:
    """Where the songs of one mood sit: means of ``song_points`` and of two raw 0-1 features."""

    name: str
    songs: int
    valence: float
    arousal: float
    danceability: float
    acousticness: float


# Measured from data_moods.csv by ``measure_anchors`` (see the module docstring), rounded to 3 places.
ANCHORS: dict[str, MoodAnchor] = {
    "happy": MoodAnchor("happy", 140, 0.158, 0.504, 0.623, 0.128),
    "sad": MoodAnchor("sad", 197, -0.421, -0.224, 0.497, 0.579),
    "calm": MoodAnchor("calm", 195, -0.697, -0.687, 0.407, 0.883),
    "energetic": MoodAnchor("energetic", 154, -0.126, 0.767, 0.512, 0.028),
    "positive": MoodAnchor("positive", 69, 0.612, 0.471, 0.669, 0.177),
    "neutral": MoodAnchor("neutral", 8, -0.038, -0.612, 0.498, 0.969),
    "negative": MoodAnchor("negative", 144, -0.619, -0.289, 0.462, 0.611),
    "lift_end": MoodAnchor("lift_end", 34, 0.616, 0.206, 0.715, 0.242),
}
PLAYS: dict[str, str] = {"positive": "happy", "neutral": "calm", "negative": "sad"}
"""The music mood each listener mood plays (the first of ``moodspace.LISTENER_TO_MUSIC_MOODS``): its
anchor averages the songs of that label whose point lies in the listener mood's region."""

LIFT_END_MAX_AROUSAL = 0.5
"""The lift anchor averages the positive anchor's songs with arousal <= 0.5 (energy <= 0.75): calm
to moderate."""

SHIFT_AROUSAL = 0.5
"""How far ``calm`` and ``energize`` move arousal at least (a quarter of the axis)."""


def measure_anchors(path: str | Path) -> dict[str, MoodAnchor]:
    """Recompute ``ANCHORS`` from ``data_moods.csv`` (unrounded): per label, the mean of
    ``song_points(valence, energy)``, danceability and acousticness; per listener mood, the same
    over the songs labelled with the music mood it plays (``PLAYS``) whose point lies in its region
    (``moodspace.mood_of_point``); ``lift_end`` over the positive anchor's songs whose arousal is at
    most ``LIFT_END_MAX_AROUSAL``."""
    from moodtune.music.mood_model import FEATURES, load_data_moods

    X, y = load_data_moods(path)
    labels = np.array(y)
    points = song_points(X[:, FEATURES.index("valence")], X[:, FEATURES.index("energy")])
    regions = np.array([mood_of_point(v, a) for v, a in points])
    dance = X[:, FEATURES.index("danceability")]
    acoustic = X[:, FEATURES.index("acousticness")]

    def anchor(name: str, mask: np.ndarray) -> MoodAnchor:
        return MoodAnchor(
            name,
            int(mask.sum()),
            float(points[mask, 0].mean()),
            float(points[mask, 1].mean()),
            float(dance[mask].mean()),
            float(acoustic[mask].mean()),
        )

    out = {mood: anchor(mood, labels == mood) for mood in MUSIC_MOODS}
    sounding = {mood: (labels == music) & (regions == mood) for mood, music in PLAYS.items()}
    out.update({mood: anchor(mood, mask) for mood, mask in sounding.items()})
    out["lift_end"] = anchor("lift_end", sounding["positive"] & (points[:, 1] <= LIFT_END_MAX_AROUSAL))
    return out


def _one_hot(mood: str) -> np.ndarray:
    return np.array([1.0 if m == mood else 0.0 for m in MUSIC_MOODS])


def _secondary(moods: np.ndarray) -> tuple[float, float]:
    """The mood-weighted means of the music-mood anchors' danceability and acousticness."""
    return (
        float(sum(w * ANCHORS[m].danceability for m, w in zip(MUSIC_MOODS, moods, strict=True))),
        float(sum(w * ANCHORS[m].acousticness for m, w in zip(MUSIC_MOODS, moods, strict=True))),
    )


@dataclass(frozen=True)
class Reading:
    """What the listener's mood is: three probabilities over ``emotions.MOODS`` (negative, neutral,
    positive; they sum to 1), and the point in the mood space when the reading was given as one.

    Build it with ``from_mood``, ``from_probabilities`` or ``from_point`` (or ``as_reading``).
    """

    probabilities: tuple[float, float, float]
    point: MoodPoint | None = None

    def __post_init__(self) -> None:
        p = self.probabilities
        ok = isinstance(p, tuple) and len(p) == len(MOODS) and all(math.isfinite(x) and x >= 0 for x in p)
        if not ok or abs(sum(p) - 1.0) > 1e-6:
            raise InvalidMoodInput(
                f"Reading.probabilities must be {len(MOODS)} numbers >= 0 summing to 1 "
                f"({', '.join(MOODS)}), but got {p!r}; use Reading.from_probabilities to normalise"
            )
        if self.point is not None and not isinstance(self.point, MoodPoint):
            raise InvalidMoodInput(f"Reading.point must be a MoodPoint or None, but got {self.point!r}")

    @classmethod
    def from_mood(cls, mood: str) -> Reading:
        """A listener mood by name: ``negative``, ``neutral`` or ``positive`` (any case)."""
        name = mood.strip().lower() if isinstance(mood, str) else mood
        if name not in MOODS:
            hint = (
                f" ({name!r} is a music mood; the listener moods are {', '.join(MOODS)})"
                if name in MUSIC_MOODS
                else ""
            )
            raise InvalidMoodInput(f"mood must be one of {list(MOODS)}, but got {mood!r}{hint}")
        return cls(tuple(1.0 if m == name else 0.0 for m in MOODS))  # type: ignore[arg-type]

    @classmethod
    def from_probabilities(cls, probabilities: Sequence[float] | Mapping[str, float]) -> Reading:
        """Three probabilities in ``MOODS`` order (negative, neutral, positive), or a mapping
        ``{mood: probability}`` (moods left out count as 0). They are divided by their sum, so
        percentages work too; each must be finite and >= 0, and their sum > 0."""
        if isinstance(probabilities, Mapping):
            unknown = sorted(str(k) for k in probabilities if k not in MOODS)
            if unknown:
                raise InvalidMoodInput(f"mood probabilities are keyed by {list(MOODS)}, but got {unknown}")
            values = [probabilities.get(m, 0.0) for m in MOODS]
        else:
            values = list(probabilities)
        if len(values) != len(MOODS):
            raise InvalidMoodInput(
                f"expected {len(MOODS)} mood probabilities ({', '.join(MOODS)}), but got {len(values)}: "
                f"{values!r}"
            )
        try:
            floats = [float(v) for v in values]
        except (TypeError, ValueError):
            raise InvalidMoodInput(f"mood probabilities must be numbers, but got {values!r}") from None
        if not all(math.isfinite(v) and v >= 0 for v in floats) or sum(floats) <= 0:
            raise InvalidMoodInput(
                f"mood probabilities must be finite numbers >= 0 with a positive sum, but got {values!r}"
            )
        total = sum(floats)
        return cls(tuple(v / total for v in floats))  # type: ignore[arg-type]

    @classmethod
    def from_point(cls, valence: float, arousal: float) -> Reading:
        """A point of the mood space; both coordinates must be in [-1, 1]. The mood weights come
        from valence by the ramps of the module docstring."""
        ok = all(
            isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool) and -1 <= x <= 1
            for x in (valence, arousal)
        )  # NaN fails the range check
        if not ok:
            raise InvalidMoodInput(
                f"valence and arousal must be numbers in [-1, 1], but got valence={valence!r}, "
                f"arousal={arousal!r}"
            )
        point = MoodPoint(float(valence), float(arousal))
        ramp = 2.0 * NEUTRAL_VALENCE
        negative = min(max(-point.valence / ramp, 0.0), 1.0)
        positive = min(max(point.valence / ramp, 0.0), 1.0)
        return cls((negative, 1.0 - negative - positive, positive), point)

    @property
    def mood(self) -> str:
        """The listener mood: ``mood_of_point`` for a point, else the most probable (ties: the
        first of negative, neutral, positive)."""
        if self.point is not None:
            return mood_of_point(self.point.valence, self.point.arousal)
        return MOODS[int(np.argmax(self.probabilities))]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mood": self.mood,
            "probabilities": dict(zip(MOODS, self.probabilities, strict=True)),
        }
        if self.point is not None:
            out.update(self.point.to_dict())
        return out


def as_reading(value: Reading | str | MoodPoint | Mapping[str, float] | Sequence[float]) -> Reading:
    """Coerce a reading: a ``Reading``; a mood name; a ``MoodPoint``; a mapping or a sequence of 3
    mood probabilities. A pair of numbers is refused (is it a point or two probabilities?): pass
    ``MoodPoint(valence, arousal)``."""
    if isinstance(value, Reading):
        return value
    if isinstance(value, str):
        return Reading.from_mood(value)
    if isinstance(value, MoodPoint):
        return Reading.from_point(value.valence, value.arousal)
    if isinstance(value, Mapping):
        return Reading.from_probabilities(value)
    if isinstance(value, Sequence | np.ndarray) and len(value) == len(MOODS):
        return Reading.from_probabilities(list(cast(Sequence[float], value)))
    raise InvalidMoodInput(
        f"a reading is a mood name ({', '.join(MOODS)}), a MoodPoint(valence, arousal), or {len(MOODS)} "
        f"mood probabilities, but got {value!r}"
    )


@dataclass(frozen=True)
class Target:
    """One slot of a plan: a point in song space, the music moods wanted there (``MUSIC_MOODS``
    order, summing to 1), the wanted danceability and acousticness (0-1), and its place in the plan
    (``step`` counts from 1 to ``steps``)."""

    valence: float
    arousal: float
    moods: tuple[float, float, float, float]
    danceability: float
    acousticness: float
    step: int = 1
    steps: int = 1

    def __post_init__(self) -> None:
        MoodPoint(self.valence, self.arousal)  # validates the position
        m = self.moods
        if len(m) != len(MUSIC_MOODS) or not all(math.isfinite(x) and x >= 0 for x in m):
            raise InvalidMoodInput(
                f"Target.moods must be {len(MUSIC_MOODS)} numbers >= 0 ({', '.join(MUSIC_MOODS)}), "
                f"but got {m!r}"
            )
        if abs(sum(m) - 1.0) > 1e-6:
            raise InvalidMoodInput(f"Target.moods must sum to 1, but sum to {sum(m)!r}")
        for name in SECONDARY:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InvalidMoodInput(f"Target.{name} must be in [0, 1], but got {value!r}")
        if not 1 <= self.step <= self.steps:
            raise InvalidMoodInput(f"Target.step must be in [1, steps={self.steps}], but got {self.step!r}")

    @property
    def point(self) -> MoodPoint:
        return MoodPoint(self.valence, self.arousal)

    @property
    def mood_weights(self) -> dict[str, float]:
        """The wanted music moods as ``{mood: weight}``."""
        return dict(zip(MUSIC_MOODS, self.moods, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "valence": round(self.valence, 4),
            "arousal": round(self.arousal, 4),
            "moods": {m: round(w, 4) for m, w in self.mood_weights.items()},
            "danceability": round(self.danceability, 4),
            "acousticness": round(self.acousticness, 4),
        }


@dataclass(frozen=True)
class Plan:
    """A strategy, the reading it started from, and one ``Target`` per song, in playing order."""

    strategy: str
    reading: Reading
    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        _check_strategy(self.strategy)
        if not self.targets or not all(isinstance(t, Target) for t in self.targets):
            raise InvalidMoodInput(f"a Plan needs at least one Target, but got {self.targets!r}")

    def __len__(self) -> int:
        return len(self.targets)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "reading": self.reading.to_dict(),
            "targets": [t.to_dict() for t in self.targets],
        }


def _check_strategy(strategy: str) -> str:
    name = strategy.strip().lower() if isinstance(strategy, str) else strategy
    if name not in STRATEGIES:
        raise UsageError(f"strategy must be one of {list(STRATEGIES)}, but got {strategy!r}")
    return str(name)


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_TARGETS:
        raise UsageError(f"n must be a whole number of songs from 1 to {MAX_TARGETS}, but got {n!r}")
    return int(n)


@dataclass(frozen=True)
class _Point:
    """A target's interpolable numbers."""

    valence: float
    arousal: float
    moods: np.ndarray
    danceability: float
    acousticness: float

    def lerp(self, other: _Point, t: float) -> _Point:
        """The point a fraction ``t`` of the way to ``other``: exactly ``self`` at 0, exactly
        ``other`` at 1, and constant where the two agree."""

        def mix(a: Any, b: Any) -> Any:
            return b if t == 1 else a + t * (b - a)

        return _Point(
            mix(self.valence, other.valence),
            mix(self.arousal, other.arousal),
            mix(self.moods, other.moods),
            mix(self.danceability, other.danceability),
            mix(self.acousticness, other.acousticness),
        )


def _with_moods(valence: float, arousal: float, moods: np.ndarray) -> _Point:
    return _Point(valence, arousal, moods, *_secondary(moods))


def _listener_point(listener_mood: str) -> _Point:
    """A listener mood's anchor as a target: its position, its music mood, its songs' secondary features."""
    a = ANCHORS[listener_mood]
    return _Point(a.valence, a.arousal, _one_hot(PLAYS[listener_mood]), a.danceability, a.acousticness)


def _mix(points: Sequence[tuple[float, _Point]]) -> _Point:
    """The weighted mean of targets (weights summing to 1)."""
    return _Point(
        float(sum(w * p.valence for w, p in points)),
        float(sum(w * p.arousal for w, p in points)),
        sum((w * p.moods for w, p in points), np.zeros(len(MUSIC_MOODS))),
        float(sum(w * p.danceability for w, p in points)),
        float(sum(w * p.acousticness for w, p in points)),
    )


def _start(reading: Reading) -> _Point:
    """The start target of the module docstring."""
    weights = dict(zip(MOODS, reading.probabilities, strict=True))
    if reading.point is None:
        return _mix([(w, _listener_point(m)) for m, w in weights.items()])
    valence, arousal = reading.point.valence, reading.point.arousal
    low, high = ANCHORS["happy"].arousal, ANCHORS["energetic"].arousal
    energetic = min(max((arousal - low) / (high - low), 0.0), 1.0)
    positive = (1.0 - energetic) * _one_hot("happy") + energetic * _one_hot("energetic")
    others = sum(
        (weights[m] * _one_hot(PLAYS[m]) for m in ("negative", "neutral")), np.zeros(len(MUSIC_MOODS))
    )
    return _with_moods(valence, arousal, others + weights["positive"] * positive)


def start_target(reading: Reading) -> tuple[float, float, np.ndarray]:
    """The start of every trajectory: position (valence, arousal) and wanted moods."""
    start = _start(reading)
    return start.valence, start.arousal, start.moods


def _end(strategy: str, start: _Point) -> _Point:
    if strategy == "match":
        return start
    if strategy == "lift":
        lift = ANCHORS["lift_end"]
        return _Point(
            max(start.valence, lift.valence),
            lift.arousal,
            _one_hot("happy"),
            lift.danceability,
            lift.acousticness,
        )
    if strategy == "calm":
        arousal = max(-1.0, min(start.arousal - SHIFT_AROUSAL, ANCHORS["calm"].arousal))
        return _with_moods(start.valence, arousal, 0.5 * start.moods + 0.5 * _one_hot("calm"))
    arousal = min(1.0, max(start.arousal + SHIFT_AROUSAL, ANCHORS["energetic"].arousal))
    return _with_moods(start.valence, arousal, 0.5 * start.moods + 0.5 * _one_hot("energetic"))


def make_plan(
    reading: Reading | str | MoodPoint | Mapping[str, float] | Sequence[float],
    strategy: str = "match",
    n: int = 20,
) -> Plan:
    """The plan for a reading: ``n`` targets from the start target along the strategy's trajectory
    (see the module docstring). ``InvalidMoodInput`` for a bad reading, ``UsageError`` for an
    unknown strategy or an ``n`` outside 1-``MAX_TARGETS``."""
    strategy = _check_strategy(strategy)
    n = _check_n(n)
    read = as_reading(reading)
    start = _start(read)
    end = _end(strategy, start)
    targets = []
    for i in range(n):
        p = start.lerp(end, i / (n - 1) if n > 1 else 0.0)
        moods = np.clip(p.moods, 0.0, None)
        moods = moods / moods.sum()
        targets.append(
            Target(
                valence=float(np.clip(p.valence, -1.0, 1.0)),
                arousal=float(np.clip(p.arousal, -1.0, 1.0)),
                moods=tuple(float(x) for x in moods),  # type: ignore[arg-type]
                danceability=float(np.clip(p.danceability, 0.0, 1.0)),
                acousticness=float(np.clip(p.acousticness, 0.0, 1.0)),
                step=i + 1,
                steps=n,
            )
        )
    return Plan(strategy, read, tuple(targets))
