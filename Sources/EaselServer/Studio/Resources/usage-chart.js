// Usage by day as a small bar chart: inline SVG drawn at the container's real width (so the labels keep
// their size on a phone), one bar per day from the usage's first day to today, with labelled axes and a
// table of the same numbers for screen readers and for anyone who wants the exact figures.
import { empty, h, money, plural } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/// The days from `from` to `to` (both `YYYY-MM-DD`, UTC), in order.
export function daysBetween(from, to) {
  const out = [];
  const start = Date.parse(from + "T00:00:00Z");
  const end = Date.parse(to + "T00:00:00Z");
  if (!Number.isFinite(start) || !Number.isFinite(end)) return out;
  for (let t = start; t <= end && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/// Usage rows (per day and model, maybe per user) summed per day over every day of the range.
export function perDay(usage, today) {
  const days = daysBetween(usage.from, today || new Date().toISOString().slice(0, 10));
  const sums = new Map(days.map((day) => [day, { day, images: 0, jobs: 0, cost: 0, models: new Map() }]));
  for (const row of usage.data || []) {
    if (!sums.has(row.day)) sums.set(row.day, { day: row.day, images: 0, jobs: 0, cost: 0, models: new Map() });
    const sum = sums.get(row.day);
    sum.images += row.images;
    sum.jobs += row.jobs;
    sum.cost += Number(row.cost_usd || 0);
    const model = row.model || "unknown";
    sum.models.set(model, (sum.models.get(model) || 0) + row.images);
  }
  return [...sums.values()].sort((a, b) => a.day.localeCompare(b.day));
}

function shortDay(day) {
  return new Date(day + "T00:00:00Z").toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

function niceMax(value) {
  if (value <= 4) return Math.max(1, value);
  const step = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return value;
}

/// `usageChart(usage, {today})` → an element that draws itself and redraws when its width changes.
/// Returns `{element, stop}`; call `stop()` when the page goes away.
export function usageChart(usage, { today, label = "Images per day", emptyText = "No images in this period yet.", action } = {}) {
  const days = perDay(usage, today);
  const total = days.reduce((n, d) => n + d.images, 0);
  if (!total) return { element: h("div", { "data-testid": "usage-empty" }, empty(emptyText, action)), stop: () => {} };
  const box = h("div", { class: "usage-chart" });
  const table = h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day (UTC)"), h("th", { scope: "col" }, "Images"), h("th", { scope: "col" }, "Jobs"), h("th", { scope: "col" }, "Cost"), h("th", { scope: "col" }, "Models"))),
    h("tbody", {}, days.filter((d) => d.jobs > 0).reverse().map((d) => h("tr", {},
      h("td", {}, d.day), h("td", {}, d.images), h("td", {}, d.jobs), h("td", {}, money(d.cost)),
      h("td", {}, [...d.models.entries()].map(([m, n]) => `${m} × ${n}`).join(", "))))),
  );
  const details = h("details", { class: "usage-table" }, h("summary", {}, "Show the numbers"), h("div", { class: "table-wrap" }, table));
  const element = h("div", { class: "stack" }, box, total ? details : null);

  const draw = () => {
    const width = Math.max(240, Math.floor(box.clientWidth || 600));
    const height = 190;
    const pad = { left: 38, right: 8, top: 12, bottom: 40 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const max = niceMax(Math.max(0, ...days.map((d) => d.images)));
    const slot = plotW / Math.max(1, days.length);
    const barW = Math.max(1, Math.min(28, slot * 0.72));
    const y = (v) => pad.top + plotH - (v / max) * plotH;
    const svg = s("svg", {
      width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "data-testid": "usage-chart",
      "aria-label": `${label}: ${plural(total, "image")} from ${usage.from} to ${days.length ? days[days.length - 1].day : usage.from}`,
    });
    // Y axis: gridlines at 0, half and the top, labelled.
    const ticks = max >= 2 ? [0, max / 2, max] : [0, max];
    for (const t of ticks) {
      const ty = y(t);
      svg.append(s("line", { x1: pad.left, x2: width - pad.right, y1: ty, y2: ty, class: t === 0 ? "axis" : "gridline" }));
      svg.append(s("text", { x: pad.left - 6, y: ty + 4, "text-anchor": "end", class: "tick" }, Number.isInteger(t) ? t : t.toFixed(1)));
    }
    svg.append(s("text", { x: 12, y: pad.top + plotH / 2, transform: `rotate(-90 12 ${pad.top + plotH / 2})`, "text-anchor": "middle", class: "axis-label" }, "images"));
    // Bars: one per day; an empty day is a faint tick on the axis so the rhythm of days stays visible.
    days.forEach((d, i) => {
      const x = pad.left + i * slot + (slot - barW) / 2;
      const top = y(d.images);
      const bar = s("rect", {
        x: x.toFixed(1), y: d.images ? top.toFixed(1) : (pad.top + plotH - 2).toFixed(1), width: barW.toFixed(1),
        height: d.images ? Math.max(1, pad.top + plotH - top).toFixed(1) : 2, rx: Math.min(3, barW / 3),
        class: d.images ? "bar-day" : "bar-day none", "data-testid": "usage-bar", "data-day": d.day, "data-images": d.images,
        "data-cost": d.cost.toFixed(6),
      }, s("title", {}, `${d.day}: ${plural(d.images, "image")}, ${plural(d.jobs, "job")}, ${money(d.cost)}`));
      svg.append(bar);
    });
    // X axis: the first and last day, and a few between, never crowded.
    const every = Math.max(1, Math.ceil(days.length / Math.max(2, Math.floor(plotW / 64))));
    days.forEach((d, i) => {
      const last = i === days.length - 1;
      if (i % every !== 0 && !last) return;
      // The last day is always labelled (anchored at the right edge), so a label too close to it goes.
      if (!last && i !== 0 && (days.length - 1 - i) * slot < 72) return;
      const cx = pad.left + i * slot + slot / 2;
      const anchor = days.length > 1 && i === 0 ? "start" : last && days.length > 1 ? "end" : "middle";
      const tx = anchor === "start" ? Math.max(pad.left, cx - slot / 2) : anchor === "end" ? Math.min(width - pad.right, cx + slot / 2) : cx;
      svg.append(s("text", { x: tx, y: pad.top + plotH + 16, "text-anchor": anchor, class: "tick" }, shortDay(d.day)));
    });
    svg.append(s("text", { x: pad.left + plotW / 2, y: height - 4, "text-anchor": "middle", class: "axis-label" }, "day (UTC)"));
    box.replaceChildren(svg);
  };

  let last = 0;
  const observer = new ResizeObserver(() => {
    const w = Math.floor(box.clientWidth);
    if (w && w !== last) { last = w; draw(); }
  });
  observer.observe(box);
  draw();
  return { element, stop: () => observer.disconnect() };
}
