// The queue and its two players. A song with a video plays in the YouTube IFrame Player; a song
// with a Spotify id (or a video song while YouTube cannot load) in Spotify's embed, driven by
// Spotify's iFrame API; anything else shows a link. Each player's script loads only when a song
// first needs it, after the listener's first Play. When a song ends the next one starts on its
// own, whichever player it needs. A video that fails is reported to the service and skipped at
// once, with no error screen.

import { api } from "./api.js";

const YT_API = "https://www.youtube.com/iframe_api";
const SPOTIFY_API = "https://open.spotify.com/embed/iframe-api/v1";
const SCRIPT_TIMEOUT_MS = 8000;
const REPORTED_CODES = new Set([2, 5, 100, 101, 150, 153]);
/** Spotify plays 30-second previews to a browser not signed in to Spotify: at most this long. */
export const PREVIEW_MAX_MS = 31000;
/** A Spotify track paused this close to its end (ms) has ended; its updates come every half second. */
export const END_MARGIN_MS = 1500;

const scripts = new Map();

/** Load a player's script once: resolves with what its ready callback hands over (or `get()`),
 * rejects when the script is blocked or never answers. */
function loadScript(src, readyName, get) {
  const ready = get();
  if (ready) return Promise.resolve(ready);
  if (scripts.has(src)) return scripts.get(src);
  const promise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), SCRIPT_TIMEOUT_MS);
    const previous = window[readyName];
    window[readyName] = (value) => {
      clearTimeout(timer);
      if (typeof previous === "function") previous(value);
      resolve(value || get());
    };
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onerror = () => {
      clearTimeout(timer);
      reject(new Error("blocked"));
    };
    document.head.appendChild(script);
  });
  scripts.set(src, promise);
  return promise;
}

/** YouTube's IFrame Player API (window.YT). */
export function loadYouTube() {
  return loadScript(YT_API, "onYouTubeIframeAPIReady", () => (window.YT && window.YT.Player ? window.YT : null));
}

/** Spotify's iFrame API: the object whose createController makes an embed. */
export function loadSpotify() {
  return loadScript(SPOTIFY_API, "onSpotifyIframeApiReady", () => null);
}

/** The Spotify URI a song plays from, or null. */
export function spotifyUri(song) {
  const play = song.play || {};
  if (play.uri) return play.uri;
  return song.spotify_id ? `spotify:track:${song.spotify_id}` : null;
}

/**
 * Whether a Spotify playback update says the track ended. `heard`: an earlier update of this
 * track was playing, so a stale update of the previous track cannot end the new one. The embed
 * stops at the end (paused at the last position), and some builds jump back to the start.
 */
export function spotifyEnded(heard, last, update) {
  if (!heard || !update || !(update.duration > 0)) return false;
  const nearEnd = (position) => position >= update.duration - END_MARGIN_MS;
  if (update.position >= update.duration) return true;
  if (update.isPaused && nearEnd(update.position)) return true;
  return Boolean(update.isPaused && update.position === 0 && last && nearEnd(last.position));
}

/** Whether Spotify plays only a preview: a track of at most 30 seconds that is longer in the catalog. */
export function isPreview(update, song) {
  const duration = update && update.duration;
  if (!(duration > 0) || duration > PREVIEW_MAX_MS) return false;
  return !(song && song.duration_ms && song.duration_ms <= PREVIEW_MAX_MS);
}

/** Where a song can be opened outside this page. */
export function songLink(song) {
  const play = song.play || {};
  if (play.kind === "youtube") return { kind: "youtube", url: `https://www.youtube.com/watch?v=${encodeURIComponent(play.youtube_id)}` };
  if (play.kind === "spotify") {
    const id = song.spotify_id;
    return { kind: "spotify", url: id ? `https://open.spotify.com/track/${encodeURIComponent(id)}` : play.embed_url };
  }
  if (play.kind === "search" && play.url) return { kind: "search", url: play.url };
  const q = encodeURIComponent(`${song.title} ${song.artist}`);
  return { kind: "search", url: `https://www.youtube.com/results?search_query=${q}` };
}

/**
 * One YouTube IFrame Player, made on the first video and reused. `events`: loading(), ready(),
 * failed(), playing(), paused(), ended(), error(code); it speaks only while `active`.
 */
