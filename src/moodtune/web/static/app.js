// moodtune's page: wires the camera or a photo (or a mood the listener chooses), the smoothed
// reading, the playlist and its players, and the listener's own data to the API (docs/api.md).
// No build step, no library.

import { api, ApiError, YOUTUBE_CONNECT_URL } from "./api.js";
import { Camera, clickToImage, drawBoxes } from "./camera.js";
import { drawHistory } from "./chart.js";
import { download, idsFromHash, playlistCsv, playlistJson, shareUrl } from "./export.js";
import {
  applyTranslations,
  formatTime,
  has,
  language,
  languageName,
  onLanguageChange,
  percent,
  setLanguage,
  t,
} from "./i18n.js";
import { boxCenter, EMOTIONS, faceAt, MoodChangeWatcher, MOODS, pickFace, Smoother } from "./mood.js";
import { Player, songLink } from "./player.js";

const N_SONGS = 20;
const MORE_LIKE_N = 5;
const READING_EVERY_MS = 10000;
const SHARED_FETCHES = 6;
const DEFAULT_STRATEGIES = ["match", "lift", "calm", "energize"];
const CHOICE_SETTLE_MS = 400; // a slider moved by keyboard settles this long before the playlist follows

const $ = (id) => document.getElementById(id);

const state = {
  config: null,
  youtube: null, // GET /api/v1/youtube/status
  youtubeNote: null, // {key, params, url}: what the last save said
  me: null,
  analysis: null, // {size, faces, source: "camera" | "photo"}
  driving: -1,
  chosen: null, // the centre of the face the listener picked, followed frame to frame
  noFaceFrames: 0,
  calibrationApplied: false,
  plan: null, // {mood, strategy, chosen} the queue was built for
  choice: null, // a mood the listener chose, over any face: {mood} or {valence, arousal}
  autoBuilt: false,
  building: false,
  buildAgain: false, // asked for while a playlist was being built
  lastReadingPost: -Infinity,
  judged: new Map(), // song id -> "like" | "dislike"
  message: null, // {key, params, text, kind}
  faceNote: null, // {key, params}
  playerNote: null, // key
  failed: { yt: false, spotify: false }, // a player's script could not load
  spotifyPreview: false, // Spotify plays 30-second previews (not signed in)
};

const smoother = new Smoother();
const watcher = new MoodChangeWatcher();

// ---------------------------------------------------------------- messages

function showMessage(key, params = {}, kind = "info") {
  state.message = key ? { key, params, kind } : null;
  renderMessage();
}

function showError(err) {
  if (err instanceof ApiError) {
    const key = `error.${err.code}`;
    // Known codes read in the page's language; others show the service's own sentence.
    state.message = has(key) ? { key, params: {}, kind: "error" } : { text: err.message, kind: "error" };
  } else {
    state.message = { text: String(err && err.message ? err.message : err), kind: "error" };
  }
  renderMessage();
}

function renderMessage() {
  const box = $("message");
  const m = state.message;
  if (!m) {
    box.hidden = true;
    box.textContent = "";
    box.className = "message";
    return;
  }
  box.textContent = m.key ? t(m.key, m.params) : m.text;
  box.className = `message ${m.kind}`;
  box.hidden = false;
}

function setFaceNote(key, params = {}) {
  state.faceNote = key ? { key, params } : null;
  renderFaceNote();
}

function renderFaceNote() {
  const note = $("face-note");
  const text = state.faceNote ? t(state.faceNote.key, state.faceNote.params) : "";
  if (note.textContent !== text) note.textContent = text;
  note.hidden = !text;
}

// ---------------------------------------------------------------- the reading

function barRow(kind, name, value, top) {
  const li = document.createElement("li");
  li.className = "bar-row" + (top ? " top" : "");
  li.dataset[kind] = name;
  li.dataset.value = value.toFixed(3);
  const label = document.createElement("span");
  label.className = "bar-label";
  label.textContent = t(`${kind}.${name}`);
  const track = document.createElement("span");
  track.className = "bar-track";
  track.setAttribute("aria-hidden", "true");
  const fill = document.createElement("span");
  fill.className = `bar-fill ${kind}-${name}`;
  fill.style.width = `${Math.round(value * 1000) / 10}%`;
  track.appendChild(fill);
  const num = document.createElement("span");
  num.className = "bar-value";
  num.textContent = percent(value);
  li.append(label, track, num);
  return li;
}

