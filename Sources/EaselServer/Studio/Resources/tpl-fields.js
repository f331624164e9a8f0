// Form pieces the template editor and the brand-kit form share: comma lists, the brief's constraint
// toggles, colour swatches, and the `{placeholders}` of a brief.
import { field, h, select } from "./ui.js";

/// `["a", "b"]` → `"a, b"` (a string stays as it is).
export function listText(value) {
  if (!value) return "";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/// `"a, b,,c"` → `["a", "b", "c"]`.
export function parseList(text) {
  return String(text || "").split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
}

const TOGGLES = [
  ["no_text", "No text in the image"],
  ["no_watermark", "No watermark"],
  ["no_logos", "No logos"],
  ["no_people", "No people or faces"],
];

/// The brief's constraints as toggles and two pickers; `value()` gives the JSON object (only what is set).
export function constraintsEditor(constraints = {}, prefix = "c") {
  const boxes = TOGGLES.map(([key, label]) => {
    const box = h("input", { type: "checkbox", checked: !!constraints[key], "data-testid": `${prefix}-${key.replaceAll("_", "-")}` });
    return { key, box, element: h("label", { class: "check" }, box, label) };
  });
  const space = select(
    [{ value: "", label: "Not needed" }, "top", "bottom", "left", "right"].map((o) => (typeof o === "string" ? { value: o, label: `At the ${o}` } : o)),
    constraints.headline_space || "",
    { "data-testid": `${prefix}-headline-space` },
  );
  const background = select(
    [{ value: "", label: "Any" }, { value: "plain", label: "Plain" }, { value: "transparent", label: "Transparent" }],
    constraints.background || "",
    { "data-testid": `${prefix}-background` },
  );
  const element = h("fieldset", { class: "tp-constraints" },
    h("legend", {}, "Constraints"),
    h("div", { class: "tp-toggles" }, ...boxes.map((b) => b.element)),
    h("div", { class: "row" }, field("Empty space for a headline", space), field("Background", background)),
  );
  return {
    element,
    value() {
      const out = {};
      for (const b of boxes) if (b.box.checked) out[b.key] = true;
      if (space.value) out.headline_space = space.value;
      if (background.value) out.background = background.value;
      return out;
    },
  };
}

/// Small colour squares for `#RRGGBB` values.
export function swatches(colors) {
  if (!colors || !colors.length) return null;
  return h("span", { class: "tp-swatches" }, ...colors.map((c) => h("span", { class: "tp-swatch", title: c, style: { background: c } })));
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/// The variable names a brief uses, in order of first use.
export function placeholders(brief) {
  const names = [];
  for (const value of Object.values(brief || {})) {
    const texts = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
    for (const text of texts) for (const m of String(text).matchAll(PLACEHOLDER)) if (!names.includes(m[1])) names.push(m[1]);
  }
  return names;
}

/// A datalist of preset ids (`/api/briefs/presets`) for a text input, so presets are one keystroke away.
export function presetList(id, presets) {
  return h("datalist", { id }, ...(presets || []).map((p) => h("option", { value: p.id }, p.label)));
}
