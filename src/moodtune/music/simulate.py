"""A listener simulator: adaptive sessions against today's static lift and random songs, offline.

Nobody can say from data yet how much a song changes a listener's mood (the responses the service
keeps are what will tell), so this is a test of the *design* under stated assumptions, never a
measurement of listeners. Every assumption is a field of ``Assumptions`` with its default below,
and ``moodtune simulate --json`` prints them all beside the figures. The songs are the real catalog
(its features, the real plan and ranker); the listeners, their moods and their faces are simulated.

Listeners (hidden from every policy)
------------------------------------
* Each song ``j`` has standardised features ``z_j`` (``response.SongFeatures``: the 11 features the
  model sees) and ``latent_dims`` (4) hidden factors ``h_j ~ N(0, 1)`` that no feature explains
  (taste the catalog does not describe).
* What helps on average: population weights ``wbar ~ N(0, population_sd^2)`` per feature, once per
  run, for valence and for arousal (0.01: small, and unknown to the policies).
* Listener ``i``: ``w_i = wbar + N(0, taste_sd^2)`` (0.02 per feature; ``--taste-spread`` scales it),
  hidden loadings ``q_i ~ N(0, latent_sd^2)`` (0.015), a resting mood ``b_i``: valence
  ``N(0.1, 0.15^2)``, arousal ``N(0, 0.15^2)``, which drifts by ``N(0, 0.03^2)`` between sessions.

A song's effect on the mood ``m = (valence, arousal)``
-----------------------------------------------------
::

    song  = contagion * g * exp(-g^2 / (2 iso_width^2))       g = song point - m (each axis)
          + w_i . z_j + q_i . h_j                             this listener's own response
    m'    = m + f * song + f * reversion * (b_i - m) + sqrt(f) * mood_noise * N(0, 1)

* contagion 0.25, iso_width 0.6: the mood moves toward the song's place in the mood space, most for
  a song about 0.6 away and less for one much further (a sad listener does not take a very happy
  song in one step: the premise of the iso principle the static lift follows). A song at the
  listener's own place does not move them by itself.
* reversion 0.05 a song toward the resting mood; mood_noise 0.03 a song.
* How a song ends: skipped with probability ``0.05 + 0.45 * sigmoid(-song_v / 0.05)`` (songs that
  would lower the listener's valence are skipped up to half the time), then it lasts ``f = 0.25`` of
  a song; otherwise played to the end (``f = 1``) and liked with probability
  ``0.4 * sigmoid((song_v - 0.1) / 0.03)``. No fatigue: hearing a song again works as the first time.
* A session is ``songs`` (10) songs. It starts in a low moment, which is when "lift" is asked for:
  valence ``b_i - 0.5 + N(0, 0.15^2)``, arousal ``b_i + N(0, 0.3^2)`` (for calm: arousal
  ``b_i + 0.5 + ...``; energize ``b_i - 0.5 + ...``; the other axis at rest + ``N(0, 0.3^2)``).

The face: readings as noisy as the shipped model's
--------------------------------------------------
A reading is taken at the start of the session and at the end of every song (the start and end of
each ``response.Response``). The true mood's class (``moodspace.mood_of_point``: negative, neutral,
positive) is read as a class drawn from the shipped model's measured confusion:

* ``ferplus`` (default): FER+ Test, 3,064 faces (``moodtune evaluate ferplus:../shared/data/ferplus
  --split test --json``, the model of ``docs/model-card.md``): rows negative / neutral / positive
  ``[634 62 28] [112 921 39] [26 31 1211]``, recall 87.6 / 85.9 / 95.5%;
* ``taiwan``: the Taiwanese actors' photos through the whole pipeline (model card): recall 65.1 /
  100 / 86.8%; the card gives no off-diagonal counts, so every miss is read as neutral (where the
  card says those faces go);
* ``perfect``: no misreadings (a bound, not a claim).

The reading's valence is the true valence plus ``N(0, 0.1^2)``, moved by the distance between the
mood centres (-0.6, 0, +0.6: the middles of the three valence bands) when the class is misread
(a sad face read as neutral reads 0.6 higher); arousal is the true arousal plus ``N(0, 0.15^2)``
(the card measures no arousal error). Each reading is an independent draw: the readings the page
smooths over a few seconds come from frames of one expression, so smoothing does not undo a misread.

Policies (each plays every session of every listener; the same random numbers drive their moods,
skips and readings, so differences are the policies')
-----------------------------------------------------------------------------------------------------
* ``random``: songs drawn uniformly from the catalog.
* ``static``: today's lift: the page sends the mood it read at the start (as probabilities: here the
  read class), ``plan.make_plan(mood, "lift", songs)`` and ``rank.recommend`` give the playlist,
  played to the end of the session; no learning.
* ``static_taste`` (only with ``with_taste`` / ``--with-taste``: a ``recommend`` per listener and
  session makes it slow): the same, with the page's taste: the content profile of the listener's
  likes, skips and plays so far (``taste.content_scores``) joins the ranking. The collaborative
  part of taste (ALS over many listeners) is left out.
* ``replan``: re-plans from every reading as ``adaptive`` does and plays the ranker's best
  candidate: what re-planning alone brings, without the model.
* ``adaptive``: ``moodtune.music.adaptive``: re-plan from the reading, the ranker's 30 best
  candidates, Thompson sampling over the listener's ``response.ResponseModel`` updated after every
  song from the face and the skip or like. Its prior (what helps on average) is fitted
  (``response.Prior.fit``) from the responses of a separate cohort of ``cohort_listeners`` (200)
  listeners who each had ``cohort_sessions`` (3) adaptive sessions from the default prior: what the
  service will fit from its stored responses.
* ``best_fixed``: for regret. An oracle that knows each listener's hidden response picks, once, the
  fixed list of songs with the greatest expected gain from the listener's usual starting mood
  (greedy, song by song, over the whole catalog, ignoring skips), and plays it every session.

Figures: a session's gain is the change of the *true* valence (calm: the fall of arousal;
energize: its rise) from the start of its first song to the end of its last; ``mean_gain`` is the
mean over sessions ``from_session`` (4) on; ``regret`` is ``best_fixed``'s gain minus the policy's
per session over the same sessions. Simplifications: no artist rule and no filters in the
simulated ranker candidates (``rank.recommend`` keeps its rules for ``static``); readings are
rounded to 0.1 before re-planning (so candidate lists can be cached); random songs are drawn with
replacement (a repeat within a session is rare).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from moodtune.emotions import MOODS
from moodtune.errors import UsageError
from moodtune.music.adaptive import CANDIDATES, candidates, next_target, sampled_gains
from moodtune.music.plan import Reading, make_plan
from moodtune.music.rank import RecommenderIndex, recommend
from moodtune.music.response import (
    FEEDBACK_BONUS,
    GOALS,
    SONG_FEATURES,
    Prior,
    ResponseModel,
    SongFeatures,
    design,
)
from moodtune.music.taste import Feedback, content_scores

FACES: dict[str, tuple[tuple[float, float, float], ...]] = {
    # FER+ Test, the shipped model, rows = true negative / neutral / positive (counts).
    "ferplus": ((634, 62, 28), (112, 921, 39), (26, 31, 1211)),
    # The Taiwanese photos (model card recalls; misses read as neutral).
    "taiwan": ((0.651, 0.349, 0.0), (0.0, 1.0, 0.0), (0.0, 0.132, 0.868)),
    "perfect": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
}
"""The face model's 3-mood confusion per source (see the module docstring)."""
MOOD_CENTRES = np.array([-0.6, 0.0, 0.6])
"""Where a reading of each mood puts valence (the middles of the valence bands)."""
POLICIES: tuple[str, ...] = ("adaptive", "static", "static_taste", "replan", "random", "best_fixed")
"""Every policy; ``static_taste`` runs only when asked (``with_taste``): it is slow."""