function renderReading() {
  const v = smoother.value;
  const moods = v ? v.moods : Object.fromEntries(MOODS.map((m) => [m, 0]));
  const emotions = v ? v.emotions : Object.fromEntries(EMOTIONS.map((e) => [e, 0]));
  const topEmotion = v ? EMOTIONS.reduce((a, b) => (emotions[b] > emotions[a] ? b : a)) : null;
  $("mood-bars").replaceChildren(...MOODS.map((m) => barRow("mood", m, moods[m] || 0, v && m === smoother.top)));
  $("emotion-bars").replaceChildren(
    ...EMOTIONS.map((e) => barRow("emotion", e, emotions[e] || 0, v && e === topEmotion)),
  );
  const summary = $("reading-summary");
  let text;
  if (!v) text = t("reading_empty");
  else if (state.analysis && state.analysis.source === "photo") text = t("reading_photo", { mood: t(`mood.${smoother.top}`) });
  else text = t(smoother.steady ? "reading_steady" : "reading_settling", { mood: t(`mood.${smoother.top}`) });
  // The live region speaks only when the words change, not at every frame.
  if (summary.textContent !== text) summary.textContent = text;
  summary.dataset.empty = String(!v);
  summary.dataset.mood = v ? smoother.top : "";
  const steady = $("steady-badge");
  steady.hidden = !(v && smoother.steady);
  steady.dataset.steady = String(Boolean(v && smoother.steady));
  $("calibrated-badge").hidden = !(v && state.calibrationApplied);
  $("calibrate").disabled = !v;
  $("build").disabled = !(v || state.choice) || state.building;
}

function drawOverlay() {
  const canvas = $("overlay");
  const a = state.analysis;
  if (!a) {
    canvas.hidden = true;
    return;
  }
  const source = a.source === "camera" ? $("video") : $("photo");
  if (source.hidden) {
    canvas.hidden = true;
    return;
  }
  canvas.hidden = false;
  drawBoxes(canvas, source, a.size, a.faces, state.driving, a.source === "camera");
  const n = a.faces.length;
  canvas.setAttribute("aria-label", n === 0 ? t("no_face") : n === 1 ? t("overlay_label_one") : t("overlay_label", { n }));
  canvas.dataset.faces = String(n);
  canvas.dataset.driving = String(state.driving);
  canvas.classList.toggle("choosable", n > 1);
  $("face-next").hidden = n < 2;
}

const QUALITY_FLAGS = ["too_dark", "too_small", "blurred", "turned_away"];

function handleAnalysis(res, source) {
  state.analysis = { size: res.image, faces: res.faces || [], source };
  const faces = state.analysis.faces;
  if (!faces.length) {
    state.driving = -1;
    state.noFaceFrames += 1;
    if (source === "photo") {
      smoother.reset();
      setFaceNote("no_face_photo");
    } else if (state.noFaceFrames >= 3) {
      // A face lost for a moment keeps its reading, but is no longer steady.
      setFaceNote("no_face");
      smoother.calmSince = performance.now();
      smoother.steady = false;
    }
    drawOverlay();
    renderReading();
    return;
  }
  state.noFaceFrames = 0;
  const i = pickFace(faces, state.chosen);
  if (state.chosen) state.chosen = boxCenter(faces[i].box);
  state.driving = i;
  const face = faces[i];
  if (source === "photo") smoother.setExact(face);
  else smoother.update(face, performance.now());
  state.calibrationApplied = Boolean(face.calibration && face.calibration.applied);
  const q = face.quality || {};
  const flag = QUALITY_FLAGS.find((f) => q[f]);
  setFaceNote(flag ? `quality.${flag}` : null);
  drawOverlay();
  renderReading();
  afterReading();
}

function afterReading() {
  // A mood the listener chose drives the playlist (and history) until they follow their face again.
  if (state.choice || !smoother.steady || !smoother.value) return;
  if (!state.autoBuilt && !player.queue.length && !state.building) {
    state.autoBuilt = true;
    buildPlaylist();
  }
  maybeStoreReading();
  const changed = watcher.check(smoother.top, smoother.steady, player.started && player.queue.length > 0, performance.now());
  if (changed) offerReplan(changed);
}

function normalized(probs, keys) {
  const total = keys.reduce((s, k) => s + Math.max(0, probs[k] || 0), 0) || 1;
  return Object.fromEntries(keys.map((k) => [k, Math.round((Math.max(0, probs[k] || 0) / total) * 1e6) / 1e6]));
}

function maybeStoreReading() {
  if (!state.me || !state.me.history_enabled) return;
  const now = performance.now();
  if (now - state.lastReadingPost < READING_EVERY_MS) return;
  state.lastReadingPost = now;
  const v = smoother.value;
  api
    .postReading({
      probabilities: normalized(v.emotions, EMOTIONS),
      valence: Math.max(-1, Math.min(1, v.valence)),
      arousal: Math.max(-1, Math.min(1, v.arousal)),
    })
    .then(() => refreshHistory())
    .catch(showError);
}

// ---------------------------------------------------------------- camera and photo

const camera = new Camera(
  $("video"),
  async (blob) => {
    try {
      const res = await api.analyzeFrame(blob);
      if (camera.running) handleAnalysis(res, "camera");
      if (state.message && state.message.kind === "error") showMessage(null);
      return 0;
    } catch (err) {
      showError(err);
      if (err instanceof ApiError && err.retryAfter) return err.retryAfter * 1000;
      return 1000;
    }
  },
  (paused) => {
    if (paused) setFaceNote("camera_paused");
    else if (state.faceNote && state.faceNote.key === "camera_paused") setFaceNote(null);
  },
);

