// The operators' panels (ADMIN, ANALYST): each reads one JSON route and draws a chart
// beside a table of the exact numbers.

import { api, ApiError } from "./api.js";
import { bars, facts, fillTable, h, num, panel, STATUS_COLOURS, when } from "./ui.js";
import { loadAlerts } from "./alerts.js";
import { loadAnomalies } from "./anomalies.js";
import { heldAmounts } from "./earnings.js";

const $ = (id) => document.getElementById(id);

async function queues() {
  const q = await api("/ops/queues");
  const names = Object.keys(q.queues);
  bars($("chart-queues"), names, [{ name: "ready", values: names.map((n) => q.queues[n]) }],
    { yTitle: "jobs" });
  fillTable($("table-queues"), [{ key: "queue", label: "Queue" }, { key: "depth", label: "Ready jobs", num: true }],
    names.map((n) => ({ key: n, cells: { queue: n, depth: q.queues[n] } })));
  facts($("panel-queues").querySelector(".facts"), [
    ["scheduled", "Scheduled retries", num(q.scheduled)],
    ["oldest", "Oldest ready job", q.oldest_ready_age_seconds == null ? "—" : `${num(Math.round(q.oldest_ready_age_seconds))} s`],
    ["intake", "Intake", q.intake_paused ? "paused" : "open"],
  ]);
}

async function timeline() {
  const t = await api("/reconciliation/timeline?hours=24");
  const statuses = Object.keys(STATUS_COLOURS).filter((s) => s in t.by_status)
    .concat(Object.keys(t.by_status).filter((s) => !(s in STATUS_COLOURS)));
  const labels = t.hours.map((x) => x.hour.slice(0, 16).replace("T", " "));
  bars($("chart-timeline"), labels, statuses.map((s) => ({
    name: s, colour: STATUS_COLOURS[s], values: t.hours.map((x) => x.by_status[s] || 0),
  })), { stacked: true, yTitle: "attempts", dates: true });
  const columns = [{ key: "hour", label: "Hour (UTC)" },
    ...statuses.map((s) => ({ key: s, label: s, num: true })), { key: "total", label: "Total", num: true }];
  const rows = t.hours.filter((x) => x.total > 0).map((x) => ({
    key: x.hour, cells: { hour: when(x.hour).slice(0, 16), ...x.by_status, total: x.total },
  }));
  const total = Object.values(t.by_status).reduce((a, b) => a + b, 0);
  rows.push({ key: "total", cells: { hour: "Last 24 h", ...t.by_status, total } });
  fillTable($("table-timeline"), columns, rows.map((r) => ({
    key: r.key, cells: { ...Object.fromEntries(statuses.map((s) => [s, 0])), ...r.cells },
  })));
}

async function buckets() {
  const b = await api("/affiliates/buckets");
  const names = Object.keys(b.buckets);
  bars($("chart-buckets"), names, [{ name: "affiliates", values: names.map((n) => b.buckets[n]),
    colours: ["#1b7f3b", "#6c8ebf", "#e3a21a", "#a4161a"] }], { yTitle: "affiliates" });
  fillTable($("table-buckets"), [{ key: "bucket", label: "Bucket" }, { key: "from", label: "Score from" },
    { key: "affiliates", label: "Affiliates", num: true }],
  names.map((n) => ({ key: n, cells: { bucket: n, from: n in (b.thresholds || {}) ? `≥ ${b.thresholds[n]}` : "below",
    affiliates: b.buckets[n] } })));
}

async function histogram() {
  const d = await api("/reconciliation/discrepancies");
  const labels = d.bins.map((x) => x.label);
  bars($("chart-histogram"), labels, [{ name: "reports", values: d.bins.map((x) => x.count), colour: "#6c8ebf" }],
    { yTitle: "reports" });
  fillTable($("table-histogram"), [{ key: "bin", label: "Worst metric off by" }, { key: "reports", label: "Reports", num: true }],
    d.bins.map((x, i) => ({ key: String(i), cells: { bin: x.label, reports: x.count } })));
}

async function breakers() {
  const b = await api("/ops/breakers");
  fillTable($("table-breakers"), [{ key: "platform", label: "Platform" }, { key: "state", label: "State" },
    { key: "failures", label: "Failures", num: true }, { key: "opened", label: "Opened at" },
    { key: "half_open", label: "Half-open in" }],
  Object.entries(b).map(([p, s]) => ({ key: p, cells: {
    platform: p, state: h("span", { class: `state state-${String(s.state).toLowerCase()}` }, s.state),
    failures: s.fail_counter, opened: when(s.opened_at),
    half_open: s.seconds_until_half_open == null ? "—" : `${Math.ceil(s.seconds_until_half_open)} s`,
  } })));
  $("chart-breakers").hidden = true;
}

// The SLO report's shape: a list of entries, or an object keyed by signal name (maybe
// under "signals"), each entry {value, target, ok}.
export function sloEntries(body) {
  const list = Array.isArray(body) ? body : Array.isArray(body && body.signals) ? body.signals
    : Array.isArray(body && body.items) ? body.items : null;
  if (list) return list.map((e, i) => ({ name: e.name || e.signal || e.key || `signal ${i + 1}`, ...e }));
  const source = body && body.signals && typeof body.signals === "object" ? body.signals : body || {};
  return Object.entries(source).filter(([, v]) => v && typeof v === "object" && "target" in v)
    .map(([name, v]) => ({ name, ...v }));
}

const shown = (v, unit) => (v === null || v === undefined ? "—"
  : typeof v === "number" ? `${Number.isInteger(v) ? num(v) : String(Number(v.toFixed(3)))}${unit ? ` ${unit}` : ""}`
    : String(v));

async function slo(section) {
  let body;
  try {
    body = await api("/ops/slo");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      section.querySelector(".status").textContent = "This server does not report SLOs yet.";
      fillTable($("table-slo"), [{ key: "signal", label: "Signal" }], [], "No SLO report.");
      $("chart-slo").hidden = true;
      return;
    }
    throw err;
  }
  const entries = sloEntries(body);
  fillTable($("table-slo"), [{ key: "signal", label: "Signal" }, { key: "value", label: "Value" },
    { key: "target", label: "Target" }, { key: "ok", label: "Met?" }],
  entries.map((e) => ({ key: e.name, cells: {
    signal: e.name.replaceAll("_", " "), value: shown(e.value, e.unit), target: shown(e.target, e.unit),
    ok: h("span", { class: e.ok ? "ok" : "bad" }, e.ok ? "✓ met" : "✗ missed"),
  } })));
  $("chart-slo").hidden = true;
}

export async function loadOperator(me) {
  const loaders = { queues, timeline, buckets, histogram, breakers, slo,
    alerts: () => loadAlerts(me), anomalies: loadAnomalies, held: async () => {
      await heldAmounts();
      $("chart-held").hidden = true;
    } };
  await Promise.all(Object.entries(loaders).map(([id, load]) => panel($(`panel-${id}`), load)));
}