@dataclass(frozen=True)
class Assumptions:
    """Every number the simulated listeners, moods and faces are made of (module docstring)."""

    songs: int = 10
    contagion: float = 0.25
    iso_width: float = 0.6
    reversion: float = 0.05
    mood_noise: float = 0.03
    baseline_drift: float = 0.03
    rest_valence: float = 0.1
    rest_sd: float = 0.15
    start_drop: float = 0.5
    start_sd: float = 0.15
    other_axis_sd: float = 0.3
    population_sd: float = 0.01
    taste_sd: float = 0.02
    latent_sd: float = 0.015
    latent_dims: int = 4
    skip_base: float = 0.05
    skip_max: float = 0.45
    skip_scale: float = 0.05
    skipped_share: float = 0.25
    like_max: float = 0.4
    like_at: float = 0.1
    like_scale: float = 0.03
    faces: str = "ferplus"
    reading_valence_sd: float = 0.1
    reading_arousal_sd: float = 0.15
    cohort_listeners: int = 200
    cohort_sessions: int = 3
    candidates: int = CANDIDATES

    def __post_init__(self) -> None:
        if self.faces not in FACES:
            raise UsageError(f"faces must be one of {list(FACES)}, but got {self.faces!r}")
        for name, value in asdict(self).items():
            if name == "faces":
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise UsageError(f"Assumptions.{name} must be a number >= 0, but got {value!r}")
        if not 1 <= self.songs <= 100:
            raise UsageError(f"songs must be a whole number from 1 to 100, but got {self.songs!r}")