function cameraButtons() {
  $("camera-start").hidden = camera.running;
  $("camera-stop").hidden = !camera.running;
}

async function startCamera() {
  showMessage(null);
  try {
    $("photo").hidden = true;
    state.analysis = null;
    state.chosen = null;
    smoother.reset();
    await camera.start();
    $("stage-empty").hidden = true;
    cameraButtons();
    $("camera-stop").focus();
  } catch (err) {
    camera.stop();
    cameraButtons();
    const name = err && err.name;
    const key =
      name === "NotAllowedError" || name === "SecurityError"
        ? "camera_denied"
        : name === "NotFoundError" || name === "OverconstrainedError"
          ? "camera_not_found"
          : name === "NotSupportedError"
            ? "camera_unsupported"
            : "camera_failed";
    showMessage(key, { name: name || "error" }, "warn");
    $("stage-empty").hidden = false;
    $("photo-input").focus();
  }
  renderReading();
}

function stopCamera(moveFocus = true) {
  camera.stop();
  cameraButtons();
  if (state.analysis && state.analysis.source === "camera") {
    state.analysis = null;
    drawOverlay();
  }
  setFaceNote(null);
  $("stage-empty").hidden = !$("photo").hidden;
  if (moveFocus) $("camera-start").focus();
}

async function handleFile(file) {
  if (!file) return;
  const limit = (state.config && state.config.limits && state.config.limits.max_upload_bytes) || 10 * 1024 * 1024;
  if (file.type && !file.type.startsWith("image/")) {
    showMessage("upload_not_image", {}, "error");
    return;
  }
  if (file.size > limit) {
    showMessage("upload_too_large", { mb: Math.round(limit / 1048576) }, "error");
    return;
  }
  showMessage(null);
  if (camera.running) stopCamera(false);
  const photo = $("photo");
  const old = photo.src;
  photo.src = URL.createObjectURL(file);
  photo.hidden = false;
  $("stage-empty").hidden = true;
  if (old && old.startsWith("blob:")) URL.revokeObjectURL(old);
  try {
    await photo.decode();
  } catch {
    photo.hidden = true; // e.g. HEIC: the browser cannot show it, the service can still read it
  }
  try {
    const res = await api.analyzeFile(file);
    state.chosen = null;
    handleAnalysis(res, "photo");
  } catch (err) {
    showError(err);
  }
}

function chooseFace(i) {
  const a = state.analysis;
  if (!a || i < 0 || i >= a.faces.length) return;
  state.chosen = boxCenter(a.faces[i].box);
  state.driving = i;
  // Another person: their reading starts afresh rather than blending with the last one.
  if (a.source === "photo") smoother.setExact(a.faces[i]);
  else {
    smoother.reset();
    smoother.update(a.faces[i], performance.now());
  }
  drawOverlay();
  renderReading();
  showMessage("face_chosen");
}

// ---------------------------------------------------------------- choosing a mood

const signed = (x) => `${x > 0 ? "+" : ""}${x.toFixed(2)}`;

/** The listener mood of a point, as the service reads it (moodspace.mood_of_point). */
function moodOfPoint(valence) {
  return valence <= -0.2 ? "negative" : valence >= 0.2 ? "positive" : "neutral";
}

/** A point of the pad from a pointer event: valence left to right, arousal bottom to top. */
function padPoint(event) {
  const box = $("mood-pad").getBoundingClientRect();
  const clamp = (x) => Math.max(-1, Math.min(1, Math.round(x * 20) / 20));
  return {
    valence: clamp(((event.clientX - box.left) / box.width) * 2 - 1),
    arousal: clamp(1 - ((event.clientY - box.top) / box.height) * 2),
  };
}

/** The listener chose a mood (a name, or a point): it drives the playlist, at once. */
function choose(choice) {
  state.choice = choice;
  $("replan").hidden = true;
  if (choice.valence !== undefined) {
    $("pad-valence").value = String(choice.valence);
    $("pad-arousal").value = String(choice.arousal);
  }
  renderChoice();
  renderReading();
  storeChoice(choice);
  buildPlaylist();
}

/** Kept like a reading, and only while history is on. */
function storeChoice(choice) {
  if (!state.me || !state.me.history_enabled) return;
  const body = choice.mood ? { mood: choice.mood } : { valence: choice.valence, arousal: choice.arousal };
  api
    .postReading(body)
    .then(() => refreshHistory())
    .catch(showError);
}

/** Back to the face: its reading drives the playlist again (now, if there is one). */
function clearChoice() {
  state.choice = null;
  renderChoice();
  renderReading();
  if (smoother.value) buildPlaylist();
  else renderBuildHint();
  $("choose-negative").focus(); // the button pressed is gone: stay in the chooser
}

