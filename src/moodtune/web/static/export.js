// A playlist outside the page: CSV and JSON downloads, and a share link that carries the song ids
// in the URL fragment (never sent to any server: the page fetches each song itself).

import { songLink } from "./player.js";

const CSV_COLUMNS = ["position", "id", "title", "artist", "year", "genres", "reason", "link"];

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a leading =+-@
 *  is prefixed with ' so a spreadsheet shows the text instead of running it as a formula. */
export function csvField(value) {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  if (/[",\r\n]/.test(s) || s !== s.trim()) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function playlistCsv(songs) {
  const rows = [CSV_COLUMNS.join(",")];
  songs.forEach((s, i) => {
    const row = [i + 1, s.id, s.title, s.artist, s.year ?? "", (s.genres || []).join("; "), s.reason ?? "", songLink(s).url];
    rows.push(row.map(csvField).join(","));
  });
  return rows.join("\r\n") + "\r\n";
}

export function playlistJson(songs, meta = {}) {
  return JSON.stringify({ moodtune_playlist: 1, created: new Date().toISOString(), ...meta, songs }, null, 2) + "\n";
}

export function download(text, filename, type) {
  // A BOM lets spreadsheet programs read Korean titles in a CSV as UTF-8.
  const parts = type.startsWith("text/csv") ? ["\ufeff", text] : [text];
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function shareUrl(ids) {
  const url = new URL(location.href);
  url.hash = "playlist=" + ids.map(encodeURIComponent).join(",");
  return url.toString();
}

/** The song ids of a `#playlist=a,b,c` fragment (the checked ones), or null. */
export function idsFromHash(hash = location.hash) {
  const m = /^#playlist=(.*)$/.exec(hash || "");
  if (!m) return null;
  return m[1]
    .split(",")
    .map((s) => decodeURIComponent(s.trim()))
    .filter((s) => ID_RE.test(s))
    .slice(0, 200);
}