def assumptions_from(settings: list[str], base: Assumptions | None = None) -> Assumptions:
    """``base`` (default ``Assumptions()``) with ``KEY=VALUE`` changes, e.g. ``contagion=0.1``."""
    base = base or Assumptions()
    known = asdict(base)
    changes: dict[str, Any] = {}
    for item in settings:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise UsageError(
                f"an assumption is KEY=VALUE with KEY one of {', '.join(known)}, but got {item!r}"
            )
        kind = type(known[key])
        try:
            changes[key] = kind(text.strip())
        except ValueError:
            raise UsageError(f"assumption {key} must be {kind.__name__}, but got {text!r}") from None
    return Assumptions(**{**known, **changes})


@dataclass
class _World:
    """The hidden truth for ``n`` listeners."""

    w: np.ndarray  # (n, k, 2) weights on the song features, per output
    q: np.ndarray  # (n, latent, 2) loadings on the hidden song factors
    rest: np.ndarray  # (n, 2) resting mood


@dataclass
class _Setting:
    """What every session needs: the index, features, hidden song factors, confusion, assumptions."""

    index: RecommenderIndex
    features: SongFeatures
    hidden: np.ndarray  # (songs, latent)
    population: np.ndarray  # (k, 2)
    confusion: np.ndarray  # (3, 3) row-normalised
    a: Assumptions
    strategy: str
    cache: dict[tuple[int, int, int, bool], np.ndarray] = field(default_factory=dict)

    @property
    def goal(self) -> tuple[int, float]:
        return GOALS[self.strategy]


def _world(setting: _Setting, n: int, rng: np.random.Generator) -> _World:
    a = setting.a
    k = len(SONG_FEATURES)
    w = setting.population[None] + rng.normal(0.0, a.taste_sd, (n, k, 2))
    q = rng.normal(0.0, a.latent_sd, (n, a.latent_dims, 2))
    rest = np.stack([rng.normal(a.rest_valence, a.rest_sd, n), rng.normal(0.0, a.rest_sd, n)], axis=1)
    return _World(w, q, np.clip(rest, -1.0, 1.0))


