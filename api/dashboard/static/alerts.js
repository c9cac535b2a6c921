// Open alerts by severity, the newest open alerts, and (ADMIN only) resolving them.

import { api } from "./api.js";
import { bars, fillTable, h, panel, SEVERITY_COLOURS, when } from "./ui.js";

const $ = (id) => document.getElementById(id);
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];

function resolveForm(me, alert) {
  const id = `note-${alert.id}`;
  const form = h("form", { class: "resolve", "data-alert": alert.id },
    h("label", { for: id, class: "visually-hidden" }, `Resolution note for alert ${alert.id}`),
    h("input", { id, type: "text", required: true, maxlength: 2000, placeholder: "note" }),
    h("button", { type: "submit" }, "Resolve"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = form.querySelector("input").value.trim();
    if (!note) return;
    form.querySelector("button").disabled = true;
    try {
      await api(`/alerts/${alert.id}/resolve`, { method: "POST", body: { note } });
      $("announce").textContent = `Alert ${alert.id} resolved.`;
    } catch (err) {
      $("announce").textContent = `Alert ${alert.id}: ${err.message}`;
    }
    await panel($("panel-alerts"), () => loadAlerts(me));
  });
  return form;
}

export async function loadAlerts(me) {
  const [counts, open] = await Promise.all([
    api("/alerts/open-counts"), api("/alerts?status=OPEN&limit=20")]);
  bars($("chart-alerts"), SEVERITIES, [{ name: "open", values: SEVERITIES.map((s) => counts.by_severity[s] || 0),
    colours: SEVERITIES.map((s) => SEVERITY_COLOURS[s]) }], { yTitle: "open alerts" });
  fillTable($("table-alerts"), [{ key: "severity", label: "Severity" }, { key: "open", label: "Open", num: true }],
    [...SEVERITIES.map((s) => ({ key: s, cells: { severity: s, open: counts.by_severity[s] || 0 } })),
      { key: "total", cells: { severity: "Total", open: counts.total } }]);
  const canResolve = me.role === "ADMIN";
  const columns = [{ key: "id", label: "Alert" }, { key: "severity", label: "Severity" },
    { key: "type", label: "Type" }, { key: "title", label: "Title" }, { key: "created", label: "Raised" }];
  if (canResolve) columns.push({ key: "resolve", label: "Resolve" });
  fillTable($("table-open-alerts"), columns, open.items.map((a) => ({ key: String(a.id), cells: {
    id: `#${a.id}`, severity: a.severity, type: a.type, title: a.title, created: when(a.created_at),
    resolve: canResolve ? resolveForm(me, a) : null,
  } })), "No open alerts.");
}
