// One report of the affiliate's post: its status, each metric claimed against what its
// source verified, flags and alerts, and the form that claims new numbers (a new report).

import { api } from "./api.js";
import { formBody, send } from "./forms.js";
import { fillTable, h, num, panel, percent } from "./ui.js";

const $ = (id) => document.getElementById(id);
const METRICS = ["views", "clicks", "conversions"];
const SOURCE_WORDS = { platform: "the platform", tracked: "your tracked link",
  postback: "the advertiser's postbacks" };
let open = null; // {report_id, post_id} of the report on show

function metricRows(report) {
  const metrics = report.reconciliation.metrics || {};
  return METRICS.map((m) => {
    const r = metrics[m] || {};
    const unverifiable = r.verifiable === false || r.source === "none";
    return { key: m, cells: {
      metric: m, claimed: report.claimed[m],
      // Number columns format raw numbers themselves; words go in as nodes.
      verified: unverifiable ? h("span", { class: "note" }, "not verifiable") : r.observed,
      difference: unverifiable ? null : r.difference,
      pct: unverifiable || r.pct == null ? "—" : percent(r.pct),
      source: unverifiable ? "none (unverifiable)" : r.source ? `${r.source} (${SOURCE_WORDS[r.source] || r.source})` : "—",
    } };
  });
}

function fill(report) {
  const r = report.reconciliation;
  $("report-number").textContent = `#${report.report_id} (post #${report.post_id}, ${report.platform})`;
  $("report-summary").replaceChildren(...[
    ["status", "Status", r.status], ["level", "Discrepancy level", r.discrepancy_level || "—"],
    ["attempts", "Attempts", num(r.attempt_count)],
    ["confidence", "Confidence", r.confidence_ratio == null ? "—" : percent(r.confidence_ratio, 0)],
    ["url", "Post", report.url],
  ].map(([key, label, value]) => h("div", { "data-key": key }, h("dt", {}, label), h("dd", {}, value))));
  fillTable($("table-report-metrics"), [{ key: "metric", label: "Metric" },
    { key: "claimed", label: "You claimed", num: true }, { key: "verified", label: "Verified", num: true },
    { key: "difference", label: "Difference", num: true }, { key: "pct", label: "Off by" },
    { key: "source", label: "Verified by" }], metricRows(report));
  fillTable($("table-report-flags"), [{ key: "name", label: "Flag" }, { key: "severity", label: "Severity" },
    { key: "detail", label: "Why" }],
  (report.suspicion_flags || []).map((f) => ({ key: f.name, cells: f })), "No flags.");
  fillTable($("table-report-alerts"), [{ key: "id", label: "Alert" }, { key: "type", label: "Type" },
    { key: "severity", label: "Severity" }, { key: "status", label: "Status" }],
  (report.alerts || []).map((a) => ({ key: String(a.id), cells: { ...a, id: `#${a.id}` } })), "No alerts.");
  for (const m of METRICS) $(`update-claimed_${m}`).value = String(report.claimed[m]);
}

export async function showReport(reportId) {
  const section = $("panel-report");
  section.hidden = false;
  $("update-done").textContent = "";
  await panel(section, async () => {
    const report = await api(`/reports/${reportId}`);
    open = { report_id: report.report_id, post_id: report.post_id };
    section.dataset.report = String(report.report_id);
    fill(report);
  });
}

export const openReport = () => open;

export function wireUpdate(afterUpdate) {
  const form = $("update-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!open) return;
    const body = formBody(form, { numbers: ["claimed_views", "claimed_clicks", "claimed_conversions"] });
    const answer = await send(form, $("update-problem"), () =>
      api(`/submissions/${open.post_id}/metrics`, { method: "PUT", body }));
    if (!answer) return;
    await showReport(answer.report_id);
    $("update-done").textContent = `Numbers updated: new report #${answer.report_id} (${answer.status}).`;
    await afterUpdate();
  });
}
