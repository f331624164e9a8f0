// The brief builder: subject, use case, scene, style / palette / format presets, constraints as toggles,
// things to avoid and free text; a template picker that fills it (with the template's variables) and a
// brand-kit picker. It only holds the form: `value()` says what a request sends (a `brief`, or a
// `template` with `variables`), and `onChange` fires on every edit so the page can compile it live.
import { field, h, select } from "./ui.js";

const USE_CASES = ["product hero", "blog banner", "social post", "ad creative", "presentation slide", "app store screenshot", "poster"];
const TOGGLES = { no_text: "No text", no_watermark: "No watermark", no_logos: "No logos", no_people: "No people" };
const EDGES = ["top", "bottom", "left", "right"];

/// Sets a select to `value`, adding an option for a value the list does not have (a template's free words).
function choose(control, value) {
  const wanted = value || "";
  if (![...control.options].some((option) => option.value === wanted)) control.append(h("option", { value: wanted }, wanted));
  control.value = wanted;
}

/// `{placeholder}` → the variable's value (or its default) in every string of a template's brief.
function fill(value, values) {
  if (typeof value === "string") return value.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  if (Array.isArray(value)) return value.map((item) => fill(item, values));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, values)]));
  return value;
}

function first(list) {
  return Array.isArray(list) ? list[0] || "" : list || "";
}