function renderChoice() {
  const c = state.choice;
  for (const button of document.querySelectorAll(".mood-choice")) {
    button.setAttribute("aria-pressed", String(Boolean(c && c.mood === button.dataset.mood)));
  }
  const dot = $("pad-dot");
  const point = c && c.valence !== undefined ? c : null;
  dot.hidden = !point;
  if (point) {
    dot.style.left = `${((point.valence + 1) / 2) * 100}%`;
    dot.style.top = `${((1 - point.arousal) / 2) * 100}%`;
  }
  const text = $("choice-state");
  text.hidden = !c;
  text.textContent = !c
    ? ""
    : c.mood
      ? t("choice_mood", { mood: t(`mood.${c.mood}`) })
      : t("choice_point", { mood: t(`mood.${moodOfPoint(c.valence)}`), valence: signed(c.valence), arousal: signed(c.arousal) });
  $("choice-clear").hidden = !c;
}

// ---------------------------------------------------------------- the playlist

function currentFilters() {
  // Every song one of the two players plays; "YouTube only" narrows it to songs with a video.
  const filters = { playable_only: true, youtube_only: $("filter-youtube").checked };
  for (const [key, id] of [
    ["language", "filter-language"],
    ["genre", "filter-genre"],
    ["decade", "filter-decade"],
  ]) {
    const v = $(id).value;
    if (v) filters[key] = v;
  }
  return filters;
}

/** What the playlist follows: the mood the listener chose, else the face's smoothed reading. */
function playlistReading() {
  const c = state.choice;
  if (c) return c.mood ? { mood: c.mood } : { valence: c.valence, arousal: c.arousal };
  if (smoother.value) return { probabilities: normalized(smoother.value.moods, MOODS) };
  return null;
}

async function buildPlaylist() {
  const reading = playlistReading();
  if (!reading) return;
  if (state.building) {
    state.buildAgain = true; // e.g. another mood chosen meanwhile: the latest wins
    return;
  }
  state.building = true;
  renderReading();
  showMessage("building");
  const strategy = $("strategy").value || "match";
  const chosen = Boolean(state.choice);
  try {
    const res = await api.recommend({ ...reading, strategy, filters: currentFilters(), n: N_SONGS });
    const mood = (res.plan && res.plan.reading && res.plan.reading.mood) || smoother.top;
    state.plan = { mood, strategy, chosen, count: res.songs.length };
    watcher.plan(mood);
    $("replan").hidden = true;
    player.setQueue(res.songs);
    showMessage(res.songs.length ? null : "no_songs", {}, "warn");
  } catch (err) {
    showError(err);
  } finally {
    state.building = false;
    renderReading();
    renderBuildHint();
  }
  if (state.buildAgain) {
    state.buildAgain = false;
    buildPlaylist();
  }
}

function renderBuildHint() {
  const hint = $("build-hint");
  const p = state.plan;
  if (p && p.shared) hint.textContent = t("build_hint_shared", { n: p.count });
  else if (p) {
    const mood = t(`mood.${p.mood}`);
    hint.textContent = t(p.chosen ? "build_hint_chosen" : "build_hint_built", {
      n: p.count,
      strategy: t(`strategy.${p.strategy}`),
      mood: language() === "en" ? mood.toLowerCase() : mood,
    });
  } else hint.textContent = t(smoother.value || state.choice ? "build_hint_ready" : "build_hint_waiting");
  $("build").textContent = t(player.queue.length ? "rebuild_button" : "build_button");
}

function offerReplan(mood) {
  state.replanMood = mood;
  $("replan-text").textContent = t("replan_text", { mood: t(`mood.${mood}`) });
  $("replan").hidden = false;
  $("replan").dataset.mood = mood;
}

async function replan() {
  const mood = state.replanMood;
  $("replan").hidden = true;
  if (!smoother.value) return;
  const keep = player.queue.slice(0, player.index + 1).map((e) => e.song.id);
  try {
    const res = await api.recommend({
      probabilities: normalized(smoother.value.moods, MOODS),
      strategy: $("strategy").value || "match",
      filters: currentFilters(),
      n: N_SONGS,
      exclude_ids: keep,
    });
    player.replaceUpcoming(res.songs);
    state.plan = { ...state.plan, mood, count: player.queue.length };
    watcher.plan(mood);
    showMessage("replanned", { mood: t(`mood.${mood}`) });
    renderBuildHint();
  } catch (err) {
    showError(err);
  }
}

