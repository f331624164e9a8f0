// The gallery's side list of collections (`/api/collections`): "All images", then each collection with its
// count; a click filters the grid. Create, rename and delete happen here too.
import { api } from "./api.js";
import { h, plural, showError, toast } from "./ui.js";

/// `collectionList({current, onPick(id|""), onChange(collections)})` → `{el, refresh(), setCurrent(id), all()}`.
export function collectionList({ current = "", onPick, onChange }) {
  let collections = [];
  let selected = current;
  let editing = null; // the id being renamed
  let deleting = null; // the id waiting for its confirmation
  const errors = h("div", { "aria-live": "polite" });
  const list = h("ul", { class: "collections-list", role: "list" });
  const name = h("input", { type: "text", maxlength: 100, placeholder: "New collection", "data-testid": "collection-new-name", "aria-label": "New collection name" });
  const create = h("button", { class: "btn secondary small", type: "submit", "data-testid": "collection-create" }, "Create");
  const form = h("form", { class: "collection-new" }, name, create);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = name.value.trim();
    if (!text) { name.focus(); return; }
    create.disabled = true;
    errors.replaceChildren();
    try {
      const made = await api("/api/collections", { method: "POST", json: { name: text } });
      name.value = "";
      toast(`Collection “${made.name}” created`);
      await refresh();
    } catch (error) {
      showError(errors, error);
    } finally {
      create.disabled = false;
    }
  });

  const el = h("nav", { class: "card collections", "data-testid": "collections", "aria-label": "Collections" },
    h("h2", {}, "Collections"), list, errors, form);

  function item(collection) {
    const id = collection ? collection.id : "";
    const label = collection ? collection.name : "All images";
    const on = selected === id;
    const pick = h("button", {
      type: "button", class: "collection-pick" + (on ? " on" : ""), "aria-pressed": on ? "true" : "false",
      "data-testid": collection ? "collection-item" : "collection-all", "data-id": id || null,
      onclick: () => { setCurrent(id); onPick(id); },
    }, h("span", { class: "collection-name" }, label), collection ? h("span", { class: "muted count" }, String(collection.count)) : null);
    if (!collection) return h("li", {}, pick);
    if (editing === id) return h("li", {}, renameForm(collection));
    const actions = h("span", { class: "collection-actions" },
      h("button", { type: "button", class: "btn ghost small", "data-testid": "collection-rename", "aria-label": `Rename ${collection.name}`, onclick: () => { editing = id; deleting = null; draw(); } }, "Rename"),
      deleting === id
        ? h("button", { type: "button", class: "btn danger small", "data-testid": "collection-delete-confirm", onclick: () => remove(collection) }, "Delete?")
        : h("button", { type: "button", class: "btn ghost small", "data-testid": "collection-delete", "aria-label": `Delete ${collection.name}`, onclick: () => { deleting = id; editing = null; draw(); } }, "Delete"),
    );
    return h("li", {}, pick, actions);
  }

  function renameForm(collection) {
    const input = h("input", { type: "text", value: collection.name, maxlength: 100, "aria-label": `New name for ${collection.name}`, "data-testid": "collection-rename-name" });
    const form = h("form", { class: "collection-new" }, input,
      h("button", { class: "btn small", type: "submit", "data-testid": "collection-rename-save" }, "Save"),
      h("button", { class: "btn ghost small", type: "button", onclick: () => { editing = null; draw(); } }, "Cancel"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return input.focus();
      try {
        await api(`/api/collections/${encodeURIComponent(collection.id)}`, { method: "PATCH", json: { name: text } });
        editing = null;
        await refresh();
      } catch (error) {
        showError(errors, error);
      }
    });
    queueMicrotask(() => input.focus());
    return form;
  }

  async function remove(collection) {
    try {
      await api(`/api/collections/${encodeURIComponent(collection.id)}`, { method: "DELETE" });
      deleting = null;
      toast(`Collection “${collection.name}” deleted (its images stay in the gallery)`);
      if (selected === collection.id) { setCurrent(""); onPick(""); }
      await refresh();
    } catch (error) {
      showError(errors, error);
    }
  }

  function draw() {
    list.replaceChildren(item(null), ...collections.map(item));
    if (!collections.length) list.append(h("li", { class: "muted small-note" }, "No collections yet. Name one below, then add images to it."));
  }

  async function refresh() {
    try {
      const body = await api("/api/collections");
      collections = body.data;
      errors.replaceChildren();
    } catch (error) {
      showError(errors, error);
    }
    draw();
    if (onChange) onChange(collections);
    return collections;
  }

  function setCurrent(id) {
    selected = id || "";
    draw();
  }

  draw();
  return { el, refresh, setCurrent, all: () => collections, describe: (c) => `${c.name} (${plural(c.count, "image")})` };
}
