// Earnings on the dashboard: an affiliate's balance by status, an advertiser's spend
// against its budget, the operators' held amounts with the reasons they are held.

import { api } from "./api.js";
import { facts, fillTable, h, money, when } from "./ui.js";

const $ = (id) => document.getElementById(id);
// A table cell holding an amount: a node, so the table shows it as written.
const cash = (minor, currency) => h("span", {}, money(minor, currency));
const STATUSES = ["pending", "held", "approved", "paid", "clawback"];

export async function affiliateEarnings(me) {
  const e = await api(`/affiliates/${me.id}/earnings?limit=10`);
  fillTable($("table-my-balances"), [{ key: "currency", label: "Currency" },
    ...STATUSES.map((s) => ({ key: s, label: s[0].toUpperCase() + s.slice(1), num: true }))],
  e.balances.map((b) => ({ key: b.currency, cells: { currency: b.currency,
    ...Object.fromEntries(STATUSES.map((s) => [s, cash(b[s], b.currency)])) } })),
  "No earnings yet.");
  fillTable($("table-my-entries"), [{ key: "id", label: "Entry" }, { key: "kind", label: "Kind" },
    { key: "amount", label: "Amount", num: true }, { key: "status", label: "Status" },
    { key: "post", label: "Post" }, { key: "created", label: "Written" }],
  e.entries.map((x) => ({ key: String(x.id), cells: { id: `#${x.id}`, kind: x.kind,
    amount: cash(x.amount_minor, x.currency), status: x.status, post: `#${x.post_id}`,
    created: when(x.created_at) } })), "No entries yet.");
}

export async function campaignSpend(campaignId) {
  const s = await api(`/campaigns/${campaignId}/spend`);
  const cur = s.currency;
  const remaining = s.budget_minor === null ? null : s.budget_minor - s.committed_minor;
  facts($("spend-summary"), [
    ["budget", "Budget", s.budget_minor === null ? (cur ? "no budget" : "no rate card") : money(s.budget_minor, cur)],
    ["committed", "Committed", money(s.committed_minor, cur)],
    ["remaining", "Left in budget", remaining === null ? "—" : money(remaining, cur)],
    ["paid", "Paid", money(s.paid_minor, cur)],
    ["held", "Held", money(s.held_minor, cur)],
    ["over_budget", "Over budget (never paid)", money(s.over_budget_minor, cur)],
  ]);
  fillTable($("table-spend-by-affiliate"), [{ key: "affiliate", label: "Affiliate" },
    { key: "committed", label: "Committed", num: true }, { key: "paid", label: "Paid", num: true },
    { key: "held", label: "Held", num: true }],
  s.by_affiliate.map((a) => ({ key: String(a.affiliate_id), cells: { affiliate: `#${a.affiliate_id}`,
    committed: cash(a.committed_minor, cur), paid: cash(a.paid_minor, cur),
    held: cash(a.held_minor, cur) } })), "Nothing earned yet.");
}

export async function heldAmounts() {
  const { items } = await api("/earnings/held");
  fillTable($("table-held"), [{ key: "post", label: "Post" }, { key: "affiliate", label: "Affiliate" },
    { key: "campaign", label: "Campaign" }, { key: "held", label: "Held", num: true },
    { key: "reasons", label: "Why" }],
  items.map((x) => ({ key: String(x.post_id), cells: { post: `#${x.post_id}`,
    affiliate: `#${x.affiliate_id}`, campaign: `#${x.campaign_id}`,
    held: cash(x.held_minor, x.currency), reasons: x.reasons.join("; ") || "—" } })),
  "Nothing is held.");
}