function songItem(entry, i) {
  const song = entry.song;
  const li = document.createElement("li");
  li.className = "song";
  li.dataset.key = entry.key;
  li.dataset.songId = song.id;
  li.dataset.kind = (song.play && song.play.kind) || "search";
  if (song.play && song.play.youtube_id) li.dataset.youtubeId = song.play.youtube_id;
  if (entry.unplayable) li.dataset.unplayable = "true";
  if (i === player.index) li.setAttribute("aria-current", "true");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "song-play";
  button.setAttribute("aria-label", t("play_song", { title: song.title, artist: song.artist }));
  const pos = document.createElement("span");
  pos.className = "pos";
  pos.textContent = String(i + 1);
  const title = document.createElement("span");
  title.className = "title";
  title.textContent = song.title;
  const artist = document.createElement("span");
  artist.className = "artist";
  artist.textContent = song.artist;
  button.append(pos, title, artist);
  button.addEventListener("click", () => player.play(i));
  const reason = document.createElement("p");
  reason.className = "reason";
  reason.textContent = song.reason || "";
  const link = songLink(song);
  const a = document.createElement("a");
  a.className = "song-link";
  a.href = link.url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.textContent = t(link.kind === "youtube" ? "open_youtube" : link.kind === "spotify" ? "open_spotify" : "search_song");
  const meta = document.createElement("p");
  meta.className = "song-meta";
  meta.append(a);
  if (entry.unplayable) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = t("unplayable_tag");
    meta.append(" ", tag);
  }
  li.append(button, reason, meta);
  return li;
}

function renderQueue() {
  const q = player.queue;
  const list = $("queue");
  // Rebuilding the list must not drop the keyboard focus of someone working through it.
  const active = document.activeElement;
  const focusedItem = active && list.contains(active) ? active.closest("li.song") : null;
  const focus = focusedItem ? { key: focusedItem.dataset.key, cls: active.className } : null;
  list.replaceChildren(...q.map(songItem));
  if (focus) {
    const again = list.querySelector(`li[data-key="${focus.key}"] .${focus.cls.split(" ")[0]}`);
    if (again) again.focus();
  }
  $("queue-empty").hidden = q.length > 0;
  $("export").hidden = q.length === 0;
  if (!q.length) $("share-box").hidden = true;
  $("queue").dataset.count = String(q.length);
  renderBuildHint();
  renderYoutube();
}

function renderPlayer() {
  const cur = player.current;
  $("player-area").hidden = !cur;
  $("player-empty").hidden = Boolean(cur);
  $("now-label").textContent = t(player.started ? "now_playing" : "ready_to_play");
  $("now-title").textContent = cur ? `${cur.song.title} — ${cur.song.artist}` : "";
  $("now-reason").textContent = cur ? cur.song.reason || "" : "";
  $("play").textContent = t(player.playing ? "pause" : "play");
  $("prev").disabled = player.index <= 0;
  $("next").disabled = !cur || player.index >= player.queue.length - 1;
  const judged = cur ? state.judged.get(cur.song.id) : null;
  $("like").setAttribute("aria-pressed", String(judged === "like"));
  $("dislike").setAttribute("aria-pressed", String(judged === "dislike"));
  const note = $("player-note");
  const failed = [state.failed.yt && "yt_unavailable", state.failed.spotify && "spotify_unavailable"].filter(Boolean);
  const keys = failed.length ? failed : state.playerNote ? [state.playerNote] : [];
  note.textContent = keys.map((k) => t(k)).join(" ");
  note.hidden = !keys.length;
  note.classList.toggle("warn", failed.length > 0);
  // Said plainly while a Spotify song is in the player and the embed plays previews only.
  const preview = $("spotify-note");
  preview.hidden = !(state.spotifyPreview && player.screen === "spotify");
  preview.textContent = preview.hidden ? "" : t("spotify_preview");
}

const player = new Player(
  { ytHost: $("yt-host"), spotifyHost: $("spotify-host"), linkHost: $("link-host") },
  {
    change: () => {
      renderQueue();
      renderPlayer();
    },
    note: (key) => {
      state.playerNote = key;
      renderPlayer();
    },
    text: (key, params) => t(key, params),
    feedback: (song, event) => sendFeedback(song, event),
    failed: (name) => {
      state.failed[name] = true;
      state.playerNote = null;
      renderPlayer();
    },
    preview: (on) => {
      if (state.spotifyPreview === on) return;
      state.spotifyPreview = on;
      renderPlayer();
    },
  },
);

function sendFeedback(song, event) {
  api
    .feedback(song.id, event)
    .then(() => refreshMe())
    .catch(showError);
}

function judge(event) {
  const cur = player.current;
  if (!cur) return;
  state.judged.set(cur.song.id, event);
  sendFeedback(cur.song, event);
  renderPlayer();
  // A dislike while listening means "not this": move on (the dislike says more than a skip would).
  if (event === "dislike" && player.started) player.next({ skipped: false });
}

async function moreLikeThis() {
  const cur = player.current;
  if (!cur) return;
  const filters = currentFilters();
  try {
    const res = await api.recommend({
      more_like: cur.song.id,
      // The service looks at the n*20+50 nearest songs only; with "YouTube only" few of them may
      // qualify, so ask for more and keep the nearest few.
      n: filters.youtube_only ? MORE_LIKE_N * 6 : MORE_LIKE_N,
      filters,
      exclude_ids: player.ids(),
    });
    const songs = res.songs.slice(0, MORE_LIKE_N);
    player.insertAfterCurrent(songs);
    showMessage(songs.length ? "more_like_added" : "more_like_none", { n: songs.length });
  } catch (err) {
    showError(err);
  }
}

