"""What lifts each listener: a Bayesian linear model of how their mood answers a song.

A *response* (``Response``) is what the face said about one song: the listener's valence and arousal
at its start, at its end and on average over it, and how it ended (played to the end, skipped,
liked). From responses this module learns, per listener, how much a song with given features
changes their valence and their arousal, with an uncertainty, so that a planner
(``moodtune.music.adaptive``) can pick the next song by Thompson sampling: draw a plausible model
from the posterior and play the candidate that draws the largest gain (W. R. Thompson, "On the
likelihood that one unknown probability exceeds another in view of the evidence of two samples",
Biometrika 25, 1933; for linear payoffs S. Agrawal & N. Goyal, "Thompson sampling for contextual
bandits with linear payoffs", ICML 2013).

The model
---------
The outcome of a song is ``y = (end - start)`` of the face's valence and arousal, with explicit
feedback added to valence as its own evidence (``FEEDBACK_BONUS``: like +0.1, skip -0.1, played to
the end 0: an answer the listener gave counts alongside the face; a skip also ends the song early,
so its face change is small; the mean over the song is kept with the response, not used here).
Each outcome is linear in the terms of ``TERMS`` (``design``)::

    bias, listener valence, listener arousal           where the listener is (mean reversion)
    11 song features, standardised over the catalog   SONG_FEATURES: valence, energy, danceability,
                                                      tempo, acousticness, instrumentalness,
                                                      speechiness, loudness, Korean-language, K-pop,
                                                      decade (unknown values at the catalog mean)
    (song valence - listener valence)^2, same for arousal
                                                      how far the song is from the listener: the iso
                                                      principle says a song too far away helps less

Per listener, the two outputs (valence, arousal) have weights ``w_m ~ N(mu_m, s_m^2 A)`` with one
shared unit-noise covariance ``A`` (the conjugate normal model with known noise variances ``s_m^2``),
so a response updates both means and one ``A`` by a rank-one Sherman-Morrison step::

    A' = A - (A x)(A x)^T / (1/weight + x^T A x)
    mu' = mu + (A x)(y - x^T mu) / (1/weight + x^T A x)

which is exactly the batch posterior ``(A0^-1 + sum w x x^T)^-1 (A0^-1 mu0 + sum w x y)`` (a test
checks it), at O(d^2) per update (d = 16: tens of microseconds; ``benchmarks/response_bench.py``).

The prior: what helps listeners on average
------------------------------------------
``Prior.fit`` pools the responses of many listeners into one such posterior (from ``Prior.default``)
and keeps its mean as every new listener's starting point, its residual variance as the noise
``s_m^2``, and a per-listener spread of ``PRIOR_SD`` (0.05 valence per standard deviation of a
feature: a listener may differ from the average by a tenth of a mood-space unit over a song for a
feature two standard deviations away, which keeps the model exploring a little). Before any
responses exist ``Prior.default`` has mean 0 and noise ``NOISE_SD`` (0.3, about the spread of the
change of two face readings of a mood model that reads 88% of moods right; see
``moodtune.music.simulate``).

Why not a bandit library: MABWiser's ``LinTS`` / ``LinUCB`` and ``contextualbandits`` fit one
regression per arm over a context; here the arms are thousands of songs described by shared
features, each listener needs an informative prior mean, and the simulator updates hundreds of
listeners at once, which the closed form does in one batched numpy call.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from moodtune.errors import UsageError
from moodtune.moodspace import MoodPoint
from moodtune.music.catalog import FEATURES, _decade
from moodtune.music.normalize import fold
from moodtune.music.rank import RecommenderIndex

Ending = Literal["complete", "skip", "like"]
ENDINGS: tuple[str, ...] = get_args(Ending)

FEEDBACK_BONUS: dict[str, float] = {"complete": 0.0, "like": 0.1, "skip": -0.1}
"""Explicit feedback, in valence units, added to the face's valence change (see the module docstring)."""

