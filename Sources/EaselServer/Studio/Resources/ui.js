// Small DOM helpers shared by every page. Text always goes in as text (never as HTML), so a prompt or a tag
// cannot inject markup.
import { plainWords } from "./api.js";

/// `h("button", {class: "btn", "data-testid": "go", onclick: fn}, "Generate")`.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let fieldCount = 0;
/// A labelled control: `field("Prompt", h("textarea"), "hint")`. The label is tied to the control by id.
export function field(label, control, hint) {
  if (!control.id) control.id = "f" + ++fieldCount;
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("small", { class: "muted" }, hint) : null);
}

const optionItems = (options) => options.map((o) => (typeof o === "string" ? { value: o, label: o } : o));

/// `select(options, value, attrs)`; options are strings or `{value, label}`.
export function select(options, value, attrs = {}) {
  const el = h("select", attrs);
  for (const item of optionItems(options)) el.append(h("option", { value: item.value, selected: item.value === value }, item.label));
  return el;
}

/// Replaces a select's options, keeping the user's choice when it is still offered, else `fallback`.
export function refill(control, options, fallback) {
  const keep = control.value;
  const items = optionItems(options);
  control.replaceChildren(...items.map((o) => h("option", { value: o.value }, o.label)));
  control.value = items.some((o) => o.value === keep) ? keep : fallback;
  if (control.selectedIndex < 0) control.selectedIndex = 0;
}

/// `text` cut to `n` characters with an ellipsis; `blank` when there is none.
export function short(text, n, blank = "") {
  const trimmed = String(text ?? "").trim();
  return trimmed.length > n ? trimmed.slice(0, n - 1) + "…" : trimmed || blank;
}

/// Money from the API's decimal strings: `$4.20`, and small amounts with the digits that matter (`$0.042`).
export function money(usd) {
  const value = Number(usd || 0);
  if (!Number.isFinite(value)) return "—";
  const sign = value < 0 ? "−" : "";
  const abs = Math.abs(value);
  if (abs === 0) return "$0.00";
  if (abs >= 0.01) {
    const cents = abs.toFixed(2);
    const precise = abs.toFixed(3);
    return sign + "$" + (Number(precise) !== Number(cents) && abs < 1 ? precise.replace(/0+$/, "") : cents);
  }
  return sign + "$" + abs.toPrecision(2).replace(/0+$/, "");
}

export function when(unixSeconds) {
  if (!unixSeconds) return "";
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/// An error box in plain words, with what to do. Replaces `container`'s content.
export function showError(container, error) {
  const words = plainWords(error);
  container.replaceChildren(
    h("div", { class: "error", role: "alert", "data-testid": "error" }, h("strong", {}, words.message), words.todo ? h("p", {}, words.todo) : null),
  );
}

/// A passing message at the bottom of the screen.
export function toast(message, kind = "info") {
  const note = h("div", { class: `toast ${kind}`, "data-testid": "toast" }, message);
  document.getElementById("toasts").append(note);
  setTimeout(() => note.remove(), 4000);
}

/// What an empty list shows instead of nothing.
export function empty(text, action) {
  return h("div", { class: "empty", "data-testid": "empty" }, h("p", {}, text), action || null);
}

/// A thumbnail of an asset (the owner's cookie opens `/files/{id}/thumb`).
export function thumb(asset, attrs = {}) {
  return h("img", {
    src: `/files/${asset.id}/thumb`, alt: asset.alt_text || asset.prompt || "image", loading: "lazy",
    width: 256, height: 256, class: "thumb", ...attrs,
  });
}

/// A page heading with optional actions on the right.
export function heading(title, ...actions) {
  return h("div", { class: "heading" }, h("h1", {}, title), h("div", { class: "actions" }, ...actions));
}

/// Disables `button` while `work` runs; errors land in `errorBox` (or a toast).
export async function busy(button, work, errorBox) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    if (errorBox) errorBox.replaceChildren();
    return await work();
  } catch (error) {
    if (errorBox) showError(errorBox, error);
    else toast(plainWords(error).message, "bad");
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