class YouTubeScreen {
  constructor(host, events) {
    this.host = host;
    this.events = events;
    this.player = null;
    this.ready = false;
    this.state = "idle"; // idle | loading | ready | failed
    this.active = false;
    this.want = null; // the video to play now
  }

  async show(videoId) {
    this.active = true;
    this.want = videoId;
    if (this.state === "failed") return;
    this.host.hidden = false;
    if (this.player) {
      if (this.ready) this.player.loadVideoById(videoId);
      return; // not ready yet: onReady plays what is wanted then
    }
    if (this.state === "loading") return;
    this.state = "loading";
    this.events.loading();
    let YT;
    try {
      YT = await loadYouTube();
    } catch {
      this.state = "failed";
      this.host.hidden = true;
      this.events.failed();
      return;
    }
    this.state = "ready";
    this.events.ready();
    const first = this.want;
    this.player = new YT.Player("yt-player", {
      videoId: first || undefined,
      width: "100%",
      height: "100%",
      playerVars: { playsinline: 1, origin: location.origin, rel: 0 },
      events: {
        onReady: () => {
          this.ready = true;
          if (!this.active || !this.want) return;
          if (this.want !== first) this.player.loadVideoById(this.want);
          else this.player.playVideo();
        },
        onStateChange: (e) => this.onStateChange(e.data),
        onError: (e) => {
          if (this.active) this.events.error(Number(e.data));
        },
      },
    });
  }

  onStateChange(state) {
    if (!this.active) return;
    if (state === 1) this.events.playing();
    else if (state === 2 || state === -1 || state === 5) this.events.paused();
    else if (state === 0) this.events.ended();
  }

  pause() {
    if (this.player && this.ready) this.player.pauseVideo();
  }

  resume() {
    if (this.player && this.ready) this.player.playVideo();
  }

  hide() {
    this.pause();
    this.active = false;
    this.want = null;
    this.host.hidden = true;
  }
}

/**
 * One Spotify embed, made by Spotify's iFrame API on the first Spotify song and reused (loadUri).
 * `events` as for YouTubeScreen, plus preview(bool) when the embed shows whether it plays whole
 * songs; no error event exists.
 */
class SpotifyScreen {
  constructor(host, events) {
    this.host = host;
    this.events = events;
    this.controller = null;
    this.state = "idle"; // idle | loading | ready | failed
    this.active = false;
    this.uri = null;
    this.song = null;
    this.resetTrack();
  }

  resetTrack() {
    this.last = null; // the latest playback update of this track
    this.heard = false; // it played at some point
    this.done = false; // its end was announced
  }

  async show(uri, song) {
    this.active = true;
    this.uri = uri;
    this.song = song;
    this.resetTrack();
    if (this.state === "failed") return;
    this.host.hidden = false;
    if (this.controller) {
      this.controller.loadUri(uri);
      this.controller.play();
      return;
    }
    if (this.state === "loading") return; // the controller loads what is wanted once made
    this.state = "loading";
    this.events.loading();
    let IFrameAPI;
    try {
      IFrameAPI = await loadSpotify();
    } catch {
      this.state = "failed";
      this.host.hidden = true;
      this.events.failed();
      return;
    }
    const element = document.createElement("div");
    this.host.replaceChildren(element);
    const first = this.uri;
    IFrameAPI.createController(element, { uri: first, width: "100%", height: 152 }, (controller) => {
      this.controller = controller;
      this.state = "ready";
      this.events.ready();
      const frame = this.host.querySelector("iframe");
      if (frame) {
        frame.title = this.events.title();
        frame.classList.add("spotify-frame");
      }
      controller.addListener("ready", () => {
        // the embed has loaded its track: start it unless it already plays (or we moved on)
        if (this.active && !this.heard) controller.play();
      });
      controller.addListener("playback_update", (e) => this.onUpdate(e && e.data));
      if (this.active && this.uri !== first) {
        controller.loadUri(this.uri);
        controller.play();
      }
    });
  }

  onUpdate(update) {
    if (!this.active || !update || this.done) return;
    if (update.duration > 0) this.events.preview(isPreview(update, this.song));
    if (spotifyEnded(this.heard, this.last, update)) {
      this.done = true;
      this.events.ended();
      return;
    }
    this.last = update;
    if (!update.isPaused) {
      this.heard = true;
      this.events.playing();
    } else this.events.paused();
  }