async function loadShared(ids) {
  if (!ids || !ids.length) return;
  showMessage("shared_loading");
  const songs = new Array(ids.length).fill(null);
  let next = 0;
  let missing = 0;
  async function fetchSong(id, tries = 5) {
    try {
      return await api.song(id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        missing += 1;
        return null;
      }
      // A long shared list can meet the rate limit: wait as told, then ask again.
      if (err instanceof ApiError && (err.status === 429 || err.status === 503) && tries > 1) {
        await new Promise((resolve) => setTimeout(resolve, (err.retryAfter || 1) * 1000));
        return fetchSong(id, tries - 1);
      }
      throw err;
    }
  }
  async function worker() {
    while (next < ids.length) {
      const i = next++;
      songs[i] = await fetchSong(ids[i]);
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(SHARED_FETCHES, ids.length) }, worker));
  } catch (err) {
    showError(err);
    return;
  }
  const found = songs.filter(Boolean);
  state.plan = { shared: true, count: found.length };
  watcher.plan(null);
  player.setQueue(found);
  showMessage(missing ? "shared_missing" : null, { n: missing }, "warn");
}

function exportName(ext) {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `moodtune-playlist-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}.${ext}`;
}

async function share() {
  const url = shareUrl(player.ids());
  // The address bar becomes the link too; replaceState fires no hashchange, so nothing reloads.
  history.replaceState(null, "", url);
  const input = $("share-url");
  input.value = url;
  $("share-box").hidden = false;
  input.focus();
  input.select();
  try {
    await navigator.clipboard.writeText(url);
    showMessage("share_copied");
  } catch {
    // no clipboard permission: the selected link is there to copy by hand
  }
}

// ---------------------------------------------------------------- saving to YouTube

const PENDING_SAVE = "moodtune.pendingYoutubeSave";

function renderYoutube() {
  const yt = state.youtube;
  const button = $("youtube-save");
  const note = $("youtube-note");
  const hasSongs = player.ids().length > 0;
  button.hidden = !yt || !yt.configured || !hasSongs;
  if (yt && yt.configured) button.textContent = t(yt.connected ? "youtube_save" : "youtube_connect");
  if (state.youtubeNote) {
    note.hidden = false;
    note.replaceChildren(document.createTextNode(t(state.youtubeNote.key, state.youtubeNote.params || {})));
    if (state.youtubeNote.url) {
      const a = document.createElement("a");
      a.href = state.youtubeNote.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = t("youtube_open");
      note.append(" ", a);
    }
  } else if (yt && !yt.configured && hasSongs) {
    note.hidden = false;
    note.textContent = t("youtube_not_configured");
  } else {
    note.hidden = true;
  }
}

async function refreshYoutube() {
  try {
    state.youtube = await api.youtubeStatus();
  } catch {
    state.youtube = null; // an older server without the route: no button
  }
  renderYoutube();
}

async function saveToYoutube() {
  const ids = player.ids();
  if (!ids.length || !state.youtube) return;
  if (!state.youtube.connected) {
    // Google's consent page, then back to "/?youtube=connected": keep the playlist to save it then.
    sessionStorage.setItem(PENDING_SAVE, JSON.stringify(ids));
    window.location.assign(YOUTUBE_CONNECT_URL);
    return;
  }
  state.youtubeNote = { key: "youtube_saving" };
  renderYoutube();
  const mood = state.plan && state.plan.mood;
  const title = `moodtune ${mood ? `- ${mood} ` : ""}- ${new Date().toLocaleDateString()}`;
  try {
    const saved = await api.saveToYoutube({ title, song_ids: ids });
    const skipped = (saved.skipped || []).length;
    state.youtubeNote = { key: "youtube_saved", params: { n: (saved.added || []).length }, url: saved.url };
    if (skipped) showMessage("youtube_saved_skipped", { skipped }, "warn");
  } catch (err) {
    state.youtubeNote = null;
    showError(err);
  }
  renderYoutube();
}

/** Back from Google's consent page: say how it went, and save the playlist the listener asked for. */
async function afterYoutubeConsent() {
  const params = new URLSearchParams(window.location.search);
  const outcome = params.get("youtube");
  if (!outcome) return;
  history.replaceState(null, "", window.location.pathname + window.location.hash);
  const pending = sessionStorage.getItem(PENDING_SAVE);
  sessionStorage.removeItem(PENDING_SAVE);
  if (outcome === "denied") return showMessage("youtube_denied", {}, "warn");
  if (outcome !== "connected") return showMessage("youtube_failed", { code: params.get("code") || outcome }, "warn");
  if (!pending) return;
  await loadShared(JSON.parse(pending));
  await refreshYoutube();
  await saveToYoutube();
}

// ---------------------------------------------------------------- the listener's data

async function refreshMe() {
  try {
    state.me = await api.me();
  } catch (err) {
    showError(err);
  }
  renderMe();
}

