// The funnel views → clicks → conversions of verified numbers (GET /campaigns/{id}/analytics:
// totals.funnel, by_affiliate[].funnel, by_post[].funnel), each number from its own source.

import { facts, fillTable, num, percent } from "./ui.js";

const $ = (id) => document.getElementById(id);
const rate = (x) => (x === null || x === undefined ? "—" : percent(x, 2));

const STEPS = [
  { key: "views", label: "Views", num: true },
  { key: "clicks", label: "Clicks", num: true },
  { key: "click_rate", label: "Clicks / views" },
  { key: "conversions", label: "Conversions", num: true },
  { key: "conversion_rate", label: "Conversions / clicks" },
];
const steps = (f) => ({ views: f.views, clicks: f.clicks, click_rate: rate(f.click_rate),
  conversions: f.conversions, conversion_rate: rate(f.conversion_rate) });

// "tracked" or "none (unverifiable)" for each of clicks and conversions; null: not measured yet.
const sourceOf = (s) => (s === null || s === undefined ? "not measured yet"
  : s === "none" ? "none (unverifiable)" : s);

export function showFunnel(a) {
  const f = a.totals.funnel;
  facts($("funnel-summary"), [["funnel_views", "Verified views", num(f.views)],
    ["funnel_clicks", "Verified clicks", num(f.clicks)], ["click_rate", "Clicks / views", rate(f.click_rate)],
    ["funnel_conversions", "Verified conversions", num(f.conversions)],
    ["conversion_rate", "Conversions / clicks", rate(f.conversion_rate)]]);
  fillTable($("table-funnel-affiliate"), [{ key: "affiliate", label: "Affiliate" }, ...STEPS],
    a.by_affiliate.map((x) => ({ key: String(x.affiliate_id), cells: {
      affiliate: `${x.name} (#${x.affiliate_id})`, ...steps(x.funnel) } })));
  fillTable($("table-funnel-post"), [{ key: "post", label: "Post" }, { key: "affiliate", label: "Affiliate" },
    { key: "platform", label: "Platform" }, { key: "status", label: "Status" }, ...STEPS,
    { key: "clicks_from", label: "Clicks from" }, { key: "conversions_from", label: "Conversions from" }],
  (a.by_post || []).map((p) => ({ key: String(p.post_id), cells: {
    post: `#${p.post_id}`, affiliate: `${p.affiliate_name} (#${p.affiliate_id})`, platform: p.platform,
    status: p.status, ...steps(p.funnel), clicks_from: sourceOf(p.sources.clicks),
    conversions_from: sourceOf(p.sources.conversions) } })), "No posts yet.");
}