  pause() {
    if (this.controller && this.active) this.controller.pause();
  }

  resume() {
    if (this.controller) this.controller.resume();
  }

  hide() {
    this.pause();
    this.active = false;
    this.host.hidden = true;
  }
}

let entrySeq = 0;

export class Player {
  /**
   * @param {object} ui  {ytHost, spotifyHost, linkHost}: elements the player shows songs in
   * @param {object} hooks {change(), note(key), text(key, params), feedback(song, event),
   *   failed(player), preview(bool)}
   */
  constructor(ui, hooks) {
    this.ui = ui;
    this.hooks = hooks;
    this.queue = []; // entries: {key, song, unplayable}
    this.index = -1;
    this.started = false; // the listener has pressed Play at least once
    this.playing = false;
    this.startedCurrent = false; // the current song began playing (a Next now is a skip)
    this.screen = null; // "youtube" | "spotify" | "link": where the current song is shown
    const events = (name) => ({
      loading: () => this.hooks.note(`${name}_loading`),
      ready: () => this.hooks.note(null),
      failed: () => this.onFailed(name),
      playing: () => this.onPlaying(name),
      paused: () => this.onPaused(name),
      ended: () => this.onEnded(name),
      error: (code) => this.onError(code),
      preview: (on) => this.hooks.preview(on),
      title: () => this.hooks.text("spotify_title", { title: this.current ? this.current.song.title : "" }),
    });
    this.yt = new YouTubeScreen(ui.ytHost, events("yt"));
    this.spotify = new SpotifyScreen(ui.spotifyHost, events("spotify"));
  }

  get current() {
    return this.index >= 0 ? this.queue[this.index] : null;
  }

  songs() {
    return this.queue.map((e) => e.song);
  }

  ids() {
    return this.queue.map((e) => e.song.id);
  }

  entry(song) {
    entrySeq += 1;
    return { key: `e${entrySeq}`, song, unplayable: false };
  }

  /** Which player plays `entry` here now: YouTube, Spotify, or neither (a link). */
  screenFor(entry) {
    const play = entry.song.play || {};
    if (play.kind === "youtube" && this.yt.state !== "failed") return "youtube";
    if (spotifyUri(entry.song) && this.spotify.state !== "failed") return "spotify";
    return "link";
  }

  /** A new queue; playback (if any) moves to its first song. */
  setQueue(songs) {
    this.queue = songs.map((s) => this.entry(s));
    this.index = this.queue.length ? 0 : -1;
    this.startedCurrent = false;
    if (this.started && this.current) this.show();
    else this.stopScreens();
    this.hooks.change();
  }

  /** Keep what was played and the current song; replace the rest with `songs`. */
  replaceUpcoming(songs) {
    this.queue = this.queue.slice(0, this.index + 1).concat(songs.map((s) => this.entry(s)));
    if (this.index < 0 && this.queue.length) this.index = 0;
    this.hooks.change();
  }

  insertAfterCurrent(songs) {
    const at = this.index + 1;
    this.queue.splice(at, 0, ...songs.map((s) => this.entry(s)));
    if (this.index < 0 && this.queue.length) this.index = 0;
    this.hooks.change();
  }

  clear() {
    this.queue = [];
    this.index = -1;
    this.started = false;
    this.playing = false;
    this.startedCurrent = false;
    this.stopScreens();
    this.hooks.change();
  }

  /** The listener pressed Play (or a song of the list): start or resume. */
  async play(i = null) {
    if (i !== null && i !== this.index) {
      this.leaveCurrent(true);
      this.index = i;
      this.startedCurrent = false;
    }
    if (!this.current) return;
    this.started = true;
    if (i === null && this.startedCurrent && this.screen === this.screenFor(this.current)) {
      if (this.screen === "youtube") return this.yt.resume();
      if (this.screen === "spotify") return this.spotify.resume();
    }
    await this.show();
  }

  pause() {
    if (this.screen === "youtube") this.yt.pause();
    else if (this.screen === "spotify") this.spotify.pause();
  }

