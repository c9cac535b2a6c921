// Open VIEW_ANOMALY alerts with their evidence, each beside a small chart of its post's
// platform readings (snapshots) over time (docs/fraud.md).

import { api } from "./api.js";
import { fillTable, h, num, when } from "./ui.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const W = 240, H = 64, PAD = 6;

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// Views over time as a line with a dot per reading; times on x, views on y (from zero).
export function sparkline(points, label) {
  const chart = svg("svg", { class: "spark", viewBox: `0 0 ${W} ${H}`, width: W, height: H,
    role: "img", "aria-label": label, "data-points": points.length });
  if (!points.length) return chart;
  const t0 = points[0].t, t1 = points[points.length - 1].t, top = Math.max(1, ...points.map((p) => p.v));
  const x = (t) => (t1 === t0 ? W / 2 : PAD + ((t - t0) / (t1 - t0)) * (W - 2 * PAD));
  const y = (v) => H - PAD - (v / top) * (H - 2 * PAD);
  chart.append(svg("line", { x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD, stroke: "#d5dae1" }));
  chart.append(svg("polyline", { fill: "none", stroke: "#a4161a", "stroke-width": 2,
    points: points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ") }));
  for (const p of points) chart.append(svg("circle", { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3, fill: "#a4161a" }));
  return chart;
}

const LABELS = {
  views_per_hour: "views per hour", baseline_median: "baseline (median views/h)", baseline_posts: "earlier posts",
  velocity_factor: "factor", threshold: "threshold", views: "views", likes: "likes", comments: "comments",
  engagement_rate: "engagement rate", min_engagement_rate: "threshold (min rate)", min_views: "from views",
  clicks: "counted clicks", click_rate: "click rate", max_click_rate: "threshold (max rate)",
};

function evidence(breached) {
  return h("dl", { class: "evidence" }, Object.entries(breached).filter(([k]) => k !== "rule")
    .map(([k, v]) => h("div", { "data-key": k }, h("dt", {}, LABELS[k] || k),
      h("dd", {}, typeof v === "number" ? (Number.isInteger(v) ? num(v) : String(v)) : String(v ?? "—")))));
}

async function card(alert) {
  const report = alert.report_id ? await api(`/reports/${alert.report_id}`) : { snapshots: [] };
  const readings = report.snapshots.filter((s) => s.views !== null && s.fetched_at)
    .map((s) => ({ t: Date.parse(s.fetched_at), v: s.views, s }));
  const table = h("table", { class: "readings" }, h("caption", { class: "visually-hidden" },
    `Readings of the post of alert ${alert.id}`));
  fillTable(table, [{ key: "at", label: "Read at" }, { key: "views", label: "Views", num: true },
    { key: "likes", label: "Likes", num: true }, { key: "comments", label: "Comments", num: true }],
  readings.map((r) => ({ key: String(r.s.attempt), cells: { at: when(r.s.fetched_at), views: r.v,
    likes: r.s.likes, comments: r.s.comments } })), "No readings.");
  return h("article", { class: "anomaly", "data-alert": alert.id, "data-rule": alert.threshold_breached.rule },
    h("h4", {}, `#${alert.id} ${alert.title}`),
    h("p", { class: "note" }, `${alert.platform || ""} · report ${alert.report_id ?? "—"} · ${when(alert.created_at)}`),
    h("div", { class: "anomaly-body" },
      sparkline(readings, `Views of the post of alert ${alert.id} over ${readings.length} reading(s)`),
      evidence(alert.threshold_breached)),
    table);
}

export async function loadAnomalies() {
  const open = await api("/alerts?status=OPEN&type=VIEW_ANOMALY&limit=10");
  $("chart-anomalies").hidden = true;
  const list = $("list-anomalies");
  list.replaceChildren(...(await Promise.all(open.items.map(card))));
  fillTable($("table-anomalies"), [{ key: "rule", label: "Anomaly" }, { key: "open", label: "Open (shown)", num: true }],
    ["velocity", "engagement", "click_rate"].map((r) => ({ key: r, cells: { rule: r,
      open: open.items.filter((a) => a.threshold_breached.rule === r).length } })));
  if (!open.items.length) list.append(h("p", { class: "note" }, "No open view anomalies."));
}
