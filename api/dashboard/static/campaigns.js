// The advertiser's unified view of a campaign (GET /campaigns/{id}/analytics), with a
// picker when the caller sees several campaigns.

import { api, everything } from "./api.js";
import { campaignSpend } from "./earnings.js";
import { showFunnel } from "./funnel.js";
import { bars, fillTable, h, num, panel, percent, STATUS_COLOURS, when } from "./ui.js";

const $ = (id) => document.getElementById(id);
const METRICS = ["views", "clicks", "conversions"];

function summary(a) {
  const r = a.reconciliation;
  const pairs = [
    ["success_rate", "Success rate", percent(r.success_rate)],
    ["reconciled", "Reconciled reports", num(r.reconciled)],
    ["pending", "Pending", num(r.pending)],
    ["posts", "Posts", num(a.totals.posts)],
    ["reports", "Reports (with updates)", num(a.totals.reports)],
    ["open_alerts", "Open alerts", num(a.open_alerts)],
  ];
  $("campaign-summary").replaceChildren(...pairs.map(([key, label, value]) =>
    h("div", { "data-key": key }, h("dt", {}, label), h("dd", {}, value))));
}

// "tracked 150 · legacy_engagement 12 (not verified)": every source a metric's numbers came
// from; engagement that old snapshots held under clicks is named, never counted as verified.
function bySource(split) {
  const parts = Object.entries(split || {}).map(([source, n]) =>
    `${source} ${num(n)}${source === "legacy_engagement" ? " (not verified)" : ""}`);
  return parts.length ? parts.join(" · ") : "—";
}

function totals(a) {
  const { claimed, verified } = a.totals;
  const sources = a.sources || {};
  fillTable($("table-totals"), [{ key: "metric", label: "Metric" }, { key: "claimed", label: "Claimed", num: true },
    { key: "verified", label: "Verified", num: true }, { key: "ratio", label: "Verified / claimed" },
    { key: "source", label: "Source" }, { key: "by_source", label: "Verified by source" }],
  METRICS.map((m) => ({ key: m, cells: { metric: m, claimed: claimed[m], verified: verified[m],
    ratio: claimed[m] && sources[m] !== "none" ? percent(verified[m] / claimed[m]) : "—",
    source: sources[m] === "none" ? "none (unverifiable)" : (sources[m] || "—"),
    by_source: bySource((a.totals.verified_by_source || {})[m]) } })));
  const platforms = a.by_platform.map((p) => p.platform);
  bars($("chart-totals"), platforms, [
    { name: "claimed views", colour: "#e3a21a", values: a.by_platform.map((p) => p.claimed.views) },
    { name: "verified views", colour: "#1b7f3b", values: a.by_platform.map((p) => p.verified.views) },
  ], { yTitle: "views" });
}

function statuses(a) {
  const by = a.reconciliation.by_status;
  const names = Object.keys(by);
  // Long status names wrap at their underscores instead of slanting off the chart.
  bars($("chart-campaign-status"), names.map((s) => s.replaceAll("_", "<br>")), [{ name: "posts", values: names.map((s) => by[s]),
    colours: names.map((s) => STATUS_COLOURS[s] || "#888") }], { yTitle: "posts" });
  fillTable($("table-campaign-status"), [{ key: "status", label: "Status" }, { key: "posts", label: "Posts", num: true }],
    names.map((s) => ({ key: s, cells: { status: s, posts: by[s] } })));
}

const CUT_COLUMNS = [
  { key: "posts", label: "Posts", num: true },
  ...METRICS.flatMap((m) => [{ key: `claimed_${m}`, label: `Claimed ${m}`, num: true },
    { key: `verified_${m}`, label: `Verified ${m}`, num: true }]),
  { key: "success_rate", label: "Success rate" },
];
const cutCells = (g) => ({ posts: g.posts, success_rate: percent(g.success_rate),
  ...Object.fromEntries(METRICS.flatMap((m) => [[`claimed_${m}`, g.claimed[m]], [`verified_${m}`, g.verified[m]]])) });

function cuts(a) {
  fillTable($("table-by-platform"), [{ key: "platform", label: "Platform" }, ...CUT_COLUMNS],
    a.by_platform.map((p) => ({ key: p.platform, cells: { platform: p.platform, ...cutCells(p) } })));
  fillTable($("table-by-affiliate"), [{ key: "affiliate", label: "Affiliate" },
    { key: "trust", label: "Trust score" }, ...CUT_COLUMNS],
  a.by_affiliate.map((x) => ({ key: String(x.affiliate_id), cells: {
    affiliate: `${x.name} (#${x.affiliate_id})`, trust: Number(x.trust_score).toFixed(2), ...cutCells(x) } })));
  fillTable($("table-campaign-alerts"), [{ key: "id", label: "Alert" }, { key: "severity", label: "Severity" },
    { key: "type", label: "Type" }, { key: "status", label: "Status" }, { key: "title", label: "Title" },
    { key: "created", label: "Raised" }],
  a.recent_alerts.map((x) => ({ key: String(x.id), cells: { id: `#${x.id}`, severity: x.severity,
    type: x.type, status: x.status, title: x.title, created: when(x.created_at) } })), "No alerts.");
}

async function show(campaign) {
  $("campaign-name").textContent = `${campaign.name} (#${campaign.id})`;
  const a = await api(`/campaigns/${campaign.id}/analytics`);
  summary(a);
  totals(a);
  statuses(a);
  cuts(a);
  showFunnel(a);
  await panel($("panel-spend"), () => campaignSpend(campaign.id));
}

export async function loadCampaigns() {
  const section = $("panel-campaign");
  await panel(section, async () => {
    const campaigns = await everything("/campaigns");
    const picker = $("campaign-picker");
    const chosen = campaigns.find((c) => String(c.id) === picker.value) || campaigns[0];
    picker.replaceChildren(...campaigns.map((c) =>
      h("option", { value: c.id, selected: c === chosen }, `${c.name} (#${c.id})`)));
    $("campaign-picker-row").hidden = campaigns.length < 2;
    if (!chosen) {
      section.querySelector(".status").textContent = "No campaigns yet.";
      return;
    }
    await show(chosen);
    picker.onchange = () => panel(section, () =>
      show(campaigns.find((c) => String(c.id) === picker.value)));
  });
}
