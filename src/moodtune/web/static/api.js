// The moodtune HTTP API (docs/api.md), one function per route. Every failure becomes an ApiError
// carrying the service's {"error": {"code", "message"}} so the page shows one kind of message.

const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

async function request(method, path, { json, body, headers = {}, keepalive = false } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  if (keepalive) init.keepalive = true;
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (exc) {
    throw new ApiError(0, "network", String(exc && exc.message ? exc.message : exc));
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    const retry = Number(response.headers.get("Retry-After"));
    throw new ApiError(
      response.status,
      err.code || `http_${response.status}`,
      err.message || `${response.status} ${response.statusText}`,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
  }
  return data;
}

export const api = {
  config: () => request("GET", "/config"),
  /** A camera frame: the raw JPEG bytes as the body; `source=camera` picks the near-face detector. */
  analyzeFrame: (blob) => request("POST", "/analyze?source=camera", { body: blob, headers: { "Content-Type": blob.type || "image/jpeg" } }),
  /** An uploaded photo: multipart, field `image`. */
  analyzeFile: (file) => {
    const form = new FormData();
    form.append("image", file, file.name || "photo");
    return request("POST", "/analyze", { body: form });
  },
  recommend: (body) => request("POST", "/recommendations", { json: body }),
  feedback: (songId, event) => request("POST", "/feedback", { json: { song_id: songId, event }, keepalive: true }),
  song: (id) => request("GET", `/songs/${encodeURIComponent(id)}`),
  unplayable: (youtubeId, body) =>
    request("POST", `/videos/${encodeURIComponent(youtubeId)}/unplayable`, { json: body, keepalive: true }),
  me: () => request("GET", "/me"),
  patchMe: (fields) => request("PATCH", "/me", { json: fields }),
  putCalibration: (probabilities) => request("PUT", "/me/calibration", { json: { probabilities } }),
  deleteCalibration: () => request("DELETE", "/me/calibration"),
  postReading: (reading) => request("POST", "/me/readings", { json: reading }),
  history: (limit = 500) => request("GET", `/me/history?limit=${limit}`),
  deleteMe: () => request("DELETE", "/me"),
  youtubeStatus: () => request("GET", "/youtube/status"),
  saveToYoutube: (body) => request("POST", "/playlists/youtube", { json: body }),
};

/** Where the browser goes (a real navigation, not fetch) to connect a YouTube account. */
export const YOUTUBE_CONNECT_URL = BASE + "/youtube/connect";
