// Gallery: every image of the user, newest first, loaded page by page as the grid scrolls; a search box and
// filters that live in the URL (a filtered gallery can be bookmarked and reloaded); multi-select with bulk
// actions; collections in a side list.
import { api } from "./api.js";
import { h, field, select, empty, heading, showError, toast, plural, busy, short } from "./ui.js";
import { collectionList } from "./collection-list.js";

const PAGE = 24;
const FILTERS = ["q", "model", "template", "collection", "favorite", "review", "from", "to"];
const REVIEW = [
  { value: "", label: "Any status" },
  { value: "unreviewed", label: "Not reviewed" },
  { value: "in_review", label: "In review" },
  { value: "approved", label: "Approved" },
  { value: "changes_requested", label: "Changes requested" },
  { value: "rejected", label: "Rejected" },
];
const REVIEW_LABEL = Object.fromEntries(REVIEW.map((r) => [r.value, r.label]));

/// Saves `blob` as `name` through a temporary link (the studio's downloads never leave the page).
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function render(view, ctx) {
  document.title = "Gallery · Easel studio";
  const filters = Object.fromEntries(FILTERS.map((key) => [key, (ctx.query.get(key) || "").trim()]));
  const state = { items: [], cursor: null, hasMore: false, loading: false, selected: new Set(), anchor: null, generation: 0 };
  let controller = null;
  let searchTimer = null;

  // Controls
  const search = h("input", {
    type: "search", value: filters.q, placeholder: "Search prompts, briefs, alt text…", "data-testid": "gallery-search",
    "aria-label": "Search images", autocomplete: "off",
  });
  const model = select([{ value: "", label: "Any model" }], "", { "data-testid": "filter-model" });
  const template = select([{ value: "", label: "Any template" }], "", { "data-testid": "filter-template" });
  const collection = select([{ value: "", label: "Any collection" }], "", { "data-testid": "filter-collection" });
  const favorite = select([
    { value: "", label: "All images" }, { value: "true", label: "Favorites only" }, { value: "false", label: "Not favorites" },
  ], filters.favorite, { "data-testid": "filter-favorite" });
  const review = select(REVIEW, filters.review, { "data-testid": "filter-review" });
  const from = h("input", { type: "date", value: filters.from, "data-testid": "filter-from" });
  const to = h("input", { type: "date", value: filters.to, "data-testid": "filter-to" });
  const clear = h("button", { type: "button", class: "btn ghost small", "data-testid": "filter-clear", onclick: () => clearFilters() }, "Clear filters");
  // Options arrive later; the URL's value is kept until they do.
  for (const [control, key] of [[model, "model"], [template, "template"], [collection, "collection"]]) keepValue(control, filters[key]);

  const selectAll = h("input", { type: "checkbox", "data-testid": "select-all", id: "gallery-select-all" });
  const count = h("span", { class: "muted", "data-testid": "selection-count", "aria-live": "polite" }, "None selected");
  const bulkFavorite = h("button", { type: "button", class: "btn secondary small", "data-testid": "bulk-favorite" }, "★ Favorite");
  const bulkCollection = select([{ value: "", label: "Add to collection…" }], "", { "data-testid": "bulk-collection", "aria-label": "Collection to add the selection to" });
  const bulkCollectionAdd = h("button", { type: "button", class: "btn secondary small", "data-testid": "bulk-collection-add" }, "Add");
  const bulkCollectionRemove = h("button", { type: "button", class: "btn secondary small", "data-testid": "bulk-collection-remove", hidden: true }, "Remove from this collection");
  const bulkExport = h("button", { type: "button", class: "btn secondary small", "data-testid": "bulk-export" }, "Export zip");
  const bulkReview = h("button", { type: "button", class: "btn secondary small", "data-testid": "bulk-review" }, "Send to review");
  const bulkDelete = h("button", { type: "button", class: "btn secondary small gallery-danger", "data-testid": "bulk-delete" }, "Delete…");
  const confirmBox = h("div", { class: "gallery-confirm", hidden: true, role: "alertdialog", "aria-live": "assertive" });
  const bulkErrors = h("div");
  const bulkButtons = [bulkFavorite, bulkCollectionAdd, bulkCollectionRemove, bulkExport, bulkReview, bulkDelete];

  const grid = h("div", { class: "grid gallery-grid", "data-testid": "gallery-grid", "aria-label": "Images", role: "list" });
  const status = h("p", { class: "muted gallery-status", "aria-live": "polite", "data-testid": "gallery-status" });
  const more = h("button", { type: "button", class: "btn secondary", "data-testid": "gallery-more", onclick: () => loadMore() }, "Load more");
  const sentinel = h("div", { class: "gallery-sentinel", "data-testid": "gallery-sentinel" }, more);
  const errors = h("div");
  const emptyBox = h("div");

  const side = collectionList({
    current: filters.collection,
    onPick: (id) => { setCollectionFilter(id); },
    onChange: (list) => fillCollections(list),
  });

  const bar = h("div", { class: "card gallery-bulk", role: "region", "aria-label": "Selection" },
    h("label", { class: "check", for: "gallery-select-all" }, selectAll, "Select all loaded"), count,
    h("div", { class: "gallery-actions" }, bulkFavorite, h("span", { class: "gallery-pair" }, bulkCollection, bulkCollectionAdd),
      bulkCollectionRemove, bulkExport, bulkReview, bulkDelete),
  );

  // On a phone the filters fold away behind a button (open when the URL has some).
  const filterToggle = h("button", { type: "button", class: "btn secondary small gallery-filter-toggle", "aria-expanded": "false", "data-testid": "filter-toggle" }, "Filters");
  const filtersCard = h("div", { class: "card stack gallery-filters" },
    h("form", { class: "gallery-search", role: "search", onsubmit: (e) => { e.preventDefault(); applyFilters(); } },
      search, h("button", { class: "btn", type: "submit", "data-testid": "gallery-search-go" }, "Search"), filterToggle),
    h("div", { class: "row gallery-filter-fields", id: "gallery-filter-fields" },
      field("Model", model), field("Template", template), field("Collection", collection),
      field("Favorites", favorite), field("Review", review), field("From", from), field("To", to)),
    h("div", { class: "gallery-filter-foot" }, status, clear),
  );
  filterToggle.setAttribute("aria-controls", "gallery-filter-fields");
  function fold(open) {
    filtersCard.classList.toggle("folded", !open);
    filterToggle.setAttribute("aria-expanded", String(open));
  }
  fold(FILTERS.some((key) => key !== "q" && filters[key]));
  filterToggle.addEventListener("click", () => fold(filtersCard.classList.contains("folded")));

  view.append(
    heading("Gallery", h("a", { class: "btn secondary", href: "/create" }, "Create images")),
    h("div", { class: "cols-3 gallery-layout" },
      h("aside", { class: "gallery-side" }, side.el),
      h("section", { class: "stack gallery-main", "aria-label": "Images" },
        filtersCard,
        bar, confirmBox, bulkErrors, errors, emptyBox, grid, sentinel,
      ),
    ),
  );

  // Filter events
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applyFilters, 350);
  });
  for (const control of [model, template, collection, favorite, review, from, to]) control.addEventListener("change", () => applyFilters());

  function keepValue(control, value) {
    if (value && ![...control.options].some((o) => o.value === value)) control.append(h("option", { value }, value));
    control.value = value;
  }

  function fillOptions(control, options, placeholder) {
    const value = control.value;
    control.replaceChildren(h("option", { value: "" }, placeholder), ...options.map((o) => h("option", { value: o.value }, o.label)));
    keepValue(control, value);
  }

  function fillCollections(list) {
    fillOptions(collection, list.map((c) => ({ value: c.id, label: c.name })), "Any collection");
    const chosen = bulkCollection.value;
    bulkCollection.replaceChildren(h("option", { value: "" }, list.length ? "Add to collection…" : "No collections yet"),
      ...list.map((c) => h("option", { value: c.id }, `${c.name} (${c.count})`)));
    if (list.some((c) => c.id === chosen)) bulkCollection.value = chosen;
    else if (list.length === 1) bulkCollection.value = list[0].id;
    updateSelection();
  }

  function current() {
    return {
      q: search.value.trim(), model: model.value, template: template.value, collection: collection.value,
      favorite: favorite.value, review: review.value, from: from.value, to: to.value,
    };
  }

  function queryString(values) {
    const params = new URLSearchParams();
    for (const key of FILTERS) if (values[key]) params.set(key, values[key]);
    return params.toString();
  }

  function applyFilters() {
    clearTimeout(searchTimer);
    const values = current();
    if (values.from && values.to && values.to < values.from) {
      errors.replaceChildren(h("div", { class: "error", role: "alert", "data-testid": "error" },
        h("strong", {}, "The “To” date is before the “From” date."), h("p", {}, "Pick a “To” date on or after the “From” date.")));
      return;
    }
    const qs = queryString(values);
    if (location.pathname === "/gallery" && location.search.slice(1) !== qs) history.replaceState(null, "", "/gallery" + (qs ? "?" + qs : ""));
    side.setCurrent(values.collection);
    reset();
  }

  function setCollectionFilter(id) {
    keepValue(collection, id);
    applyFilters();
  }

  function clearFilters() {
    search.value = "";
    for (const control of [model, template, collection, favorite, review]) control.value = "";
    from.value = "";
    to.value = "";
    applyFilters();
  }

  // Loading
  function reset() {
    if (controller) controller.abort();
    state.generation++;
    state.items = [];
    state.cursor = null;
    state.hasMore = false;
    state.loading = false;
    state.selected.clear();
    state.anchor = null;
    grid.replaceChildren();
    emptyBox.replaceChildren();
    errors.replaceChildren();
    confirmBox.hidden = true;
    updateSelection();
    loadMore();
  }

  async function loadMore() {
    if (state.loading || (state.items.length && !state.hasMore)) return;
    state.loading = true;
    const generation = state.generation;
    controller = new AbortController();
    const values = current();
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const key of FILTERS) if (values[key]) params.set(key, values[key]);
    if (state.cursor) params.set("before", state.cursor);
    drawStatus(true);
    try {
      const page = await api("/api/assets?" + params, { signal: controller.signal });
      if (generation !== state.generation) return;
      state.items.push(...page.data);
      state.cursor = page.next_cursor;
      state.hasMore = Boolean(page.has_more && page.next_cursor);
      grid.append(...page.data.map(tile));
      errors.replaceChildren();
    } catch (error) {
      if (error.name === "AbortError" || generation !== state.generation) return;
      showError(errors, error);
      state.hasMore = false;
    } finally {
      if (generation === state.generation) {
        state.loading = false;
        drawStatus(false);
        updateSelection();
        // A short page on a tall window leaves the sentinel in view: keep filling.
        if (state.hasMore && inView(sentinel)) requestAnimationFrame(() => loadMore());
      }
    }
  }

  function inView(el) {
    const box = el.getBoundingClientRect();
    return box.top < window.innerHeight + 200 && box.bottom > 0;
  }

  function filtered() {
    const values = current();
    return FILTERS.some((key) => values[key]);
  }

  function drawStatus(loading) {
    const n = state.items.length;
    if (loading) status.textContent = n ? `${plural(n, "image")} shown · loading more…` : "Loading…";
    else status.textContent = n ? `${plural(n, "image")} shown${state.hasMore ? " · scroll for more" : ""}` : "";
    more.hidden = loading || !state.hasMore;
    clear.hidden = !filtered();
    if (!loading && n === 0 && !errors.childElementCount) {
      emptyBox.replaceChildren(filtered()
        ? empty("No image matches these filters.", h("button", { type: "button", class: "btn secondary", onclick: () => clearFilters() }, "Clear filters"))
        : empty("No images yet. Everything you generate lands here.", h("a", { class: "btn", href: "/create", "data-testid": "gallery-empty-create" }, "Create your first image")));
    } else {
      emptyBox.replaceChildren();
    }
  }

  // Tiles
  function tile(asset) {
    const check = h("input", {
      type: "checkbox", class: "tile-check", "data-testid": "tile-select", "aria-label": `Select image: ${short(asset.prompt, 60, "Untitled image")}`,
    });
    check.checked = state.selected.has(asset.id);
    check.addEventListener("click", (event) => toggle(asset.id, check.checked, event.shiftKey));
    const badges = h("span", { class: "tile-badges" });
    const el = h("div", { class: "gallery-tile", role: "listitem", "data-testid": "gallery-tile", "data-id": asset.id },
      h("a", { href: `/images/${asset.id}`, class: "tile-link", title: asset.prompt },
        h("img", { src: asset.thumbnail_url || `/files/${asset.id}/thumb`, alt: asset.alt_text || asset.prompt || "image", loading: "lazy", width: 256, height: 256, class: "thumb" })),
      h("label", { class: "tile-select" }, check),
      badges,
      h("p", { class: "tile-caption" }, short(asset.prompt, 80, "Untitled image")),
    );
    el._asset = asset;
    drawBadges(el);
    return el;
  }

  function drawBadges(el) {
    const asset = el._asset;
    const badges = el.querySelector(".tile-badges");
    badges.replaceChildren(...[
      asset.favorite ? h("span", { class: "chip fav", title: "Favorite", "data-testid": "tile-favorite" }, "★") : null,
      asset.review_status && asset.review_status !== "unreviewed"
        ? h("span", { class: "chip " + ({ approved: "good", rejected: "bad", changes_requested: "warn" }[asset.review_status] || "") }, REVIEW_LABEL[asset.review_status] || asset.review_status)
        : null,
    ].filter(Boolean));
  }


  function tiles() {
    return [...grid.querySelectorAll(".gallery-tile")];
  }

  // Selection
  function toggle(id, on, range) {
    const ids = tiles().map((t) => t.dataset.id);
    if (range && state.anchor && ids.includes(state.anchor)) {
      const [a, b] = [ids.indexOf(state.anchor), ids.indexOf(id)].sort((x, y) => x - y);
      for (const other of ids.slice(a, b + 1)) on ? state.selected.add(other) : state.selected.delete(other);
    } else {
      on ? state.selected.add(id) : state.selected.delete(id);
    }
    state.anchor = id;
    updateSelection();
  }

  selectAll.addEventListener("change", () => {
    if (selectAll.checked) for (const t of tiles()) state.selected.add(t.dataset.id);
    else state.selected.clear();
    updateSelection();
  });

  function updateSelection() {
    const loaded = tiles();
    for (const t of loaded) {
      const on = state.selected.has(t.dataset.id);
      t.classList.toggle("selected", on);
      t.querySelector(".tile-check").checked = on;
    }
    const n = state.selected.size;
    count.textContent = n ? `${n} selected` : "None selected";
    selectAll.checked = n > 0 && n === loaded.length;
    selectAll.indeterminate = n > 0 && n < loaded.length;
    selectAll.disabled = loaded.length === 0;
    for (const button of bulkButtons) button.disabled = n === 0;
    bulkCollectionAdd.disabled = n === 0 || !bulkCollection.value;
    const chosen = selectedAssets();
    bulkFavorite.textContent = n && chosen.every((a) => a.favorite) ? "☆ Unfavorite" : "★ Favorite";
    bulkCollectionRemove.hidden = !collection.value;
    if (!n) confirmBox.hidden = true;
  }
  bulkCollection.addEventListener("change", updateSelection);

  function selectedAssets() {
    return tiles().filter((t) => state.selected.has(t.dataset.id)).map((t) => t._asset);
  }

  function ids() {
    return [...state.selected];
  }

  /// Drops tiles the current filters no longer match (after a bulk change), or that are gone.
  function drop(removed) {
    for (const t of tiles()) if (removed.has(t.dataset.id)) { t.remove(); state.selected.delete(t.dataset.id); }
    state.items = state.items.filter((a) => !removed.has(a.id));
    drawStatus(false);
    updateSelection();
    if (state.hasMore && inView(sentinel)) loadMore();
  }

  function okIds(result) {
    return new Set(result.results.filter((r) => r.result === "ok" || r.result === "unchanged").map((r) => r.id));
  }

  bulkFavorite.addEventListener("click", () => busy(bulkFavorite, async () => {
    const chosen = selectedAssets();
    const on = !chosen.every((a) => a.favorite);
    const result = await api("/api/assets/bulk", { method: "POST", json: { ids: ids(), action: on ? "favorite" : "unfavorite" } });
    const done = okIds(result);
    for (const t of tiles()) if (done.has(t.dataset.id)) { t._asset.favorite = on; drawBadges(t); }
    toast(on ? `${plural(done.size, "image")} marked as favorite` : `${plural(done.size, "image")} no longer favorite`);
    if (favorite.value && (favorite.value === "true") !== on) drop(done);
    updateSelection();
  }, bulkErrors));

  bulkCollectionAdd.addEventListener("click", () => busy(bulkCollectionAdd, async () => {
    const target = bulkCollection.value;
    const name = side.all().find((c) => c.id === target)?.name || "the collection";
    const result = await api("/api/assets/bulk", { method: "POST", json: { ids: ids(), action: "add_to_collection", collection_id: target } });
    const added = result.results.filter((r) => r.result === "ok").length;
    toast(added ? `${plural(added, "image")} added to “${name}”` : `Already in “${name}”`);
    await side.refresh();
  }, bulkErrors));

  bulkCollectionRemove.addEventListener("click", () => busy(bulkCollectionRemove, async () => {
    const result = await api("/api/assets/bulk", { method: "POST", json: { ids: ids(), action: "remove_from_collection", collection_id: collection.value } });
    const removed = new Set(result.results.filter((r) => r.result === "ok").map((r) => r.id));
    toast(`${plural(removed.size, "image")} removed from the collection`);
    drop(removed);
    await side.refresh();
  }, bulkErrors));

  bulkExport.addEventListener("click", () => busy(bulkExport, async () => {
    const response = await api("/api/exports", { method: "POST", json: { ids: ids() }, raw: true });
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="?([^";]+)"?/) || [])[1] || "easel-export.zip";
    saveBlob(blob, name);
    toast(`Exported ${plural(state.selected.size, "image")} as ${name}`);
  }, bulkErrors));

  bulkReview.addEventListener("click", () => busy(bulkReview, async () => {
    const chosen = selectedAssets();
    let sent = 0;
    const failures = [];
    // A few at a time: each image gets its own review event.
    const queue = [...chosen];
    async function worker() {
      for (let asset = queue.shift(); asset; asset = queue.shift()) {
        try {
          await api(`/api/assets/${encodeURIComponent(asset.id)}/review`, { method: "POST", json: { status: "in_review" } });
          asset.review_status = "in_review";
          sent++;
        } catch (error) {
          failures.push(error);
        }
      }
    }
    await Promise.all([worker(), worker(), worker()]);
    for (const t of tiles()) drawBadges(t);
    if (failures.length) throw failures[0];
    toast(`${plural(sent, "image")} sent to review`);
    if (review.value && review.value !== "in_review") drop(new Set(chosen.map((a) => a.id)));
  }, bulkErrors));

  bulkDelete.addEventListener("click", () => {
    const n = state.selected.size;
    const yes = h("button", { type: "button", class: "btn danger small", "data-testid": "confirm-delete" }, `Delete ${plural(n, "image")}`);
    const no = h("button", { type: "button", class: "btn secondary small", "data-testid": "cancel-delete", onclick: () => { confirmBox.hidden = true; bulkDelete.focus(); } }, "Keep them");
    yes.addEventListener("click", () => busy(yes, async () => {
      const result = await api("/api/assets/bulk", { method: "POST", json: { ids: ids(), action: "delete" } });
      const gone = new Set(result.results.filter((r) => r.result === "ok").map((r) => r.id));
      confirmBox.hidden = true;
      toast(`${plural(gone.size, "image")} deleted`);
      drop(gone);
      await side.refresh();
    }, bulkErrors));
    confirmBox.replaceChildren(h("div", { class: "warning gallery-confirm-text" },
      h("strong", {}, `Delete ${plural(n, "image")}?`), " They leave the gallery, their collections and share links. This cannot be undone."),
    h("div", { class: "gallery-actions" }, yes, no));
    confirmBox.hidden = false;
    yes.focus();
  });

  // Infinite scroll: the sentinel under the grid asks for the next page as it nears the viewport.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && state.hasMore) loadMore();
  }, { rootMargin: "200px 0px" });
  observer.observe(sentinel);

  // Options for the filters (the grid does not wait for them).
  ctx.models().then((list) => fillOptions(model, list.map((m) => ({ value: m.id, label: m.id })), "Any model")).catch(() => {});
  api("/api/templates").then((body) => fillOptions(template, body.data.map((t) => ({ value: t.id, label: t.name })), "Any template")).catch(() => {});
  side.refresh();
  reset();

  return () => {
    observer.disconnect();
    clearTimeout(searchTimer);
    if (controller) controller.abort();
  };
}