function renderMe() {
  const me = state.me;
  $("history-enabled").checked = Boolean(me && me.history_enabled);
  $("calibration-enabled").checked = Boolean(me && me.calibration_enabled);
  const hasBaseline = Boolean(me && me.calibration);
  $("calibration-reset").disabled = !hasBaseline;
  const calState = $("calibration-state");
  calState.textContent = t(!hasBaseline ? "calibration_state_none" : me.calibration_enabled ? "calibration_state_on" : "calibration_state_off");
  calState.dataset.baseline = String(hasBaseline);
  const statement = $("stored-statement");
  // The service states what it stores; in Korean the page says the same in Korean.
  statement.textContent = language() === "ko" || !me || !me.stored ? t("stored_statement") : me.stored;
  $("stored-counts").textContent = me
    ? `${t(me.history_enabled ? "history_on" : "history_off")} ${t("stored_counts", {
        readings: me.readings_count ?? 0,
        feedback: me.feedback_count ?? 0,
      })}`
    : "";
}

async function refreshHistory() {
  try {
    const h = await api.history();
    state.history = h.readings || [];
  } catch (err) {
    state.history = [];
    showError(err);
  }
  renderHistory();
  refreshMe();
}

function renderHistory() {
  const readings = state.history || [];
  const svg = $("history-chart");
  const n = drawHistory(svg, readings, { high: t("chart_high"), low: t("chart_low") }, svg.clientWidth || 600);
  svg.dataset.points = String(n);
  $("chart-caption").textContent = n
    ? t("chart_caption", { n, from: formatTime(readings[0].at), to: formatTime(readings[readings.length - 1].at) })
    : t("chart_empty");
}

async function setPreference(field, checkbox) {
  try {
    state.me = await api.patchMe({ [field]: checkbox.checked });
  } catch (err) {
    showError(err);
  }
  renderMe();
  if (field === "history_enabled") {
    state.lastReadingPost = -Infinity;
    if (checkbox.checked && state.choice) storeChoice(state.choice);
    else if (checkbox.checked) afterReading();
    refreshHistory();
  }
}

async function calibrate() {
  if (!smoother.value) {
    showMessage("calibration_needs_reading", {}, "warn");
    return;
  }
  try {
    state.me = await api.putCalibration(normalized(smoother.value.emotions, EMOTIONS));
    renderMe();
    showMessage("calibration_saved");
    // The next readings are corrected: let them settle from scratch.
    if (state.analysis && state.analysis.source === "camera") smoother.reset();
  } catch (err) {
    showError(err);
  }
}

async function resetCalibration() {
  try {
    await api.deleteCalibration();
    state.calibrationApplied = false;
    showMessage("calibration_removed");
  } catch (err) {
    showError(err);
  }
  await refreshMe();
  renderReading();
}

function resetPage() {
  if (camera.running) camera.stop();
  cameraButtons();
  const photo = $("photo");
  if (photo.src.startsWith("blob:")) URL.revokeObjectURL(photo.src);
  photo.removeAttribute("src");
  photo.hidden = true;
  $("stage-empty").hidden = false;
  Object.assign(state, {
    analysis: null,
    driving: -1,
    chosen: null,
    noFaceFrames: 0,
    calibrationApplied: false,
    plan: null,
    choice: null,
    autoBuilt: false,
    lastReadingPost: -Infinity,
    judged: new Map(),
    playerNote: null,
    history: [],
  });
  smoother.reset();
  watcher.plan(null);
  player.clear();
  $("replan").hidden = true;
  $("share-box").hidden = true;
  $("share-url").value = "";
  setFaceNote(null);
  renderChoice();
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  drawOverlay();
  renderReading();
  renderHistory();
}

async function deleteAll() {
  if (!window.confirm(t("confirm_delete"))) return;
  try {
    await api.deleteMe();
  } catch (err) {
    showError(err);
    return;
  }
  resetPage();
  // What the service now holds for this browser: nothing (a fresh listener on the next call).
  state.me = state.me && {
    ...state.me,
    history_enabled: false,
    calibration_enabled: false,
    calibration: null,
    feedback_count: 0,
    readings_count: 0,
  };
  renderMe();
  await refreshMe();
  showMessage("deleted");
}

// ---------------------------------------------------------------- options

function fillSelect(select, values, label, withAny) {
  const previous = select.value;
  const options = [];
  if (withAny) {
    const any = document.createElement("option");
    any.value = "";
    any.textContent = t("any");
    options.push(any);
  }
  for (const v of values) {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = label(v);
    options.push(o);
  }
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}

function renderOptions() {
  const c = state.config || {};
  fillSelect($("strategy"), c.strategies || DEFAULT_STRATEGIES, (s) => (has(`strategy.${s}`) ? t(`strategy.${s}`) : s), false);
  fillSelect($("filter-language"), c.languages || [], (l) => languageName(l), true);
  fillSelect($("filter-genre"), c.genres || [], (g) => g, true);
  fillSelect($("filter-decade"), c.decades || [], (d) => d, true);
}

// ---------------------------------------------------------------- wiring

