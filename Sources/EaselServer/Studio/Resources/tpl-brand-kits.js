// Brand kits on the templates page: the list, and one form to create or edit a kit (palette words, colours,
// style words, constraints, banned words, default model and quality); delete asks twice.
import { api } from "./api.js";
import { busy, empty, field, h, select, showError, toast } from "./ui.js";
import { constraintsEditor, listText, parseList, presetList, swatches } from "./tpl-fields.js";

/// `brandKits(ctx, presets)` → a card element that loads and draws itself.
export function brandKits(ctx, presets, signal) {
  const list = h("ul", { class: "tp-list", "data-testid": "brand-kit-list", "aria-label": "Brand kits" });
  const errors = h("div");
  const formBox = h("div");
  const newButton = h("button", { class: "btn secondary small", type: "button", "data-testid": "brand-kit-new" }, "New brand kit");
  newButton.addEventListener("click", () => openForm(null));
  const card = h("section", { class: "card stack", "aria-labelledby": "kits-title" },
    h("div", { class: "tp-cardhead" }, h("h2", { id: "kits-title" }, "Brand kits"), newButton),
    h("p", { class: "muted" }, "A team's look, added to every brief that names it."),
    errors, formBox, list,
  );
  let kits = [];

  async function load() {
    try {
      kits = (await api("/api/brand-kits", { signal })).data;
      draw();
    } catch (error) {
      if (!signal.aborted) showError(errors, error);
    }
  }

  function draw() {
    if (!kits.length) {
      list.replaceChildren(h("li", {}, empty("No brand kits yet. Make one to keep palette, colours and banned words in one place.")));
      return;
    }
    list.replaceChildren(...kits.map((kit) => {
      const remove = h("button", { class: "btn ghost small", type: "button", "data-testid": "brand-kit-delete", "aria-label": `Delete ${kit.name}` }, "Delete");
      let armed = false;
      remove.addEventListener("click", () => {
        if (!armed) {
          armed = true;
          remove.textContent = "Really delete?";
          remove.classList.replace("ghost", "danger");
          return;
        }
        busy(remove, async () => {
          await api(`/api/brand-kits/${kit.id}`, { method: "DELETE" });
          toast(`Deleted brand kit “${kit.name}”`);
          kits = kits.filter((k) => k.id !== kit.id);
          draw();
        }, errors);
      });
      const details = [
        kit.palette.length ? `Palette: ${kit.palette.join(", ")}` : null,
        kit.style.length ? `Style: ${kit.style.join(", ")}` : null,
        kit.banned_words.length ? `Never: ${kit.banned_words.join(", ")}` : null,
      ].filter(Boolean);
      return h("li", { class: "tp-row", "data-testid": "brand-kit-row", "data-id": kit.id },
        h("div", { class: "tp-row-main" },
          h("div", { class: "tp-row-title" }, h("strong", {}, kit.name), swatches(kit.colors), kit.shared ? h("span", { class: "chip" }, "shared") : null),
          h("p", { class: "muted" }, details.length ? details.join(" · ") : "No palette, style or banned words yet."),
        ),
        h("div", { class: "tp-row-actions" },
          h("button", { class: "btn secondary small", type: "button", "data-testid": "brand-kit-edit", onclick: () => openForm(kit), "aria-label": `Edit ${kit.name}` }, "Edit"),
          remove,
        ),
      );
    }));
  }

  async function openForm(kit) {
    let modelOptions = [{ value: "", label: "No default" }];
    try {
      modelOptions = modelOptions.concat((await ctx.models()).map((m) => ({ value: m.id, label: m.id })));
    } catch (_) { /* the field still takes no default */ }
    if (kit && kit.default_model && !modelOptions.some((o) => o.value === kit.default_model)) modelOptions.push({ value: kit.default_model, label: kit.default_model });
    const k = kit || { name: "", palette: [], colors: [], style: [], banned_words: [], constraints: {}, default_model: null, default_quality: null };
    const name = h("input", { "data-testid": "brand-kit-name", required: true, maxlength: 200, value: k.name });
    const palette = h("input", { "data-testid": "brand-kit-palette", list: "kit-palettes", value: listText(k.palette), placeholder: "business-neutral" });
    const colors = h("input", { "data-testid": "brand-kit-colors", value: listText(k.colors), placeholder: "#0A7E8C, #F2B705", spellcheck: false });
    const style = h("input", { "data-testid": "brand-kit-style", list: "kit-styles", value: listText(k.style), placeholder: "flat, photorealistic" });
    const banned = h("input", { "data-testid": "brand-kit-banned", value: listText(k.banned_words), placeholder: "cheap, free" });
    const model = select(modelOptions, k.default_model || "", { "data-testid": "brand-kit-model" });
    const quality = select(["", "auto", "low", "medium", "high"].map((q) => ({ value: q, label: q || "No default" })), k.default_quality || "", { "data-testid": "brand-kit-quality" });
    const constraints = constraintsEditor(k.constraints || {}, "kit");
    const preview = h("span", {}, swatches(k.colors));
    colors.addEventListener("input", () => preview.replaceChildren(swatches(parseList(colors.value).filter((c) => /^#?[0-9a-f]{3}([0-9a-f]{3})?$/i.test(c)).map((c) => (c.startsWith("#") ? c : "#" + c))) || ""));
    const formErrors = h("div");
    const save = h("button", { class: "btn", type: "submit", "data-testid": "brand-kit-save" }, kit ? "Save brand kit" : "Create brand kit");
    const cancel = h("button", { class: "btn ghost", type: "button", "data-testid": "brand-kit-cancel", onclick: () => formBox.replaceChildren() }, "Cancel");
    const form = h("form", { class: "stack tp-kit-form", "data-testid": "brand-kit-form", "aria-label": kit ? `Edit ${kit.name}` : "New brand kit" },
      h("h3", {}, kit ? `Edit “${kit.name}”` : "New brand kit"),
      formErrors,
      field("Name", name),
      h("div", { class: "row" }, field("Palette words or presets", palette), field("Style words or presets", style)),
      field("Colours (#RRGGBB, comma separated)", colors, "Added to every brief as brand colours."),
      preview,
      field("Banned words", banned, "Never in a prompt: a brief using one is refused."),
      constraints.element,
      h("div", { class: "row" }, field("Default model", model), field("Default quality", quality)),
      h("div", { class: "tp-buttons" }, save, cancel),
      presetList("kit-palettes", presets.palettes), presetList("kit-styles", presets.styles),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, async () => {
        const json = {
          name: name.value.trim(), palette: parseList(palette.value), colors: parseList(colors.value), style: parseList(style.value),
          banned_words: parseList(banned.value), constraints: constraints.value(),
          default_model: model.value || null, default_quality: quality.value || null,
        };
        if (kit && kit.review) json.review = kit.review;
        const saved = kit
          ? await api(`/api/brand-kits/${kit.id}`, { method: "PUT", json })
          : await api("/api/brand-kits", { method: "POST", json });
        toast(kit ? `Saved brand kit “${saved.name}”` : `Created brand kit “${saved.name}”`);
        formBox.replaceChildren();
        await load();
      }, formErrors);
    });
    formBox.replaceChildren(form);
    name.focus();
  }

  load();
  return card;
}