def _song_effect(setting: _Setting, world: _World, rows: np.ndarray, mood: np.ndarray) -> np.ndarray:
    """The song term of the dynamics (contagion and the listener's own response), ``(n, 2)``."""
    a = setting.a
    gap = setting.features.points[rows] - mood
    pull = a.contagion * gap * np.exp(-(gap**2) / (2 * a.iso_width**2))
    own = np.einsum("nk,nkm->nm", setting.features.z[rows], world.w)
    own += np.einsum("nl,nlm->nm", setting.hidden[rows], world.q)
    return np.asarray(pull + own)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)))


@dataclass
class _Noise:
    """The random numbers of one session for ``n`` listeners, shared by every policy."""

    start: np.ndarray  # (n, 2) standard normals for the starting mood
    mood: np.ndarray  # (n, L, 2)
    skip: np.ndarray  # (n, L)
    like: np.ndarray  # (n, L)
    read_class: np.ndarray  # (n, L + 1)
    read: np.ndarray  # (n, L + 1, 2)
    drift: np.ndarray  # (n, 2)

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, songs: int) -> _Noise:
        return cls(
            rng.standard_normal((n, 2)),
            rng.standard_normal((n, songs, 2)),
            rng.random((n, songs)),
            rng.random((n, songs)),
            rng.random((n, songs + 1)),
            rng.standard_normal((n, songs + 1, 2)),
            rng.standard_normal((n, 2)),
        )


def _mood_class(valence: np.ndarray) -> np.ndarray:
    """0 negative, 1 neutral, 2 positive (``moodspace.mood_of_point``'s bands)."""
    return np.where(valence <= -0.2, 0, np.where(valence >= 0.2, 2, 1))