function renderAll() {
  // The switch names the other language, in that language.
  $("ui-lang").lang = language() === "ko" ? "en" : "ko";
  renderOptions();
  renderMessage();
  renderFaceNote();
  renderChoice();
  renderReading();
  drawOverlay();
  renderQueue();
  renderPlayer();
  renderMe();
  renderHistory();
  renderYoutube();
  if (!$("replan").hidden && state.replanMood) offerReplan(state.replanMood);
}

function wire() {
  $("ui-lang").addEventListener("click", () => setLanguage(language() === "ko" ? "en" : "ko"));
  onLanguageChange(renderAll);
  $("camera-start").addEventListener("click", startCamera);
  $("camera-stop").addEventListener("click", () => stopCamera());
  $("face-next").addEventListener("click", () => {
    const a = state.analysis;
    if (a && a.faces.length > 1) chooseFace((state.driving + 1) % a.faces.length);
  });
  $("overlay").addEventListener("click", (event) => {
    const a = state.analysis;
    if (!a || !a.faces.length) return;
    const [x, y] = clickToImage($("overlay"), event, a.size, a.source === "camera");
    const hit = faceAt(a.faces, x, y);
    if (hit >= 0) chooseFace(hit);
  });
  $("photo-input").addEventListener("change", (event) => {
    handleFile(event.target.files[0]);
    event.target.value = "";
  });
  const zone = $("dropzone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    handleFile(file);
  });
  $("options").addEventListener("submit", (event) => {
    event.preventDefault();
    buildPlaylist();
  });
  for (const button of document.querySelectorAll(".mood-choice")) {
    button.addEventListener("click", () => choose({ mood: button.dataset.mood }));
  }
  $("mood-pad").addEventListener("pointerdown", (event) => {
    event.preventDefault();
    choose(padPoint(event));
  });
  let settle = null;
  for (const id of ["pad-valence", "pad-arousal"]) {
    $(id).addEventListener("change", () => {
      clearTimeout(settle);
      settle = setTimeout(
        () => choose({ valence: Number($("pad-valence").value), arousal: Number($("pad-arousal").value) }),
        CHOICE_SETTLE_MS,
      );
    });
  }
  $("choice-clear").addEventListener("click", clearChoice);
  // With a chosen mood the playlist follows the strategy too ("play sad" or "lift me").
  $("strategy").addEventListener("change", () => {
    if (state.choice) buildPlaylist();
  });
  $("replan-yes").addEventListener("click", replan);
  $("replan-no").addEventListener("click", () => {
    $("replan").hidden = true;
    // The listener keeps this queue for the new mood: do not ask again until it changes again.
    watcher.plan(state.replanMood);
  });
  $("play").addEventListener("click", () => player.togglePlay());
  $("next").addEventListener("click", () => player.next());
  $("prev").addEventListener("click", () => player.previous());
  $("like").addEventListener("click", () => judge("like"));
  $("dislike").addEventListener("click", () => judge("dislike"));
  $("more-like").addEventListener("click", moreLikeThis);
  $("download-csv").addEventListener("click", () => download(playlistCsv(player.songs()), exportName("csv"), "text/csv;charset=utf-8"));
  $("download-json").addEventListener("click", () =>
    download(
      playlistJson(player.songs(), { strategy: state.plan && state.plan.strategy, mood: state.plan && state.plan.mood }),
      exportName("json"),
      "application/json",
    ),
  );
  $("share").addEventListener("click", share);
  $("youtube-save").addEventListener("click", saveToYoutube);
  $("history-enabled").addEventListener("change", (e) => setPreference("history_enabled", e.target));
  $("calibration-enabled").addEventListener("change", (e) => setPreference("calibration_enabled", e.target));
  $("calibrate").addEventListener("click", calibrate);
  $("calibration-reset").addEventListener("click", resetCalibration);
  $("delete-all").addEventListener("click", deleteAll);
  window.addEventListener("hashchange", () => loadShared(idsFromHash()));
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      drawOverlay();
      renderHistory();
    }, 100);
  });
}

async function main() {
  document.documentElement.lang = language();
  // On a phone the 8 emotion bars start folded: the 3 moods are what drives the music.
  $("emotion-details").open = window.matchMedia("(min-width: 600px)").matches;
  applyTranslations();
  wire();
  renderAll();
  const [config] = await Promise.allSettled([api.config(), refreshMe()]);
  if (config.status === "fulfilled") {
    state.config = config.value;
    const rate = Number(state.config.limits && state.config.limits.rate_limit_per_second);
    // The camera takes at most half of the client's request budget; the rest is for everything else.
    if (rate > 0) camera.intervalMs = Math.max(camera.intervalMs, Math.ceil(2000 / rate));
  } else showError(config.reason);
  renderOptions();
  await refreshHistory();
  await refreshYoutube();
  const ids = idsFromHash();
  if (ids) await loadShared(ids);
  await afterYoutubeConsent();
  document.body.dataset.ready = "true";
}

main();