  togglePlay() {
    if (this.playing) this.pause();
    else this.play();
  }

  /**
   * Next pressed (`skipped`: a skip when the song had begun), or moved on by itself after an end
   * or an error; moving on by itself passes over songs that only a link can open.
   */
  next({ skipped = true } = {}) {
    if (skipped) this.leaveCurrent(true);
    let to = this.index + 1;
    if (!skipped) while (to < this.queue.length && this.screenFor(this.queue[to]) === "link") to += 1;
    if (to >= this.queue.length) {
      this.pause();
      this.playing = false;
      this.startedCurrent = false;
      this.hooks.note("playlist_ended");
      this.hooks.change();
      return;
    }
    this.index = to;
    this.startedCurrent = false;
    if (this.started) this.show();
    this.hooks.change();
  }

  previous() {
    if (this.index <= 0) return;
    this.index -= 1;
    this.startedCurrent = false;
    if (this.started) this.show();
    this.hooks.change();
  }

  leaveCurrent(byListener) {
    const cur = this.current;
    if (byListener && cur && this.startedCurrent && !cur.unplayable) this.hooks.feedback(cur.song, "skip");
  }

  stopScreens() {
    this.yt.hide();
    this.spotify.hide();
    this.ui.linkHost.hidden = true;
    this.screen = null;
    this.playing = false;
  }

  /** Show the current song in its player and start it. */
  async show() {
    const cur = this.current;
    if (!cur) return;
    const screen = this.screenFor(cur);
    this.screen = screen;
    this.playing = false;
    this.ui.linkHost.hidden = true;
    if (screen !== "youtube") this.yt.hide();
    if (screen !== "spotify") this.spotify.hide();
    this.hooks.change();
    if (screen === "youtube") await this.yt.show(cur.song.play.youtube_id);
    else if (screen === "spotify") await this.spotify.show(spotifyUri(cur.song), cur.song);
    else this.showLink(cur, this.yt.state === "failed" || this.spotify.state === "failed" ? "listen_elsewhere" : "no_player_here");
  }

  showLink(cur, noteKey) {
    const link = songLink(cur.song);
    const a = document.createElement("a");
    a.href = link.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = `${cur.song.title} — ${cur.song.artist}`;
    const p = document.createElement("span");
    p.textContent = this.hooks.text(noteKey) + " ";
    this.ui.linkHost.replaceChildren(p, a);
    this.ui.linkHost.hidden = false;
  }

  /** A player's script could not load: say so, and show the current song another way. */
  onFailed(name) {
    this.hooks.failed(name);
    const cur = this.current;
    if (cur && this.screen === (name === "yt" ? "youtube" : "spotify")) this.show();
    else this.hooks.change();
  }

  onPlaying(name) {
    if (this.screen !== (name === "yt" ? "youtube" : "spotify")) return;
    const changed = !this.playing || !this.startedCurrent;
    this.playing = true;
    this.startedCurrent = true;
    if (changed) this.hooks.change();
  }

  onPaused(name) {
    if (this.screen !== (name === "yt" ? "youtube" : "spotify") || !this.playing) return;
    this.playing = false;
    this.hooks.change();
  }

  /** A song heard to the end teaches taste as much as a like does; then the next one starts. */
  onEnded(name) {
    if (this.screen !== (name === "yt" ? "youtube" : "spotify")) return;
    this.playing = false;
    const cur = this.current;
    if (cur) this.hooks.feedback(cur.song, "complete");
    this.next({ skipped: false });
  }

  onError(code) {
    const cur = this.current;
    if (!cur || this.screen !== "youtube") return;
    cur.unplayable = true;
    const song = cur.song;
    const youtubeId = song.play && song.play.youtube_id;
    // Move on first; the report needs no answer before the next song starts.
    setTimeout(() => this.next({ skipped: false }), 0);
    if (youtubeId && REPORTED_CODES.has(code)) {
      const exclude = this.ids();
      api
        .unplayable(youtubeId, { code, song_id: song.id, exclude_ids: exclude })
        .then((answer) => {
          const rep = answer && answer.replacement;
          if (rep && rep.song) this.insertAfterCurrent([rep.song]);
        })
        .catch(() => {
          // The report is a courtesy to other listeners; the skip already happened.
        });
    }
  }
}
