// The mood-history chart: valence over time as a line in plain SVG, each reading a dot coloured
// by its mood. No library: a few dozen elements are all it takes.

import { toMillis } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const H = 180;
const PAD = { left: 34, right: 10, top: 12, bottom: 22 };
const COLORS = { negative: "#6366f1", neutral: "#9ca3af", positive: "#f59e0b" };

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/**
 * Draw `readings` ([{at, mood, valence}], oldest first) into `svg`. `labels` gives the axis
 * words ({high, low}) in the page's language; `width` is the element's width in CSS pixels.
 * Returns the number of points drawn.
 */
export function drawHistory(svg, readings, labels, width = 600) {
  // Drawn at the element's own pixel width, so text and dots keep their size at any width.
  const W = Math.max(200, Math.round(width));
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const pts = readings
    .map((r) => ({ t: toMillis(r.at), v: Number(r.valence), mood: r.mood }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y = (v) => PAD.top + ((1 - v) / 2) * (H - PAD.top - PAD.bottom);
  // frame: the zero line and the two extremes
  svg.appendChild(el("line", { x1: x0, x2: x1, y1: y(0), y2: y(0), class: "axis" }));
  svg.appendChild(el("line", { x1: x0, x2: x1, y1: y(1), y2: y(1), class: "grid" }));
  svg.appendChild(el("line", { x1: x0, x2: x1, y1: y(-1), y2: y(-1), class: "grid" }));
  svg.appendChild(el("text", { x: 4, y: y(1) + 4, class: "tick" }, labels.high));
  svg.appendChild(el("text", { x: 4, y: y(-1) + 4, class: "tick" }, labels.low));
  if (!pts.length) return 0;
  const tMin = pts[0].t;
  const tMax = pts[pts.length - 1].t;
  const span = Math.max(1, tMax - tMin);
  const x = (t) => (pts.length === 1 ? (x0 + x1) / 2 : x0 + ((t - tMin) / span) * (x1 - x0));
  const d = pts.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  svg.appendChild(el("path", { d, class: "line" }));
  for (const p of pts) {
    svg.appendChild(
      el("circle", { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3.5, fill: COLORS[p.mood] || COLORS.neutral }),
    );
  }
  return pts.length;
}
