// An affiliate's page: a polite word, its own trust, earnings and recent reports.

import { api } from "./api.js";
import { affiliateEarnings } from "./earnings.js";
import { fillTable, h, panel, when } from "./ui.js";

const $ = (id) => document.getElementById(id);

export async function loadAffiliate(me) {
  await Promise.all([
    panel($("panel-trust"), async () => {
      const t = await api(`/affiliates/${me.id}/trust`);
      $("trust-summary").replaceChildren(
        h("div", { "data-key": "score" }, h("dt", {}, "Score"), h("dd", {}, Number(t.score).toFixed(2))),
        h("div", { "data-key": "bucket" }, h("dt", {}, "Bucket"), h("dd", {}, t.bucket)));
    }),
    panel($("panel-my-earnings"), () => affiliateEarnings(me)),
    panel($("panel-my-reports"), async () => {
      const page = await api("/submissions?limit=10");
      fillTable($("table-my-reports"), [{ key: "report", label: "Report" }, { key: "platform", label: "Platform" },
        { key: "status", label: "Status" }, { key: "views", label: "Claimed views", num: true },
        { key: "submitted", label: "Submitted" }],
      page.items.map((r) => ({ key: String(r.report_id), cells: { report: `#${r.report_id}`,
        platform: r.platform, status: r.status, views: r.claimed.views, submitted: when(r.submitted_at) } })),
      "No reports yet.");
    }),
  ]);
}
