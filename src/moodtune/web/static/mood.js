// Reading logic with no DOM: smoothing frames into a steady reading, choosing the face that
// drives the playlist, and noticing a lasting change of mood while music plays.

export const MOODS = ["negative", "neutral", "positive"];
export const EMOTIONS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"];

export const ALPHA = 0.3; // weight of the newest frame in the exponential moving average
export const STEADY_MS = 2000; // the top mood unchanged and the reading calm this long -> steady
export const STEADY_DELTA = 0.05; // the largest frame-to-frame change of a smoothed mood that is "calm"
export const CHANGE_MS = 10000; // steady on another mood this long while music plays -> offer a re-plan

function blend(old, fresh, keys, alpha) {
  const out = {};
  for (const k of keys) out[k] = (1 - alpha) * (old[k] ?? 0) + alpha * (fresh[k] ?? 0);
  return out;
}

export function topKey(probs) {
  let best = null;
  for (const [k, v] of Object.entries(probs)) if (best === null || v > probs[best]) best = k;
  return best;
}

/** Exponential moving average of a face's readings, with a "steady" state. */
export class Smoother {
  constructor({ alpha = ALPHA, steadyMs = STEADY_MS, delta = STEADY_DELTA } = {}) {
    Object.assign(this, { alpha, steadyMs, delta });
    this.reset();
  }

  reset() {
    this.value = null; // {moods, emotions, valence, arousal}
    this.top = null;
    this.calmSince = null;
    this.change = 0;
    this.steady = false;
  }

  /** Fold in one face reading taken at time `now` (ms); returns the smoothed value. */
  update(face, now) {
    const fresh = {
      moods: face.mood_probabilities,
      emotions: face.probabilities,
      valence: face.valence,
      arousal: face.arousal,
    };
    if (this.value === null) {
      // Start from the first frame rather than from zeros, so the bars do not crawl up from nothing.
      this.value = structuredClone(fresh);
      this.top = topKey(fresh.moods);
      this.calmSince = now;
      this.change = 0;
    } else {
      const prev = this.value;
      const moods = blend(prev.moods, fresh.moods, MOODS, this.alpha);
      this.change = Math.max(...MOODS.map((k) => Math.abs(moods[k] - prev.moods[k])));
      this.value = {
        moods,
        emotions: blend(prev.emotions, fresh.emotions, EMOTIONS, this.alpha),
        valence: (1 - this.alpha) * prev.valence + this.alpha * fresh.valence,
        arousal: (1 - this.alpha) * prev.arousal + this.alpha * fresh.arousal,
      };
      const top = topKey(moods);
      if (top !== this.top || this.change > this.delta) this.calmSince = now;
      this.top = top;
    }
    this.steady = now - this.calmSince >= this.steadyMs;
    return this.value;
  }

  /** A single photo: its reading as it is, steady at once (a photo does not move). */
  setExact(face) {
    this.reset();
    this.update(face, 0);
    this.steady = true;
    this.calmSince = -Infinity;
    return this.value;
  }
}

export function boxCenter(box) {
  const [x, y, w, h] = box;
  return [x + w / 2, y + h / 2];
}

function area(box) {
  return box[2] * box[3];
}

/**
 * The index of the face that drives the playlist: the one whose centre is nearest `chosen`
 * (a centre the listener picked, followed from frame to frame), else the largest.
 */
export function pickFace(faces, chosen = null) {
  if (!faces.length) return -1;
  if (chosen) {
    let best = 0;
    let bestDist = Infinity;
    faces.forEach((f, i) => {
      const [cx, cy] = boxCenter(f.box);
      const d = Math.hypot(cx - chosen[0], cy - chosen[1]);
      if (d < bestDist) {
        best = i;
        bestDist = d;
      }
    });
    return best;
  }
  let best = 0;
  faces.forEach((f, i) => {
    if (area(f.box) > area(faces[best].box)) best = i;
  });
  return best;
}

/** The face whose box holds the point (x, y) in image pixels (the smallest if boxes overlap), or -1. */
export function faceAt(faces, x, y) {
  let hit = -1;
  faces.forEach((f, i) => {
    const [bx, by, bw, bh] = f.box;
    if (x >= bx && x <= bx + bw && y >= by && y <= by + bh) {
      if (hit === -1 || area(f.box) < area(faces[hit].box)) hit = i;
    }
  });
  return hit;
}

/**
 * Watches steady readings while music plays: when the steady mood differs from the mood the
 * queue was planned for, continuously for `ms`, `check` returns that mood once.
 */
export class MoodChangeWatcher {
  constructor(ms = CHANGE_MS) {
    this.ms = ms;
    this.planned = null;
    this.since = null;
    this.offered = false;
  }

  plan(mood) {
    this.planned = mood;
    this.since = null;
    this.offered = false;
  }

  check(mood, steady, playing, now) {
    if (!this.planned || !playing || !steady || mood === this.planned) {
      if (mood === this.planned) this.since = null;
      return null;
    }
    if (this.since === null || this.candidate !== mood) {
      this.since = now;
      this.candidate = mood;
      this.offered = false;
    }
    if (!this.offered && now - this.since >= this.ms) {
      this.offered = true;
      return mood;
    }
    return null;
  }
}
