// The queue and its player. YouTube songs play in the YouTube IFrame Player, loaded only when the
// listener first presses Play; Spotify songs in Spotify's embed; others as a link. A video that
// fails is reported to the service and skipped at once, with no error screen.

import { api } from "./api.js";

const YT_API = "https://www.youtube.com/iframe_api";
const YT_TIMEOUT_MS = 8000;
const REPORTED_CODES = new Set([2, 5, 100, 101, 150, 153]);

let ytPromise = null;

/** Load the IFrame Player API once; rejects when the script is blocked or never answers. */
export function loadYouTube() {
  if (window.YT && window.YT.Player) return Promise.resolve(window.YT);
  if (ytPromise) return ytPromise;
  ytPromise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), YT_TIMEOUT_MS);
    const previous = window.onYouTubeIframeAPIReady;
    window.onYouTubeIframeAPIReady = () => {
      clearTimeout(timer);
      if (typeof previous === "function") previous();
      resolve(window.YT);
    };
    const script = document.createElement("script");
    script.src = YT_API;
    script.async = true;
    script.onerror = () => {
      clearTimeout(timer);
      reject(new Error("blocked"));
    };
    document.head.appendChild(script);
  });
  return ytPromise;
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

let entrySeq = 0;

export class Player {
  /**
   * @param {object} ui  {ytHost, spotifyHost, linkHost}: elements the player shows songs in
   * @param {object} hooks {change(), note(key, params), feedback(song, event)}
   */
  constructor(ui, hooks) {
    this.ui = ui;
    this.hooks = hooks;
    this.queue = []; // entries: {key, song, unplayable}
    this.index = -1;
    this.started = false; // the listener has pressed Play at least once
    this.playing = false;
    this.startedCurrent = false; // the current song began playing (a Next now is a skip)
    this.yt = null; // the YT.Player
    this.ytReady = false;
    this.ytState = "idle"; // idle | loading | ready | failed
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
    if (i === null && this.yt && this.ytReady && this.isYouTube(this.current) && this.startedCurrent) {
      this.yt.playVideo();
      return;
    }
    await this.show();
  }

  pause() {
    if (this.yt && this.ytReady) this.yt.pauseVideo();
  }

  togglePlay() {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Next pressed (a skip when the song had begun), or moved on after an end or error. */
  next({ skipped = true } = {}) {
    if (skipped) this.leaveCurrent(true);
    if (this.index + 1 >= this.queue.length) {
      this.playing = false;
      this.startedCurrent = false;
      this.pause();
      this.hooks.note("playlist_ended");
      this.hooks.change();
      return;
    }
    this.index += 1;
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

  isYouTube(entry) {
    return entry && entry.song.play && entry.song.play.kind === "youtube";
  }

  stopScreens() {
    this.ui.ytHost.hidden = true;
    this.ui.spotifyHost.hidden = true;
    this.ui.spotifyHost.replaceChildren();
    this.ui.linkHost.hidden = true;
    if (this.yt && this.ytReady) this.yt.pauseVideo();
    this.playing = false;
  }

  /** Show the current song in the right screen and start it. */
  async show() {
    const cur = this.current;
    if (!cur) return;
    const play = cur.song.play || {};
    this.ui.spotifyHost.hidden = true;
    this.ui.spotifyHost.replaceChildren();
    this.ui.linkHost.hidden = true;
    if (play.kind === "youtube") {
      await this.showYouTube(cur);
      return;
    }
    this.ui.ytHost.hidden = true;
    if (this.yt && this.ytReady) this.yt.pauseVideo();
    this.playing = false;
    if (play.kind === "spotify" && play.embed_url) {
      const frame = document.createElement("iframe");
      frame.src = play.embed_url;
      frame.title = this.hooks.text("spotify_title", { title: cur.song.title });
      frame.allow = "encrypted-media; clipboard-write";
      frame.loading = "lazy";
      frame.className = "spotify-frame";
      this.ui.spotifyHost.replaceChildren(frame);
      this.ui.spotifyHost.hidden = false;
      this.startedCurrent = true;
    } else {
      this.showLink(cur, "no_player_here");
    }
    this.hooks.change();
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

  async showYouTube(cur) {
    const videoId = cur.song.play.youtube_id;
    if (this.ytState === "failed") {
      this.ui.ytHost.hidden = true;
      this.showLink(cur, "listen_elsewhere");
      return;
    }
    if (this.yt) {
      this.ui.ytHost.hidden = false;
      if (this.ytReady) this.yt.loadVideoById(videoId);
      // not ready yet: onReady loads the current song
      return;
    }
    if (this.ytState === "loading") return;
    this.ytState = "loading";
    this.hooks.note("yt_loading");
    let YT;
    try {
      YT = await loadYouTube();
    } catch {
      this.ytState = "failed";
      this.hooks.ytFailed();
      const now = this.current;
      if (now && this.isYouTube(now)) this.showLink(now, "listen_elsewhere");
      this.hooks.change();
      return;
    }
    this.ytState = "ready";
    this.hooks.note(null);
    this.ui.ytHost.hidden = false;
    const first = this.current && this.isYouTube(this.current) ? this.current.song.play.youtube_id : videoId;
    this.yt = new YT.Player("yt-player", {
      videoId: first,
      width: "100%",
      height: "100%",
      playerVars: { playsinline: 1, origin: location.origin, rel: 0 },
      events: {
        onReady: (e) => this.onReady(e, first),
        onStateChange: (e) => this.onStateChange(e),
        onError: (e) => this.onError(e),
      },
    });
  }

  onReady(event, first) {
    this.ytReady = true;
    const cur = this.current;
    if (!cur || !this.isYouTube(cur)) return;
    if (cur.song.play.youtube_id !== first) this.yt.loadVideoById(cur.song.play.youtube_id);
    else event.target.playVideo();
  }

  onStateChange(event) {
    const state = event.data;
    if (state === 1) {
      // playing
      this.playing = true;
      this.startedCurrent = true;
    } else if (state === 2 || state === -1 || state === 5) {
      this.playing = false;
    } else if (state === 0) {
      // ended: a song heard to the end teaches taste as much as a like does
      this.playing = false;
      const cur = this.current;
      if (cur) this.hooks.feedback(cur.song, "complete");
      this.next({ skipped: false });
      return;
    }
    this.hooks.change();
  }

  onError(event) {
    const code = Number(event.data);
    const cur = this.current;
    if (!cur) return;
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
