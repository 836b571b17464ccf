// The camera: preview after the browser's consent, and a loop that sends a JPEG frame to be read
// a few times a second, one request at a time, only while the tab is visible.

export const FRAME_WIDTH = 640;
export const JPEG_QUALITY = 0.8;
export const INTERVAL_MS = 300;

export class Camera {
  /**
   * @param {HTMLVideoElement} video
   * @param {(blob: Blob) => Promise<number|void>} onFrame reads one frame; may answer a pause in ms
   * @param {(paused: boolean) => void} onPause told when hiding the tab pauses or resumes the loop
   */
  constructor(video, onFrame, onPause = () => {}) {
    this.video = video;
    this.onFrame = onFrame;
    this.onPause = onPause;
    this.stream = null;
    this.timer = null;
    this.busy = false;
    this.paused = false;
    this.intervalMs = INTERVAL_MS;
    this.canvas = document.createElement("canvas");
    this.onVisibility = () => this.schedule(0);
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  get running() {
    return this.stream !== null;
  }

  /** Ask for the camera; throws the browser's DOMException (NotAllowedError, NotFoundError, ...). */
  async start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const err = new Error("getUserMedia is not available");
      err.name = "NotSupportedError";
      throw err;
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      audio: false,
    });
    this.stream = stream;
    this.video.srcObject = stream;
    this.video.hidden = false;
    await this.video.play().catch(() => {});
    if (!this.video.videoWidth) {
      await new Promise((resolve) => this.video.addEventListener("loadedmetadata", resolve, { once: true }));
    }
    this.schedule(0);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
  }

  schedule(delay) {
    clearTimeout(this.timer);
    if (!this.running || this.busy) return;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  async tick() {
    if (!this.running || this.busy) return;
    const hidden = document.visibilityState !== "visible";
    if (hidden !== this.paused) {
      this.paused = hidden;
      this.onPause(hidden);
    }
    // Reading an unseen face wastes the listener's battery and the server: wait for visibilitychange.
    if (hidden) return;
    this.busy = true;
    const started = performance.now();
    let pause = 0;
    try {
      const blob = await this.capture();
      if (blob && this.running) pause = (await this.onFrame(blob)) || 0;
    } finally {
      this.busy = false;
    }
    const elapsed = performance.now() - started;
    this.schedule(Math.max(pause, this.intervalMs - elapsed, 0));
  }

  /** The current video frame as a JPEG blob at most FRAME_WIDTH pixels wide. */
  capture() {
    const { videoWidth: vw, videoHeight: vh } = this.video;
    if (!vw || !vh) return Promise.resolve(null);
    const scale = Math.min(1, FRAME_WIDTH / vw);
    this.canvas.width = Math.round(vw * scale);
    this.canvas.height = Math.round(vh * scale);
    this.canvas.getContext("2d").drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    return new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
  }
}

/**
 * Draw the face boxes over the displayed picture. `source` is the <video> or <img> shown; boxes
 * are in the analysed image's pixels (`size`), scaled to the element's displayed size; `mirror`
 * flips them like the selfie preview.
 */
export function drawBoxes(canvas, source, size, faces, driving, mirror) {
  const rect = source.getBoundingClientRect();
  const stage = canvas.parentElement.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  // The canvas lies exactly over the picture, wherever the stage centres it.
  canvas.style.left = `${rect.left - stage.left}px`;
  canvas.style.top = `${rect.top - stage.top}px`;
  canvas.style.width = `${rect.width}px`;
  canvas.style.height = `${rect.height}px`;
  canvas.width = Math.max(1, Math.round(rect.width * dpr));
  canvas.height = Math.max(1, Math.round(rect.height * dpr));
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, rect.width, rect.height);
  if (!size || !size.width) return;
  const k = rect.width / size.width;
  faces.forEach((face, i) => {
    let [x, y, w, h] = face.box.map((v) => v * k);
    if (mirror) x = rect.width - x - w;
    const main = i === driving;
    ctx.lineWidth = main ? 3 : 2;
    ctx.strokeStyle = main ? "#f59e0b" : "rgba(255,255,255,0.85)";
    ctx.setLineDash(main ? [] : [6, 4]);
    ctx.strokeRect(x, y, w, h);
    if (main) {
      ctx.fillStyle = "#f59e0b";
      ctx.beginPath();
      ctx.arc(x + w, y, 5, 0, 2 * Math.PI);
      ctx.fill();
    }
  });
}

/** A click on the overlay, in the analysed image's pixels. */
export function clickToImage(canvas, event, size, mirror) {
  const rect = canvas.getBoundingClientRect();
  let x = event.clientX - rect.left;
  const y = event.clientY - rect.top;
  if (mirror) x = rect.width - x;
  const k = size.width / rect.width;
  return [x * k, y * k];
}
