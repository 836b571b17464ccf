// A stand-in for https://open.spotify.com/embed/iframe-api/v1, served by the browser tests through
// Playwright routing (the real one needs the internet). Like the real script it calls
// window.onSpotifyIframeApiReady(IFrameAPI); IFrameAPI.createController(element, {uri}, callback)
// replaces the element with an embed and hands over a controller (loadUri, play, pause, resume,
// togglePlay, addListener: "ready", "playback_update" with {isPaused, isBuffering, duration,
// position} in milliseconds). A test plays the listener's side: window.__fakeSpotify.end(),
// .progress(ms), .uri(), .loads; .trackMs sets the length the embed reports (30 s: a browser
// not signed in to Spotify hears previews).
(function () {
  const fake = { controllers: [], loads: [], plays: 0, current: null, trackMs: 30000 };

  function Controller(element, options) {
    const frame = document.createElement("div");
    frame.className = "fake-spotify-player";
    frame.style.width = typeof options.width === "number" ? `${options.width}px` : options.width || "100%";
    frame.style.height = `${options.height || 152}px`; // the embed's size, as the real one takes it
    element.replaceWith(frame);
    this.el = frame;
    this.listeners = {};
    this.position = 0;
    this.paused = true;
    this._load(options.uri);
  }

  Controller.prototype._emit = function (name, data) {
    for (const fn of this.listeners[name] || []) fn({ data });
  };
  Controller.prototype._update = function () {
    this._emit("playback_update", {
      isPaused: this.paused,
      isBuffering: false,
      duration: fake.trackMs,
      position: this.position,
    });
  };
  Controller.prototype._load = function (uri) {
    this.uri = uri;
    this.position = 0;
    this.paused = true;
    this.el.setAttribute("data-uri", uri || "");
    fake.loads.push(uri);
    setTimeout(() => this._emit("ready", {}), 10); // the embed has loaded the track
  };
  Controller.prototype.addListener = function (name, fn) {
    (this.listeners[name] = this.listeners[name] || []).push(fn);
  };
  Controller.prototype.loadUri = function (uri) {
    this._load(uri);
  };
  Controller.prototype.play = function () {
    fake.plays += 1;
    this.position = 0;
    this.paused = false;
    setTimeout(() => this._update(), 10);
  };
  Controller.prototype.resume = function () {
    this.paused = false;
    setTimeout(() => this._update(), 10);
  };
  Controller.prototype.pause = function () {
    if (this.paused) return;
    this.paused = true;
    setTimeout(() => this._update(), 10);
  };
  Controller.prototype.togglePlay = function () {
    if (this.paused) this.resume();
    else this.pause();
  };
  Controller.prototype.destroy = function () {
    this.el.remove();
  };

  const IFrameAPI = {
    createController(element, options, callback) {
      const controller = new Controller(element, options || {});
      fake.controllers.push(controller);
      fake.current = controller;
      setTimeout(() => callback(controller), 0);
    },
  };

  // What a test drives.
  fake.uri = () => (fake.current ? fake.current.uri : null);
  fake.playing = () => Boolean(fake.current && !fake.current.paused);
  fake.progress = (ms) => {
    const c = fake.current;
    c.position = ms;
    c._update();
  };
  fake.end = () => {
    // the embed stops on the track's last position
    const c = fake.current;
    c.position = fake.trackMs;
    c.paused = true;
    c._update();
  };

  window.__fakeSpotify = fake;
  if (typeof window.onSpotifyIframeApiReady === "function") window.onSpotifyIframeApiReady(IFrameAPI);
})();