SONG_FEATURES: tuple[str, ...] = (*FEATURES, "korean", "k-pop", "decade")
"""The song's side of the model: the catalog's audio features, language, genre and decade."""
CONTEXT: tuple[str, ...] = ("bias", "listener valence", "listener arousal")
GAPS: tuple[str, ...] = ("valence gap^2", "arousal gap^2")
TERMS: tuple[str, ...] = (*CONTEXT, *SONG_FEATURES, *GAPS)
"""Every term of the linear model, in the column order of ``design``."""
OUTPUTS: tuple[str, ...] = ("valence", "arousal")

GOALS: dict[str, tuple[int, float]] = {"lift": (0, 1.0), "calm": (1, -1.0), "energize": (1, 1.0)}
"""What each adaptive strategy wants from a song: (output column, sign): lift raises valence, calm
lowers arousal, energize raises it."""

PRIOR_SD = 0.05
"""The prior standard deviation of each weight around the population mean (see the module docstring)."""
NOISE_SD = 0.3
"""The default noise of an outcome, before ``Prior.fit`` has measured it."""
_FIRST_SONG_COLUMN = len(CONTEXT)


@dataclass(frozen=True)
class Response:
    """One song's answer from the face: the listener's mood at its start, end and on average over it
    (``MoodPoint``s), and how it ended: ``complete`` (played to the end), ``skip`` or ``like``."""

    song_id: str
    start: MoodPoint
    end: MoodPoint
    mean: MoodPoint
    ended: Ending = "complete"

    def __post_init__(self) -> None:
        if not isinstance(self.song_id, str) or not self.song_id.strip():
            raise UsageError(
                f"Response.song_id must be a song id such as 's_0123456789ab', got {self.song_id!r}"
            )
        for name in ("start", "end", "mean"):
            if not isinstance(getattr(self, name), MoodPoint):
                raise UsageError(
                    f"Response.{name} must be a MoodPoint(valence, arousal), but got {getattr(self, name)!r}"
                )
        if self.ended not in FEEDBACK_BONUS:
            raise UsageError(f"Response.ended must be one of {list(ENDINGS)}, but got {self.ended!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Response:
        """From ``{"song_id", "start": {"valence", "arousal"}, "end": ..., "mean": ..., "ended"}``."""
        try:
            points = {
                k: MoodPoint(float(data[k]["valence"]), float(data[k]["arousal"]))
                for k in ("start", "end", "mean")
            }
            return cls(str(data["song_id"]), ended=data.get("ended", "complete"), **points)
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                'a response is {"song_id", "start": {"valence", "arousal"}, "end": {...}, "mean": {...}, '
                f'"ended": "complete" | "skip" | "like"}}, but got {dict(data)!r} ({exc})'
            ) from None

    def outcome(self) -> np.ndarray:
        """``(2,)``: the valence change plus the feedback bonus, and the arousal change."""
        return np.array(
            [
                self.end.valence - self.start.valence + FEEDBACK_BONUS[self.ended],
                self.end.arousal - self.start.arousal,
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "song_id": self.song_id,
            "start": self.start.to_dict(),
            "end": self.end.to_dict(),
            "mean": self.mean.to_dict(),
            "ended": self.ended,
        }


class SongFeatures:
    """The song side of the model for every song of a ``RecommenderIndex`` (rows in its order):
    ``z`` ``(n, 11)``, the ``SONG_FEATURES`` standardised over these songs (unknown values at the
    mean, so 0), and ``points`` ``(n, 2)``, each song's place in the mood space."""

    def __init__(self, index: RecommenderIndex) -> None:
        if not isinstance(index, RecommenderIndex):
            raise UsageError(f"SongFeatures needs a RecommenderIndex, but got {type(index).__name__}")
        self.index = index
        songs = index.catalog.songs
        feats = index.catalog.features()[index.rows]
        extra = np.full((len(index), 3), np.nan)
        for r, pos in enumerate(index.rows.tolist()):
            song = songs[pos]
            extra[r, 0] = 1.0 if song.language == "ko" else 0.0
            extra[r, 1] = 1.0 if any(fold(g).startswith("k-pop") for g in song.genres) else 0.0
            decade = _decade(song)
            if decade[:4].isdigit():
                extra[r, 2] = float(decade[:4])
        raw = np.hstack([feats, extra])
        known = np.isfinite(raw)
        counts = np.maximum(known.sum(axis=0), 1)
        self.mean = np.where(known, raw, 0.0).sum(axis=0) / counts
        centred = np.where(known, raw - self.mean, 0.0)
        std = np.sqrt((centred**2).sum(axis=0) / counts)
        self.scale = np.where(std > 1e-9, std, 1.0)
        self.z = centred / self.scale
        va = feats[:, [FEATURES.index("valence"), FEATURES.index("energy")]]
        self.points = 2.0 * va - 1.0

    @classmethod
    def for_index(cls, index: RecommenderIndex) -> SongFeatures:
        """The features of ``index``, computed on first use and kept as long as the index lives."""
        hit = _FEATURES.get(index)
        if hit is None:
            hit = _FEATURES[index] = cls(index)
        return hit

    def __len__(self) -> int:
        return len(self.z)

    def design(self, rows: np.ndarray, state: np.ndarray) -> np.ndarray:
        """``design`` for index ``rows`` (any shape) and listener ``state`` (broadcastable ``(..., 2)``)."""
        rows = np.asarray(rows, dtype=np.int64)
        return design(self.z[rows], self.points[rows], state)


_FEATURES: weakref.WeakKeyDictionary[RecommenderIndex, SongFeatures] = weakref.WeakKeyDictionary()


def design(z: np.ndarray, points: np.ndarray, state: np.ndarray) -> np.ndarray:
    """The model's terms (``TERMS``) for songs with standardised features ``z`` ``(..., 11)`` and
    mood-space ``points`` ``(..., 2)`` heard by a listener at ``state`` ``(..., 2)`` (valence, arousal;
    broadcast against the songs): ``(..., 16)``."""
    z = np.asarray(z, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    state = np.asarray(state, dtype=np.float64)
    if z.shape[-1] != len(SONG_FEATURES) or points.shape[-1] != 2 or state.shape[-1] != 2:
        raise UsageError(
            f"design needs z (..., {len(SONG_FEATURES)}), points (..., 2) and state (..., 2), but got "
            f"shapes {z.shape}, {points.shape}, {state.shape}"
        )
    shape = np.broadcast_shapes(z.shape[:-1], points.shape[:-1], state.shape[:-1])
    state = np.broadcast_to(state, (*shape, 2))
    gaps = (np.broadcast_to(points, (*shape, 2)) - state) ** 2
    return np.concatenate(
        [np.ones((*shape, 1)), state, np.broadcast_to(z, (*shape, z.shape[-1])), gaps], axis=-1
    )


def _check_array(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape or not np.isfinite(arr).all():
        raise UsageError(f"{name} must be a finite array of shape {shape}, but got shape {arr.shape}")
    return arr


@dataclass(frozen=True)
class Prior:
    """Where every listener's model starts: weights ``mean`` ``(d, 2)`` (one column per output),
    their unit-noise covariance ``cov`` ``(d, d)`` (the weights' covariance is ``noise[m] * cov``),
    the ``noise`` variance of each output, and how many ``responses`` it was fitted on."""

    mean: np.ndarray
    cov: np.ndarray
    noise: tuple[float, float]
    responses: int = 0

    def __post_init__(self) -> None:
        d = len(TERMS)
        _check_array("Prior.mean", self.mean, (d, len(OUTPUTS)))
        _check_array("Prior.cov", self.cov, (d, d))
        if len(self.noise) != 2 or not all(math.isfinite(s) and s > 0 for s in self.noise):
            raise UsageError(f"Prior.noise must be two variances > 0, but got {self.noise!r}")

    @classmethod
    def default(cls, noise_sd: float = NOISE_SD, prior_sd: float = PRIOR_SD) -> Prior:
        """Nothing learned yet: mean 0, each weight ``N(0, prior_sd^2)``, noise ``noise_sd^2``."""
        d = len(TERMS)
        return cls(np.zeros((d, 2)), np.eye(d) * prior_sd**2 / noise_sd**2, (noise_sd**2, noise_sd**2))

    @classmethod
    def fit(
        cls, x: np.ndarray, y: np.ndarray, start: Prior | None = None, prior_sd: float = PRIOR_SD
    ) -> Prior:
        """What helps listeners on average: the posterior of one model over the pooled responses
        ``x`` ``(n, d)`` (``design`` rows) and outcomes ``y`` ``(n, 2)`` of many listeners, from
        ``start`` (default ``Prior.default()``). Its mean becomes the prior mean, the residual
        variance the noise, and each weight gets ``prior_sd`` around the mean for one listener."""
        start = start or cls.default()
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(TERMS) or y.shape != (len(x), 2) or not len(x):
            raise UsageError(
                f"Prior.fit needs x (n, {len(TERMS)}) and y (n, 2) with n >= 1, "
                f"but got {x.shape} and {y.shape}"
            )
        precision = np.linalg.inv(start.cov)
        mean = np.linalg.solve(precision + x.T @ x, precision @ start.mean + x.T @ y)
        residual = y - x @ mean
        noise = tuple(float(max(v, 1e-6)) for v in (residual**2).mean(axis=0))
        cov = np.diag([prior_sd**2 / noise[0]] * len(TERMS))
        return cls(mean, cov, (noise[0], noise[1]), len(x))

    def to_dict(self) -> dict[str, Any]:
        return {
            "terms": list(TERMS),
            "mean": self.mean.tolist(),
            "cov": self.cov.tolist(),
            "noise": list(self.noise),
            "responses": self.responses,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prior:
        if list(data.get("terms", [])) != list(TERMS):
            raise UsageError(
                f"this prior was fitted on terms {data.get('terms')!r}, but the model now uses "
                f"{list(TERMS)}; fit it again from the stored responses"
            )
        noise = data["noise"]
        return cls(
            np.array(data["mean"]),
            np.array(data["cov"]),
            (float(noise[0]), float(noise[1])),
            int(data["responses"]),
        )


class ResponseModel:
    """The posterior of ``listeners`` listeners' models at once (arrays with a leading listener axis):
    ``mean`` ``(N, d, 2)``, unit-noise covariance ``cov`` ``(N, d, d)``, ``noise`` ``(2,)`` and
    ``count`` ``(N,)`` responses seen. One listener is ``N = 1``; the simulator updates hundreds."""

    def __init__(self, prior: Prior, listeners: int = 1) -> None:
        if isinstance(listeners, bool) or not isinstance(listeners, int) or listeners < 1:
            raise UsageError(f"listeners must be a whole number >= 1, but got {listeners!r}")
        self.prior = prior
        self.mean = np.repeat(prior.mean[None], listeners, axis=0)
        self.cov = np.repeat(prior.cov[None], listeners, axis=0)
        self.noise = np.array(prior.noise, dtype=np.float64)
        self.count = np.zeros(listeners, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.mean)

    def view(self, listener: int) -> ResponseModel:
        """One listener's model as a model of its own, sharing this one's arrays (an update through
        it updates this one)."""
        if isinstance(listener, bool) or not isinstance(listener, int) or not 0 <= listener < len(self):
            raise UsageError(f"listener must be a whole number in [0, {len(self)}), but got {listener!r}")
        one = object.__new__(ResponseModel)
        one.prior, one.noise = self.prior, self.noise
        at = slice(listener, listener + 1)
        one.mean, one.cov, one.count = self.mean[at], self.cov[at], self.count[at]
        return one

    def update(
        self, x: np.ndarray, y: np.ndarray, weight: float | np.ndarray = 1.0, where: np.ndarray | None = None
    ) -> None:
        """One response per listener: terms ``x`` ``(N, d)``, outcomes ``y`` ``(N, 2)``, each counted
        ``weight`` times (``> 0``); ``where`` ``(N,)`` limits the update to some listeners. The
        Sherman-Morrison step of the module docstring."""
        n, d = self.mean.shape[:2]
        x = _check_array("x", x, (n, d))
        y = _check_array("y", y, (n, 2))
        w = np.broadcast_to(np.asarray(weight, dtype=np.float64), (n,))
        if not (np.isfinite(w).all() and (w > 0).all()):
            raise UsageError(f"weight must be > 0, but got {weight!r}")
        if where is not None:
            where = np.asarray(where, dtype=bool)
            idx = np.flatnonzero(where)
            if not len(idx):
                return
            x, y, w = x[idx], y[idx], w[idx]
        else:
            idx = slice(None)  # type: ignore[assignment]
        cov, mean = self.cov[idx], self.mean[idx]
        ax = np.einsum("nij,nj->ni", cov, x)
        denom = 1.0 / w + np.einsum("ni,ni->n", x, ax)
        gain = ax / denom[:, None]
        residual = y - np.einsum("ni,nim->nm", x, mean)
        mean = mean + gain[:, :, None] * residual[:, None, :]
        cov = cov - gain[:, :, None] * ax[:, None, :]
        self.mean[idx] = mean
        self.cov[idx] = 0.5 * (cov + np.swapaxes(cov, 1, 2))  # keep it symmetric against rounding
        self.count[idx] += 1

    def observe(self, features: SongFeatures, responses: Sequence[Response], listener: int = 0) -> int:
        """Update one listener's model (``listener``, default the first) from ``responses`` in order;
        songs not in ``features``' index are skipped. Returns how many responses were used."""
        if isinstance(responses, Response):
            raise UsageError("responses must be a list of Response, not a single one; wrap it in a list")
        one = self.view(listener)
        used = 0
        for i, response in enumerate(responses):
            if not isinstance(response, Response):
                raise UsageError(
                    f"responses must be Response objects, but item {i} is {type(response).__name__}"
                )
            row = int(features.index.rows_of([response.song_id])[0])
            if row < 0:
                continue
            state = np.array([response.start.valence, response.start.arousal])
            one.update(features.design(np.array([row]), state), response.outcome()[None])
            used += 1
        return used

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the outcomes for terms ``x`` ``(N, K, d)``:
        two ``(N, K, 2)`` arrays."""
        x = np.asarray(x, dtype=np.float64)
        mean = np.einsum("nkd,ndm->nkm", x, self.mean)
        var = np.einsum("nkd,nde,nke->nk", x, self.cov, x)
        sd = np.sqrt(np.clip(var, 0.0, None))[:, :, None] * np.sqrt(self.noise)[None, None, :]
        return mean, sd

    def sample(self, rng: np.random.Generator, output: int) -> np.ndarray:
        """One draw of each listener's weights for ``output`` (0 valence, 1 arousal) from the
        posterior: ``(N, d)``. Thompson sampling plays the song that is best under this draw."""
        d = self.mean.shape[1]
        try:
            chol = np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError:
            chol = np.linalg.cholesky(self.cov + 1e-9 * np.eye(d))
        z = rng.standard_normal((len(self), d))
        return self.mean[:, :, output] + math.sqrt(self.noise[output]) * np.einsum("nij,nj->ni", chol, z)

    def listener_dict(self, listener: int = 0) -> dict[str, Any]:
        """One listener's posterior as JSON-ready data (to store beside their responses)."""
        return {
            "terms": list(TERMS),
            "mean": self.mean[listener].tolist(),
            "cov": self.cov[listener].tolist(),
            "noise": self.noise.tolist(),
            "count": int(self.count[listener]),
        }


__all__ = [
    "ENDINGS",
    "FEEDBACK_BONUS",
    "GOALS",
    "PRIOR_SD",
    "SONG_FEATURES",
    "TERMS",
    "Prior",
    "Response",
    "ResponseModel",
    "SongFeatures",
    "design",
]
