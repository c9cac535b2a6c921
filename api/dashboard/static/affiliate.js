// An affiliate's page: make a tracked link and copy it, submit a post with it, follow the
// posts' reports and update their numbers, and its own trust. Every form goes through the
// JSON API, so what it accepts and refuses is the API's (docs/dashboard.md, "Affiliates").

import { api, everything } from "./api.js";
import { openReport, showReport, wireUpdate } from "./affiliate_report.js";
import { affiliateEarnings } from "./earnings.js";
import { copyText, formBody, send } from "./forms.js";
import { fillTable, h, panel, when } from "./ui.js";

const $ = (id) => document.getElementById(id);
const NUMBERS = ["claimed_views", "claimed_clicks", "claimed_conversions"];
let wired = false;
let links = [];
let posts = [];

function copyButton(text, label) {
  const button = h("button", { type: "button", class: "copy", "data-url": text,
    "aria-label": label }, "Copy");
  button.addEventListener("click", async () => {
    const copied = await copyText(text);
    $("announce").textContent = copied ? "Link copied." : "Select the link and copy it.";
    button.textContent = copied ? "Copied" : "Copy";
  });
  return button;
}

// Campaigns the affiliate already works with, offered as it types a campaign number.
function campaignSuggestions() {
  const ids = [...new Set([...links, ...posts].map((x) => x.campaign_id))].sort((a, b) => a - b);
  $("my-campaigns").replaceChildren(...ids.map((id) => h("option", { value: id })));
}

function linkChoices() {
  const select = $("submit-link_code");
  const chosen = select.value;
  const free = links.filter((l) => l.post_id === null);
  select.replaceChildren(h("option", { value: "" }, "No tracked link"),
    ...free.map((l) => h("option", { value: l.code, selected: l.code === chosen },
      `${l.code} (campaign #${l.campaign_id}${l.label ? `, ${l.label}` : ""})`)));
}

async function loadLinks() {
  links = await everything("/links", 500);
  fillTable($("table-my-links"), [{ key: "code", label: "Code" }, { key: "campaign", label: "Campaign" },
    { key: "url", label: "Link" }, { key: "copy", label: "Copy" }, { key: "label", label: "Label" },
    { key: "post", label: "Post" }, { key: "clicks", label: "Counted clicks", num: true },
    { key: "conversions", label: "Counted conversions", num: true }, { key: "created", label: "Made" }],
  links.map((l) => ({ key: l.code, cells: { code: l.code, campaign: `#${l.campaign_id}`, url: l.url,
    copy: copyButton(l.url, `Copy link ${l.code}`), label: l.label || "—",
    post: l.post_id === null ? "not used yet" : `#${l.post_id}`, clicks: l.clicks.counted,
    conversions: l.conversions.counted, created: when(l.created_at) } })),
  "No links yet: make one above.");
  linkChoices();
  campaignSuggestions();
}

function openButton(reportId) {
  const button = h("button", { type: "button", class: "open-report", "data-report": reportId }, "Open");
  button.addEventListener("click", () => showReport(reportId));
  return button;
}

async function loadReports() {
  const page = await api("/submissions?limit=50");
  posts = page.items;
  fillTable($("table-my-reports"), [{ key: "report", label: "Report" }, { key: "post", label: "Post" },
    { key: "campaign", label: "Campaign" }, { key: "platform", label: "Platform" },
    { key: "status", label: "Status" }, { key: "views", label: "Claimed views", num: true },
    { key: "clicks", label: "Claimed clicks", num: true },
    { key: "conversions", label: "Claimed conversions", num: true },
    { key: "submitted", label: "Submitted" }, { key: "open", label: "Details" }],
  posts.map((r) => ({ key: String(r.report_id), cells: { report: `#${r.report_id}`,
    post: `#${r.post_id}`, campaign: `#${r.campaign_id}`, platform: r.platform, status: r.status,
    views: r.claimed.views, clicks: r.claimed.clicks, conversions: r.claimed.conversions,
    submitted: when(r.submitted_at), open: openButton(r.report_id) } })),
  "No posts yet: submit one above.");
  campaignSuggestions();
}

async function loadPlatforms() {
  const select = $("submit-platform");
  if (select.options.length) return;
  const platforms = await everything("/platforms");
  select.replaceChildren(...platforms.map((p) => h("option", { value: p.name }, p.display_name || p.name)));
}

const refreshLists = () => Promise.all([panel($("panel-my-links"), loadLinks),
  panel($("panel-my-reports"), loadReports)]);

function wire() {
  const linkForm = $("link-form");
  linkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = formBody(linkForm, { numbers: ["campaign_id"], optional: ["label"] });
    const made = await send(linkForm, $("link-problem"), () => api("/links", { method: "POST", body }));
    if (!made) return;
    $("new-link-url").value = made.url;
    $("new-link-code").textContent = made.code;
    $("new-link").hidden = false;
    $("new-link").dataset.code = made.code;
    $("announce").textContent = `Link ${made.code} made.`;
    await refreshLists();
    $("submit-link_code").value = made.code;
    if (!$("submit-campaign_id").value) $("submit-campaign_id").value = String(made.campaign_id);
  });
  $("copy-link").addEventListener("click", async () => {
    const copied = await copyText($("new-link-url").value, $("new-link-url"));
    $("announce").textContent = copied ? "Link copied." : "Select the link and copy it.";
    $("copy-link").textContent = copied ? "Copied" : "Copy";
  });

  const submitForm = $("submit-form");
  submitForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("submit-done").textContent = "";
    const body = formBody(submitForm, { numbers: ["campaign_id", ...NUMBERS],
      optional: ["title", "link_code"] });
    const accepted = await send(submitForm, $("submit-problem"), () =>
      api("/submissions", { method: "POST", body }));
    if (!accepted) return;
    $("submit-done").textContent = `Post submitted: report #${accepted.report_id} (${accepted.status}).`;
    for (const name of ["url", "title", ...NUMBERS]) submitForm.elements[name].value = "";
    await refreshLists();
    await showReport(accepted.report_id);
  });
  wireUpdate(refreshLists);
}

export async function loadAffiliate(me) {
  if (!wired) {
    wire();
    wired = true;
  }
  const open = openReport();
  await Promise.all([
    panel($("panel-trust"), async () => {
      const t = await api(`/affiliates/${me.id}/trust`);
      $("trust-summary").replaceChildren(
        h("div", { "data-key": "score" }, h("dt", {}, "Score"), h("dd", {}, Number(t.score).toFixed(2))),
        h("div", { "data-key": "bucket" }, h("dt", {}, "Bucket"), h("dd", {}, t.bucket)));
    }),
    panel($("panel-my-earnings"), () => affiliateEarnings(me)),
    panel($("panel-submit"), loadPlatforms),
    refreshLists(),
    open ? showReport(open.report_id) : null,
  ]);
}