def _read(setting: _Setting, mood: np.ndarray, u: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the face says: the read class and the read (valence, arousal), ``(n,)`` and ``(n, 2)``."""
    a = setting.a
    true = _mood_class(mood[:, 0])
    cumulative = np.cumsum(setting.confusion[true], axis=1)
    read = np.minimum((u[:, None] > cumulative).sum(axis=1), 2)
    valence = mood[:, 0] + MOOD_CENTRES[read] - MOOD_CENTRES[true] + a.reading_valence_sd * z[:, 0]
    arousal = mood[:, 1] + a.reading_arousal_sd * z[:, 1]
    return read, np.clip(np.stack([valence, arousal], axis=1), -1.0, 1.0)


class _Policy:
    """Chooses each listener's next song; learns from what the face said, if it learns."""

    def start(self, read_class: np.ndarray) -> None:
        """A session begins with this read class (``MOODS`` order)."""

    def choose(self, song: int, reading: np.ndarray, played: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def learn(self, rows: np.ndarray, start: np.ndarray, end: np.ndarray, ended: np.ndarray) -> None:
        """``ended``: 0 played to the end, 1 skipped, 2 liked."""


class _Random(_Policy):
    def __init__(self, setting: _Setting, rng: np.random.Generator) -> None:
        self.setting, self.rng = setting, rng

    def choose(self, song: int, reading: np.ndarray, played: np.ndarray) -> np.ndarray:
        return self.rng.integers(0, len(self.setting.features), len(reading))


class _Fixed(_Policy):
    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows

    def choose(self, song: int, reading: np.ndarray, played: np.ndarray) -> np.ndarray:
        return np.asarray(self.rows[:, song])


class _Static(_Policy):
    """Today's lift: one ``recommend`` per read mood, made once and played in order."""

    def __init__(self, setting: _Setting) -> None:
        self.setting = setting
        self.lists: dict[int, np.ndarray] = {}
        self.rows = np.zeros((0, setting.a.songs), dtype=np.int64)

    def _playlist(self, mood: int) -> np.ndarray:
        hit = self.lists.get(mood)
        if hit is None:
            s = self.setting
            plan = make_plan(Reading.from_mood(MOODS[mood]), s.strategy, s.a.songs)
            ids = [r.song.id for r in recommend(s.index, plan)]
            if len(ids) < s.a.songs:
                raise UsageError(
                    f"the catalog gave only {len(ids)} songs for a {s.a.songs}-song {s.strategy} session; "
                    "use fewer --songs or a larger catalog"
                )
            hit = self.lists[mood] = s.index.rows_of(ids)
        return hit

    def start(self, read_class: np.ndarray) -> None:
        self.rows = np.stack([self._playlist(int(c)) for c in read_class])

    def choose(self, song: int, reading: np.ndarray, played: np.ndarray) -> np.ndarray:
        return np.asarray(self.rows[:, song])


class _StaticTaste(_Static):
    """Today's lift with the page's taste: the content profile (``taste.content_scores``) of the
    listener's likes, skips and plays so far joins the ranking of each session's playlist."""

    def __init__(self, setting: _Setting) -> None:
        super().__init__(setting)
        self.events: list[list[Feedback]] = []
        self.songs = setting.index.catalog.songs
        self.clock = 0.0

    def start(self, read_class: np.ndarray) -> None:
        s = self.setting
        if not self.events:
            self.events = [[] for _ in read_class]
        rows = []
        for i, c in enumerate(read_class):
            taste = content_scores(s.index.catalog, self.events[i], str(i)) if self.events[i] else {}
            if not taste:
                rows.append(self._playlist(int(c)))
                continue
            plan = make_plan(Reading.from_mood(MOODS[int(c)]), s.strategy, s.a.songs)
            ids = [r.song.id for r in recommend(s.index, plan, taste=taste)]
            rows.append(s.index.rows_of(ids))
        self.rows = np.stack(rows)

    def learn(self, rows: np.ndarray, start: np.ndarray, end: np.ndarray, ended: np.ndarray) -> None:
        self.clock += 1.0
        ix = self.setting.index
        for i, (row, how) in enumerate(zip(rows.tolist(), ended.tolist(), strict=True)):
            song_id = self.songs[int(ix.rows[row])].id
            self.events[i].append(Feedback(str(i), song_id, ("complete", "skip", "like")[how], self.clock))


GRID = 10
"""Readings are rounded to 1 / GRID before re-planning (cached candidate lists)."""


class _Replan(_Policy):
    """Re-plans from every reading; plays the ranker's best candidate (``adaptive`` without a model)."""

    def __init__(self, setting: _Setting) -> None:
        self.setting = setting

    def candidates(self, song: int, reading: np.ndarray, played: np.ndarray) -> np.ndarray:
        """``(n, K)`` candidate rows, best first, less the songs played this session."""
        s = self.setting
        songs, k = s.a.songs, s.a.candidates
        keys = np.round(reading * GRID).astype(np.int64)
        left = songs - song
        out = np.empty((len(reading), k + songs), dtype=np.int64)
        for key in {(int(v), int(a)) for v, a in keys}:
            cache_key = (*key, left, song == 0)
            rows = s.cache.get(cache_key)
            if rows is None:
                reading_q = Reading.from_point(key[0] / GRID, key[1] / GRID)
                plan, t = next_target(reading_q, s.strategy, left, first=song == 0)
                rows = candidates(s.index, plan.targets[t], k + songs)[0]
                if len(rows) < k + songs:
                    raise UsageError(
                        f"the catalog has only {len(rows)} songs; a simulation of {songs}-song sessions "
                        f"with {k} candidates needs at least {k + songs}"
                    )
                s.cache[cache_key] = rows
            out[(keys[:, 0] == key[0]) & (keys[:, 1] == key[1])] = rows
        if song:
            taken = (out[:, :, None] == played[:, None, :song]).any(axis=2)
            order = np.argsort(taken, axis=1, kind="stable")
            out = np.take_along_axis(out, order, axis=1)
        return out[:, :k]

    def choose(self, song: int, reading: np.ndarray, played: np.ndarray) -> np.ndarray:
        return self.candidates(song, reading, played)[:, 0]


class _Adaptive(_Replan):
    """Re-plans from every reading and chooses among the candidates by Thompson sampling."""

    def __init__(self, setting: _Setting, prior: Prior, n: int, rng: np.random.Generator) -> None:
        super().__init__(setting)
        self.model = ResponseModel(prior, n)
        self.rng = rng
        self.x: list[np.ndarray] = []
        self.y: list[np.ndarray] = []

    def choose(self, song: int, reading: np.ndarray, played: np.ndarray) -> np.ndarray:
        rows = self.candidates(song, reading, played)
        gains = sampled_gains(
            self.model, self.setting.features, rows, reading, self.setting.strategy, self.rng
        )
        return np.asarray(rows[np.arange(len(rows)), gains.argmax(axis=1)])

    def learn(self, rows: np.ndarray, start: np.ndarray, end: np.ndarray, ended: np.ndarray) -> None:
        f = self.setting.features
        x = design(f.z[rows], f.points[rows], start)
        y = end - start
        y[:, 0] += np.array([FEEDBACK_BONUS[e] for e in ("complete", "skip", "like")])[ended]
        self.model.update(x, y)
        self.x.append(x)
        self.y.append(y)


def _session(
    setting: _Setting, world: _World, policy: _Policy, start: np.ndarray, noise: _Noise
) -> dict[str, np.ndarray]:
    """Play one session of every listener from true mood ``start``; the true and read gains, skips, likes."""
    a = setting.a
    n, songs = len(start), a.songs
    mood = start.copy()
    read_class, reading = _read(setting, mood, noise.read_class[:, 0], noise.read[:, 0])
    first_reading = reading
    policy.start(read_class)
    played = np.zeros((n, songs), dtype=np.int64)
    skips = likes = np.zeros(n)
    for k in range(songs):
        rows = policy.choose(k, reading, played)
        played[:, k] = rows
        effect = _song_effect(setting, world, rows, mood)
        p_skip = a.skip_base + a.skip_max * _sigmoid(-effect[:, 0] / a.skip_scale)
        skipped = noise.skip[:, k] < p_skip
        liked = ~skipped & (
            noise.like[:, k] < a.like_max * _sigmoid((effect[:, 0] - a.like_at) / a.like_scale)
        )
        share = np.where(skipped, a.skipped_share, 1.0)[:, None]
        mood = (
            mood
            + share * (effect + a.reversion * (world.rest - mood))
            + np.sqrt(share) * a.mood_noise * noise.mood[:, k]
        )
        mood = np.clip(mood, -1.0, 1.0)
        _, after = _read(setting, mood, noise.read_class[:, k + 1], noise.read[:, k + 1])
        policy.learn(rows, reading, after, np.where(skipped, 1, np.where(liked, 2, 0)))
        reading = after
        skips = skips + skipped
        likes = likes + liked
    column, sign = setting.goal
    return {
        "gain": sign * (mood[:, column] - start[:, column]),
        "read_gain": sign * (reading[:, column] - first_reading[:, column]),
        "skips": skips / songs,
        "likes": likes / songs,
    }


def _start_mood(setting: _Setting, world: _World, noise: _Noise) -> np.ndarray:
    a = setting.a
    column, sign = setting.goal
    start = world.rest + a.other_axis_sd * noise.start
    start[:, column] = world.rest[:, column] - sign * a.start_drop + a.start_sd * noise.start[:, column]
    return np.asarray(np.clip(start, -1.0, 1.0))


def _best_fixed(setting: _Setting, world: _World, chunk: int = 50) -> np.ndarray:
    """Each listener's fixed playlist: greedily, the song with the greatest expected gain from the
    expected mood so far, over the whole catalog, from the usual starting mood (``(n, songs)`` rows)."""
    a = setting.a
    f = setting.features
    column, sign = setting.goal
    n = len(world.rest)
    z, hidden, points = (x.astype(np.float32) for x in (f.z, setting.hidden, f.points[:, column]))
    out = np.zeros((n, a.songs), dtype=np.int64)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        at = np.arange(hi - lo)
        w, q = world.w[lo:hi].astype(np.float32), world.q[lo:hi].astype(np.float32)
        own = np.einsum("sk,ckm->cms", z, w) + np.einsum("sl,clm->cms", hidden, q)  # (c, 2, songs)
        mood = world.rest[lo:hi].copy()
        mood[:, column] -= sign * a.start_drop
        taken = np.zeros((hi - lo, len(f)), dtype=bool)
        for k in range(a.songs):
            gap = points[None, :] - mood[:, column, None].astype(np.float32)
            pull = a.contagion * gap * np.exp(-(gap**2) / (2 * a.iso_width**2))
            gain = np.where(taken, -np.inf, sign * (pull + own[:, column]))
            best = gain.argmax(axis=1)
            out[lo:hi, k] = best
            taken[at, best] = True
            song_gap = f.points[best] - mood
            effect = a.contagion * song_gap * np.exp(-(song_gap**2) / (2 * a.iso_width**2)) + own[at, :, best]
            mood = np.clip(mood + effect + a.reversion * (world.rest[lo:hi] - mood), -1.0, 1.0)
    return out


def _summary(gains: np.ndarray, regret: np.ndarray, extra: dict[str, np.ndarray]) -> dict[str, Any]:
    """Figures over listener x session arrays (sessions already cut to the evaluated ones)."""
    per_listener = gains.mean(axis=1)
    half = 1.96 * per_listener.std(ddof=1) / math.sqrt(len(per_listener)) if len(per_listener) > 1 else 0.0
    low, high = np.percentile(gains, [2.5, 97.5])
    return {
        "mean_gain": round(float(gains.mean()), 4),
        "std": round(float(gains.std(ddof=1)) if gains.size > 1 else 0.0, 4),
        "interval95": [round(float(low), 4), round(float(high), 4)],
        "mean_ci95": [
            round(float(per_listener.mean() - half), 4),
            round(float(per_listener.mean() + half), 4),
        ],
        "regret": round(float(regret.mean()), 4),
        **{k: round(float(v.mean()), 4) for k, v in extra.items()},
    }


def check_arguments(listeners: int, sessions: int, seed: int, strategy: str, from_session: int) -> None:
    """``UsageError`` unless the arguments of ``simulate`` can work (before any catalog is read)."""
    if isinstance(from_session, bool) or not isinstance(from_session, int) or from_session < 1:
        raise UsageError(f"from_session must be a whole number >= 1, but got {from_session!r}")
    for name, value, low in (
        ("listeners", listeners, 2),
        ("sessions", sessions, from_session),
        ("seed", seed, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UsageError(f"{name} must be a whole number >= {low}, but got {value!r}")
    if strategy not in GOALS:
        raise UsageError(
            f"strategy must be one of {list(GOALS)} (match does not adapt), but got {strategy!r}"
        )


def simulate(
    index: RecommenderIndex,
    listeners: int = 500,
    sessions: int = 10,
    seed: int = 0,
    strategy: str = "lift",
    assumptions: Assumptions | None = None,
    from_session: int = 4,
    progress: Callable[[str], None] | None = None,
    with_taste: bool = False,
) -> dict[str, Any]:
    """Simulate ``listeners`` listeners for ``sessions`` sessions under each policy (module
    docstring) and return ``{policy: {mean_gain, std, interval95, mean_ci95, regret, read_gain,
    skips, likes, by_session}, ..., "adaptive_over_static", "assumptions", ...}``. The same
    arguments give the same figures."""
    a = assumptions or Assumptions()
    check_arguments(listeners, sessions, seed, strategy, from_session)
    began = time.perf_counter()
    say = progress or (lambda _: None)
    features = SongFeatures.for_index(index)
    rng = np.random.default_rng([seed, 0])
    confusion = np.array(FACES[a.faces], dtype=np.float64)
    setting = _Setting(
        index=index,
        features=features,
        hidden=rng.standard_normal((len(features), a.latent_dims)),
        population=rng.normal(0.0, a.population_sd, (len(SONG_FEATURES), 2)),
        confusion=confusion / confusion.sum(axis=1, keepdims=True),
        a=a,
        strategy=strategy,
    )

    # The population prior: a separate cohort's adaptive sessions from the default prior.
    prior = Prior.default()
    if a.cohort_listeners >= 2 and a.cohort_sessions >= 1:
        cohort = _world(setting, a.cohort_listeners, np.random.default_rng([seed, 1]))
        learner = _Adaptive(setting, prior, a.cohort_listeners, np.random.default_rng([seed, 2]))
        noise_rng = np.random.default_rng([seed, 3])
        for _ in range(a.cohort_sessions):
            noise = _Noise.draw(noise_rng, a.cohort_listeners, a.songs)
            _session(setting, cohort, learner, _start_mood(setting, cohort, noise), noise)
            cohort.rest = np.clip(cohort.rest + a.baseline_drift * noise.drift, -1.0, 1.0)
        prior = Prior.fit(np.concatenate(learner.x), np.concatenate(learner.y))
        say(f"population prior fitted on {prior.responses} responses of {a.cohort_listeners} listeners")

    world = _world(setting, listeners, np.random.default_rng([seed, 4]))
    say("choosing each listener's best fixed playlist")
    policies: dict[str, _Policy] = {
        "adaptive": _Adaptive(setting, prior, listeners, np.random.default_rng([seed, 5])),
        "static": _Static(setting),
        "replan": _Replan(setting),
        "random": _Random(setting, np.random.default_rng([seed, 6])),
        "best_fixed": _Fixed(_best_fixed(setting, world)),
    }
    if with_taste:
        policies["static_taste"] = _StaticTaste(setting)
    results: dict[str, dict[str, list[np.ndarray]]] = {p: {} for p in policies}
    noise_rng = np.random.default_rng([seed, 7])
    for s in range(sessions):
        noise = _Noise.draw(noise_rng, listeners, a.songs)
        start = _start_mood(setting, world, noise)
        for name, policy in policies.items():
            for key, value in _session(setting, world, policy, start, noise).items():
                results[name].setdefault(key, []).append(value)
        world.rest = np.clip(world.rest + a.baseline_drift * noise.drift, -1.0, 1.0)
        say(f"session {s + 1} of {sessions}")

    cut = slice(from_session - 1, None)
    best = np.stack(results["best_fixed"]["gain"], axis=1)
    out: dict[str, Any] = {}
    for name, parts in results.items():
        arrays = {k: np.stack(v, axis=1) for k, v in parts.items()}
        gains = arrays.pop("gain")
        summary = _summary(gains[:, cut], (best - gains)[:, cut], {k: v[:, cut] for k, v in arrays.items()})
        summary["by_session"] = [round(float(g), 4) for g in gains.mean(axis=0)]
        out[name] = summary
    static = out["static"]["mean_gain"]
    out["adaptive_over_static"] = round(out["adaptive"]["mean_gain"] / static, 3) if static > 0 else None
    out["listeners"], out["sessions"], out["seed"], out["strategy"] = listeners, sessions, seed, strategy
    out["from_session"] = from_session
    out["songs"] = len(features)
    out["prior_responses"] = prior.responses
    out["assumptions"] = asdict(a)
    out["seconds"] = round(time.perf_counter() - began, 2)
    return out


__all__ = ["FACES", "POLICIES", "Assumptions", "assumptions_from", "check_arguments", "simulate"]