/// `briefForm({presets, templates, kits, onChange, onTemplate, onKit})` → `{el, value(), pickTemplate(id)}`.
export function briefForm({ presets, templates = [], kits = [], onChange = () => {}, onTemplate = () => {}, onKit = () => {} }) {
  let template = null; // the picked template, while the brief is still the template's
  let basedOn = null; // the template an edited brief came from
  const changed = () => onChange();

  const subject = h("input", { "data-testid": "brief-subject", autocomplete: "off", placeholder: "a ceramic mug on an oak desk", required: true });
  const uses = h("datalist", { id: "brief-use-cases" }, USE_CASES.map((use) => h("option", { value: use })));
  const useCase = h("input", { "data-testid": "brief-use-case", list: "brief-use-cases", autocomplete: "off", placeholder: "product hero" });
  const scene = h("input", { "data-testid": "brief-scene", autocomplete: "off", placeholder: "by a window in the morning" });
  const presetList = (items, none) => [{ value: "", label: none }, ...items.map((p) => ({ value: p.id, label: p.label }))];
  const style = select(presetList(presets.styles, "Any style"), "", { "data-testid": "preset-style" });
  const palette = select(presetList(presets.palettes, "Any palette"), "", { "data-testid": "preset-palette" });
  const format = select(
    [{ value: "", label: "Any (size decides)" }, ...presets.formats.map((p) => ({ value: p.id, label: `${p.label} (${p.aspect})` }))],
    "",
    { "data-testid": "preset-format" },
  );
  const toggles = {};
  for (const [key, label] of Object.entries(TOGGLES)) {
    toggles[key] = h("input", { type: "checkbox", "data-testid": `constraint-${key}`, id: `constraint-${key}` });
  }
  const headlineSpace = select([{ value: "", label: "No" }, ...EDGES.map((e) => ({ value: e, label: `Keep the ${e} calm` }))], "", {
    "data-testid": "constraint-headline_space",
  });
  const background = select(
    [{ value: "", label: "As the image needs" }, { value: "plain", label: "Plain" }, { value: "transparent", label: "Transparent" }],
    "",
    { "data-testid": "constraint-background" },
  );
  const avoid = h("input", { "data-testid": "brief-avoid", autocomplete: "off", placeholder: "clutter, lens flare" });
  const freeText = h("textarea", { "data-testid": "brief-free-text", rows: 3, placeholder: "Anything else, added to the end as written" });

  const templatePicker = select(
    [{ value: "", label: "None: write the brief" }, ...templates.map((t) => ({ value: t.id, label: t.name + (t.built_in ? " (built in)" : "") }))],
    "",
    { "data-testid": "template-picker" },
  );
  const kitPicker = select([{ value: "", label: kits.length ? "None" : "No brand kits yet" }, ...kits.map((k) => ({ value: k.id, label: k.name }))], "", {
    "data-testid": "brand-kit-picker",
  });
  const templateNote = h("div", { class: "brief-note", "data-testid": "template-note", "aria-live": "polite" });
  const variablesBox = h("div", { class: "brief-vars", "data-testid": "template-variables" });
  const kitNote = h("div", { class: "brief-note", "data-testid": "brand-kit-note" });
  const variableInputs = new Map();

  const briefControls = [subject, useCase, scene, style, palette, format, ...Object.values(toggles), headlineSpace, background, avoid];

  function variableValues() {
    const values = {};
    for (const variable of template?.variables || []) {
      const typed = (variableInputs.get(variable.name)?.value || "").trim();
      values[variable.name] = typed || variable.default || "";
    }
    return values;
  }

  /// The form's brief fields show the template's brief with the variables filled in.
  function showTemplateBrief() {
    const brief = fill(template.brief, variableValues());
    subject.value = brief.subject || "";
    useCase.value = brief.use_case || "";
    scene.value = brief.scene || "";
    choose(style, first(brief.style));
    choose(palette, first(brief.palette));
    choose(format, brief.format || "");
    const constraints = brief.constraints || {};
    for (const key of Object.keys(TOGGLES)) toggles[key].checked = !!constraints[key];
    choose(headlineSpace, constraints.headline_space || "");
    choose(background, constraints.background || "");
    avoid.value = (brief.avoid || []).join(", ");
  }

  function drawTemplateNote() {
    templateNote.replaceChildren();
    if (template) {
      templateNote.append(
        h("p", { class: "muted" }, template.description || ""),
        h("p", { class: "muted" }, `Sent as template ${template.reference || template.id}. Editing a brief field below makes it your own brief.`),
      );
    } else if (basedOn) {
      templateNote.append(h("p", { class: "notice", "data-testid": "template-detached" }, `Your own brief, started from the template “${basedOn}”.`));
    }
  }

  function pickTemplate(id) {
    template = templates.find((t) => t.id === id) || null;
    basedOn = null;
    templatePicker.value = template ? template.id : "";
    variableInputs.clear();
    variablesBox.replaceChildren();
    if (template) {
      for (const variable of template.variables || []) {
        const input = h("input", {
          "data-testid": `template-var-${variable.name}`,
          autocomplete: "off",
          placeholder: variable.default || "",
          required: variable.required,
          oninput: () => { showTemplateBrief(); changed(); },
        });
        variableInputs.set(variable.name, input);
        const words = variable.name.replaceAll("_", " ");
        const label = words.charAt(0).toUpperCase() + words.slice(1) + (variable.required ? " (required)" : "");
        variablesBox.append(field(label, input, variable.help || (variable.default ? `Default: ${variable.default}` : null)));
      }
      showTemplateBrief();
      const defaults = template.defaults || {};
      if (defaults.brand_kit && kits.some((k) => k.id === defaults.brand_kit)) {
        kitPicker.value = defaults.brand_kit;
        drawKit();
      }
      onTemplate(template);
    }
    drawTemplateNote();
    changed();
  }

  function drawKit() {
    const kit = kits.find((k) => k.id === kitPicker.value);
    kitNote.replaceChildren();
    if (!kit) return;
    const parts = [];
    if (kit.style?.length) parts.push("style " + kit.style.join(", "));
    if (kit.palette?.length) parts.push("palette " + kit.palette.join(", "));
    if (kit.banned_words?.length) parts.push("never " + kit.banned_words.join(", "));
    kitNote.append(
      h("p", { class: "muted" }, parts.length ? "Adds " + parts.join("; ") + "." : "Adds its defaults."),
      kit.colors?.length
        ? h("div", { class: "bf-swatches" }, kit.colors.map((c) => h("span", { class: "bf-swatch", title: c, "aria-label": c, style: { background: c } })))
        : null,
    );
    onKit(kit);
  }

  // Editing the brief itself while a template is picked turns it into the user's own brief.
  for (const control of briefControls) {
    control.addEventListener(control.tagName === "SELECT" || control.type === "checkbox" ? "change" : "input", () => {
      if (template) {
        basedOn = template.name;
        template = null;
        templatePicker.value = "";
        variableInputs.clear();
        variablesBox.replaceChildren();
        drawTemplateNote();
      }
      changed();
    });
  }
  freeText.addEventListener("input", changed);
  templatePicker.addEventListener("change", () => pickTemplate(templatePicker.value));
  kitPicker.addEventListener("change", () => { drawKit(); changed(); });
  kitPicker.disabled = !kits.length;
  if (!kits.length) kitNote.append(h("p", { class: "muted" }, "No brand kits yet: they are made on the ", h("a", { href: "/templates" }, "Templates"), " page."));

  const toggleRow = h("div", { class: "brief-toggles", role: "group", "aria-label": "Constraints" },
    Object.entries(TOGGLES).map(([key, label]) => h("label", { class: "check", for: `constraint-${key}` }, toggles[key], label)));

  const el = h("div", { class: "stack brief-form" },
    h("div", { class: "row" },
      field("Template", templatePicker),
      field("Brand kit", kitPicker),
    ),
    templateNote,
    variablesBox,
    kitNote,
    field("Subject", subject, "What the image shows."),
    h("div", { class: "row" }, field("Use case", useCase), field("Scene", scene)),
    uses,
    h("div", { class: "row" }, field("Style", style), field("Palette", palette), field("Format", format)),
    h("fieldset", { class: "brief-constraints" },
      h("legend", {}, "Constraints"),
      toggleRow,
      h("div", { class: "row" }, field("Space for a headline", headlineSpace), field("Background", background)),
    ),
    field("Avoid", avoid, "Comma separated."),
    field("Free text", freeText, "Added to the end of the prompt as written. Ctrl+Enter generates."),
  );

  /// What a request sends for this form: `{ready, missing, body, label}`.
  function value() {
    const kit = kitPicker.value || undefined;
    const extra = freeText.value.trim();
    if (template) {
      const variables = {};
      const missing = [];
      for (const variable of template.variables || []) {
        const typed = (variableInputs.get(variable.name)?.value || "").trim();
        if (typed) variables[variable.name] = typed;
        else if (variable.required && !variable.default) missing.push(variable.name.replaceAll("_", " "));
      }
      return {
        ready: missing.length === 0,
        missing: missing.length ? `Fill in ${missing.join(", ")} to see the prompt.` : null,
        body: { template: template.id, variables, brand_kit: kit, prompt: extra || undefined },
        label: template.name,
      };
    }
    const constraints = {};
    for (const key of Object.keys(TOGGLES)) if (toggles[key].checked) constraints[key] = true;
    if (headlineSpace.value) constraints.headline_space = headlineSpace.value;
    if (background.value) constraints.background = background.value;
    const brief = { subject: subject.value.trim() };
    if (useCase.value.trim()) brief.use_case = useCase.value.trim();
    if (scene.value.trim()) brief.scene = scene.value.trim();
    if (style.value) brief.style = [style.value];
    if (palette.value) brief.palette = [palette.value];
    if (format.value) brief.format = format.value;
    if (Object.keys(constraints).length) brief.constraints = constraints;
    const avoided = avoid.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (avoided.length) brief.avoid = avoided;
    if (extra) brief.text = extra;
    return {
      ready: !!brief.subject,
      missing: brief.subject ? null : "Describe the subject to see the compiled prompt.",
      body: { brief, brand_kit: kit },
      label: brief.subject,
    };
  }

  return { el, value, pickTemplate, focus: () => subject.focus() };
}
