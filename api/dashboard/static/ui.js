// Small DOM helpers: text only (never innerHTML with data), tables, charts.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
export const percent = (x, digits = 1) =>
  x === null || x === undefined ? "—" : `${(Number(x) * 100).toFixed(digits)} %`;
export const when = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) + " UTC" : "—");

// Fill `table` (keeping its caption): columns [{key, label, num?}], rows [{key, cells}].
// The first column is the row header; every cell carries data-col for tests and scripts.
export function fillTable(table, columns, rows, empty = "Nothing yet.") {
  table.querySelectorAll("thead, tbody").forEach((part) => part.remove());
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)));
  const body = h("tbody");
  if (!rows.length) {
    body.append(h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty)));
  }
  for (const row of rows) {
    const tr = h("tr", { "data-row": row.key });
    columns.forEach((c, i) => {
      const value = row.cells[c.key];
      const tag = i === 0 ? "th" : "td";
      const attrs = { "data-col": c.key, class: c.num ? "num" : null, scope: i === 0 ? "row" : null };
      tr.append(h(tag, attrs, value instanceof Node ? value : c.num ? num(value) : value ?? "—"));
    });
    body.append(tr);
  }
  table.append(h("thead", {}, head), body);
}

export function facts(container, pairs) {
  container.replaceChildren(h("dl", { class: "summary" }, pairs.map(([key, label, value]) =>
    h("div", { "data-key": key }, h("dt", {}, label), h("dd", {}, value)))));
}

export const STATUS_COLOURS = {
  MATCHED: "#1b7f3b", DISCREPANCY_LOW: "#8bbf3f", DISCREPANCY_MEDIUM: "#e3a21a",
  DISCREPANCY_HIGH: "#d9602b", AFFILIATE_OVERCLAIMED: "#a4161a",
  INCOMPLETE_PLATFORM_DATA: "#6c8ebf", MISSING_PLATFORM_DATA: "#7d7d7d", PENDING: "#b9b9b9",
};
export const SEVERITY_COLOURS = { LOW: "#6c8ebf", MEDIUM: "#e3a21a", HIGH: "#d9602b", CRITICAL: "#a4161a" };

// A bar chart; the table beside it holds the exact numbers, so without the chart
// library the chart simply stays hidden.
export function bars(div, categories, series, { stacked = false, yTitle = "", dates = false } = {}) {
  if (!window.Plotly) {
    div.hidden = true;
    return;
  }
  const traces = series.map((s) => {
    const trace = { type: "bar", name: s.name, x: categories, y: s.values,
      hovertemplate: "%{x}: %{y:,}<extra>" + (s.name || "") + "</extra>" };
    // Plotly reads a `marker` key that is present but undefined as a broken marker.
    if (s.colours || s.colour) trace.marker = { color: s.colours || s.colour };
    return trace;
  });
  const layout = {
    barmode: stacked ? "stack" : "group", height: 260, margin: { l: 50, r: 10, t: 10, b: 60 },
    showlegend: series.length > 1, legend: { orientation: "h", y: -0.3 },
    yaxis: { title: { text: yTitle }, rangemode: "tozero", tickformat: ",d" },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
  };
  // Small counts get whole-number ticks (Plotly would otherwise repeat rounded labels).
  const heights = categories.map((_, i) => series.map((s) => s.values[i] || 0)
    .reduce((a, b) => (stacked ? a + b : Math.max(a, b)), 0));
  const top = Math.max(0, ...heights);
  if (top <= 10) Object.assign(layout.yaxis, { dtick: 1, range: [0, Math.max(top, 1) * 1.05] });
  if (dates) Object.assign(layout, { xaxis: { type: "date", tickformat: "%H:%M\n%b %d" } });
  window.Plotly.react(div, traces, layout, { displayModeBar: false, responsive: true });
}

// Run a panel's loader and record its state on the section (tests wait for it).
export async function panel(section, load) {
  const status = section.querySelector(".status");
  section.dataset.state = "loading";
  if (status) status.textContent = "";
  try {
    await load(section);
    section.dataset.state = "ready";
  } catch (err) {
    if (status) status.textContent = `Could not load: ${err.message}`;
    section.dataset.state = "error";
  }
}

// An amount in minor units as the currency writes it ("2000", "USD" -> "20.00 USD"), with
// integer arithmetic only: the API never sends a float for money, nor does this page make one.
export function money(minor, currency) {
  if (minor === null || minor === undefined) return "—";
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    digits = 2;
  }
  const n = Number(minor);
  const sign = n < 0 ? "−" : "";
  const abs = Math.abs(n);
  const unit = 10 ** digits;
  const whole = Math.floor(abs / unit).toLocaleString("en-US");
  const frac = digits ? `.${String(abs % unit).padStart(digits, "0")}` : "";
  return `${sign}${whole}${frac} ${currency || ""}`.trim();
}
