// A stand-in for https://www.youtube.com/iframe_api, served by the browser tests through
// Playwright routing (the real one needs the internet). It implements the part of YT.Player the
// page uses and lets a test play the service: window.__fakeYT.error(150), .end(), .loads.
(function () {
  const PlayerState = { UNSTARTED: -1, ENDED: 0, PLAYING: 1, PAUSED: 2, BUFFERING: 3, CUED: 5 };
  const fake = { players: [], loads: [], created: [], current: null };

  function Player(elementId, options) {
    const target = typeof elementId === "string" ? document.getElementById(elementId) : elementId;
    const frame = document.createElement("div");
    frame.id = target.id;
    frame.className = "fake-youtube-player";
    frame.setAttribute("data-video-id", options.videoId || "");
    target.replaceWith(frame);
    this.el = frame;
    this.options = options;
    this.events = options.events || {};
    this.videoId = options.videoId || null;
    this.state = PlayerState.UNSTARTED;
    fake.players.push(this);
    fake.current = this;
    fake.created.push({ videoId: this.videoId, playerVars: options.playerVars || {} });
    setTimeout(() => this.events.onReady && this.events.onReady({ target: this }), 10);
  }

  Player.prototype._set = function (state) {
    this.state = state;
    if (this.events.onStateChange) this.events.onStateChange({ target: this, data: state });
  };
  Player.prototype.loadVideoById = function (id) {
    this.videoId = typeof id === "object" ? id.videoId : id;
    this.el.setAttribute("data-video-id", this.videoId);
    fake.loads.push(this.videoId);
    setTimeout(() => this._set(PlayerState.PLAYING), 10);
  };
  Player.prototype.cueVideoById = function (id) {
    this.videoId = typeof id === "object" ? id.videoId : id;
    this.el.setAttribute("data-video-id", this.videoId);
    this._set(PlayerState.CUED);
  };
  Player.prototype.playVideo = function () {
    setTimeout(() => this._set(PlayerState.PLAYING), 10);
  };
  Player.prototype.pauseVideo = function () {
    if (this.state === PlayerState.PLAYING) this._set(PlayerState.PAUSED);
  };
  Player.prototype.stopVideo = function () {
    this._set(PlayerState.UNSTARTED);
  };
  Player.prototype.getPlayerState = function () {
    return this.state;
  };
  Player.prototype.getVideoData = function () {
    return { video_id: this.videoId };
  };
  Player.prototype.getIframe = function () {
    return this.el;
  };
  Player.prototype.destroy = function () {
    this.el.remove();
  };

  // What a test drives.
  fake.videoId = () => (fake.current ? fake.current.videoId : null);
  fake.state = () => (fake.current ? fake.current.state : null);
  fake.error = (code) => {
    const p = fake.current;
    if (p && p.events.onError) p.events.onError({ target: p, data: code });
  };
  fake.end = () => fake.current && fake.current._set(PlayerState.ENDED);

  window.YT = { Player, PlayerState, loaded: 1 };
  window.__fakeYT = fake;
  if (typeof window.onYouTubeIframeAPIReady === "function") window.onYouTubeIframeAPIReady();
})();
