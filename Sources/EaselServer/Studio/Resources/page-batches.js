// Batches: a template × CSV rows × variant axes, previewed (the API's dry run: items and cost) before it runs;
// one batch followed live (counts, ETA, each item as it finishes), retried, cancelled and downloaded as a zip;
// the recent batches listed.
import { api, events } from "./api.js";
import { h, field, select, money, when, plural, short, showError, toast, empty, heading, busy } from "./ui.js";

const SIZES = ["256x256", "512x512", "1024x1024", "1024x1536", "1536x1024"];

export async function render(view, ctx) {
  if (ctx.params.id) return renderBatch(view, ctx, ctx.params.id);
  return renderNew(view, ctx);
}

// MARK: New batch and the list

async function renderNew(view, ctx) {
  document.title = "Batches · Easel studio";
  let templates = [];
  const axes = [];
  let previewed = null; // the spec the shown preview belongs to

  const errors = h("div");
  const templatePick = select([], "", { "data-testid": "batch-template" });
  const templateInfo = h("div", { class: "muted", "data-testid": "batch-template-info", "aria-live": "polite" });
  const csv = h("textarea", { "data-testid": "batch-csv", rows: 8, spellcheck: "false", placeholder: "product\na teal bottle\na ceramic mug" });
  const file = h("input", { type: "file", accept: ".csv,text/csv,text/plain", "data-testid": "batch-csv-file" });
  const model = select([{ value: "", label: "Template default" }], "", { "data-testid": "batch-model" });
  const size = select([{ value: "", label: "From the brief's format" }, ...SIZES], "", { "data-testid": "batch-size" });
  const axisName = h("input", { type: "text", "data-testid": "batch-axis-name", list: "batch-axis-names", placeholder: "setting", autocomplete: "off" });
  const axisNames = h("datalist", { id: "batch-axis-names" });
  const axisValues = h("input", { type: "text", "data-testid": "batch-axis-values", placeholder: "on a desk, on a shelf", autocomplete: "off" });
  const axisAdd = h("button", { type: "button", class: "btn secondary", "data-testid": "batch-axis-add" }, "Add axis");
  const axisList = h("div", { class: "batch-axes", "data-testid": "batch-axes", "aria-live": "polite" });
  const axisErrors = h("div");
  const preview = h("button", { type: "button", class: "btn secondary", "data-testid": "batch-preview" }, "Preview items and cost");
  const run = h("button", { type: "button", class: "btn", "data-testid": "batch-run" }, "Run batch");
  const previewBox = h("div", { class: "stack", "aria-live": "polite" },
    empty("Preview the batch to see each item's prompt and what the whole batch costs before anything runs."));
  const quick = quickTemplate(async (made) => {
    await loadTemplates(made.id);
  });
  const listBox = h("div", {}, h("p", { class: "muted" }, "Loading…"));

  view.append(
    heading("Batches", h("a", { class: "btn secondary", href: "/templates" }, "Templates")),
    h("div", { class: "cols batch-new" },
      h("div", { class: "stack" },
        h("div", { class: "card stack batch-form" },
          h("h2", {}, "New batch"),
          field("Template", templatePick), templateInfo, quick.el,
          field("Rows (CSV, first line names the variables)", csv, "One item per row; a {red|blue} choice inside a value is expanded too."),
          field("…or upload a CSV file", file),
          h("div", { class: "row" }, field("Model", model), field("Size", size)),
          h("h3", {}, "Variant axes"),
          h("p", { class: "muted" }, "Cross every row with each value of a variable, or with several models or sizes (axis “model” or “size”)."),
          h("div", { class: "batch-axis-row" }, field("Axis", axisName), field("Values (comma-separated)", axisValues), axisAdd),
          axisNames, axisList, axisErrors,
          h("div", { class: "batch-buttons" }, preview, run),
          errors,
        ),
      ),
      h("div", { class: "stack" },
        h("section", { class: "card stack", "aria-label": "Preview" }, h("h2", {}, "Preview"), previewBox),
        h("section", { class: "card", "aria-label": "Recent batches" }, h("h2", {}, "Recent batches"), listBox),
      ),
    ),
  );

  // Templates, models and the list
  async function loadTemplates(choose) {
    try {
      templates = (await api("/api/templates")).data;
    } catch (error) {
      showError(errors, error);
      templates = [];
    }
    const wanted = choose || templatePick.value || ctx.query.get("template") || "";
    templatePick.replaceChildren(...templates.map((t) => h("option", { value: t.id }, t.built_in ? `${t.name} (built-in)` : t.name)));
    if (templates.some((t) => t.id === wanted)) templatePick.value = wanted;
    else if (templates.length) {
      const own = templates.find((t) => !t.built_in);
      templatePick.value = (own || templates[0]).id;
    }
    templatePick.disabled = !templates.length;
    quick.setOpen(!templates.length);
    chosen(true);
  }

  function template() {
    return templates.find((t) => t.id === templatePick.value) || null;
  }

  function chosen(fillHeader) {
    const t = template();
    invalidate();
    if (!t) {
      templateInfo.replaceChildren(h("div", { class: "notice", "data-testid": "batch-no-template" },
        h("strong", {}, "No template yet. "), "A batch fills a template's {variables} from each row. Make a quick one below, or ",
        h("a", { href: "/templates" }, "build one on the Templates page"), "."));
      run.disabled = preview.disabled = true;
      return;
    }
    run.disabled = preview.disabled = false;
    const names = t.variables.map((v) => v.name);
    const required = t.variables.filter((v) => v.required).map((v) => v.name);
    templateInfo.replaceChildren(h("span", {},
      names.length ? "Variables: " : "This template has no variables.",
      t.variables.map((v, i) => [i ? ", " : "", h("code", { class: "mono" }, v.name), v.required ? "" : " (optional)"]),
      " · ", h("a", { href: `/templates/${encodeURIComponent(t.id)}` }, "open template"),
    ));
    axisNames.replaceChildren(...[...names, "model", "size"].map((n) => h("option", { value: n })));
    // A CSV that is empty (or only a header) gets the template's header.
    const lines = csv.value.trim().split(/\r?\n/);
    if (fillHeader && (!csv.value.trim() || (lines.length === 1 && !lines[0].includes(" ")))) {
      csv.value = (required.length ? required : names.slice(0, 1)).join(",") + "\n";
    }
    csv.placeholder = (required.length ? required : names).join(",") + "\n…";
  }

  templatePick.addEventListener("change", () => chosen(true));
  for (const control of [csv, model, size]) control.addEventListener("input", invalidate);
  for (const control of [model, size]) control.addEventListener("change", invalidate);

  file.addEventListener("change", async () => {
    const picked = file.files && file.files[0];
    if (!picked) return;
    if (picked.size > 2 * 1024 * 1024) {
      errors.replaceChildren(localError("That file is larger than 2 MB.", "Split the rows into smaller batches."));
      return;
    }
    csv.value = (await picked.text()).replace(/^\uFEFF/, "");
    invalidate();
    toast(`Read ${picked.name}`);
  });

  ctx.models().then((list) => {
    model.replaceChildren(h("option", { value: "" }, "Template default"), ...list.map((m) => h("option", { value: m.id }, m.id)));
  }).catch(() => {});

  // Axes
  function drawAxes() {
    axisList.replaceChildren(...axes.map((axis, i) => h("span", { class: "chip", "data-testid": "batch-axis" },
      h("span", {}, `${axis.name}: ${axis.values.join(" · ")}`),
      h("button", { type: "button", "aria-label": `Remove axis ${axis.name}`, onclick: () => { axes.splice(i, 1); drawAxes(); invalidate(); } }, "×"))));
  }

  axisAdd.addEventListener("click", () => {
    axisErrors.replaceChildren();
    const name = axisName.value.trim();
    const values = axisValues.value.split(",").map((v) => v.trim()).filter(Boolean);
    const t = template();
    const known = t ? t.variables.map((v) => v.name) : [];
    if (!name || !values.length) {
      axisErrors.replaceChildren(localError("An axis needs a name and at least one value.", "For example: setting — on a desk, on a shelf."));
      return;
    }
    if (!["model", "size", ...known].includes(name)) {
      axisErrors.replaceChildren(localError(`“${name}” is not a variable of this template.`, `Use one of: ${[...known, "model", "size"].join(", ")}.`));
      return;
    }
    if (axes.some((a) => a.name === name)) {
      axisErrors.replaceChildren(localError(`There is already an axis “${name}”.`, "Remove it first, or add the values to it."));
      return;
    }
    axes.push({ name, values });
    axisName.value = "";
    axisValues.value = "";
    drawAxes();
    invalidate();
    axisName.focus();
  });

  function spec() {
    const t = template();
    const body = { template: t.id };
    const rows = csv.value.replace(/^\uFEFF/, "");
    const header = (rows.trim().split(/\r?\n/)[0] || "").split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
    if (rows.trim()) body.csv = rows.endsWith("\n") ? rows : rows + "\n";
    if (model.value) body.model = model.value;
    if (size.value) body.size = size.value;
    const variables = {};
    for (const axis of axes) {
      if (axis.name === "model") body.models = axis.values;
      else if (axis.name === "size") body.sizes = axis.values;
      else {
        if (body.csv && header.includes(axis.name)) {
          throw localFailure(`“${axis.name}” is both a CSV column and an axis.`, "Remove the column from the rows, or remove the axis.");
        }
        variables[axis.name] = "{" + axis.values.map(escapeVariant).join("|") + "}";
      }
    }
    if (Object.keys(variables).length) body.variables = variables;
    if (body.sizes && body.size) delete body.size;
    return body;
  }

  function invalidate() {
    if (previewed) {
      previewed = null;
      previewBox.querySelector("[data-testid=batch-expansion]")?.classList.add("stale");
      previewBox.prepend(h("p", { class: "warning", "data-testid": "batch-stale" }, "The batch changed since this preview. Preview it again to see the new items and cost."));
    }
  }

  for (const control of [axisName, axisValues]) control.addEventListener("input", () => axisErrors.replaceChildren());
  axisValues.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); axisAdd.click(); } });

  preview.addEventListener("click", () => busy(preview, async () => {
    axisErrors.replaceChildren();
    const body = guarded(spec);
    if (!body) return;
    const planned = await api("/api/batches", { method: "POST", json: { ...body, dry_run: true } });
    previewed = JSON.stringify(body);
    drawPreview(planned);
  }, errors));

  run.addEventListener("click", () => busy(run, async () => {
    axisErrors.replaceChildren();
    const body = guarded(spec);
    if (!body) return;
    const batch = await api("/api/batches", { method: "POST", json: body });
    window.dispatchEvent(new Event("easel:changed"));
    toast(`Batch started: ${plural(batch.total, "item")}`);
    ctx.navigate(`/batches/${batch.id}`);
  }, errors));

  function guarded(make) {
    try {
      return make();
    } catch (error) {
      if (error.local) { errors.replaceChildren(error.local); return null; }
      throw error;
    }
  }

  function drawPreview(planned) {
    const shown = planned.items.slice(0, 200);
    const names = [...new Set(planned.items.flatMap((item) => Object.keys(item.variables)))];
    const table = h("table", { "data-testid": "batch-expansion", class: "batch-expansion" },
      h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Row"), ...names.map((n) => h("th", {}, n)), h("th", {}, "Prompt"),
        h("th", {}, "Model"), h("th", {}, "Size"), h("th", {}, "Cost"))),
      h("tbody", {}, ...shown.map((item) => h("tr", { "data-testid": "batch-expansion-item" },
        h("td", {}, String(item.index + 1)), h("td", {}, String(item.row + 1)),
        ...names.map((n) => h("td", {}, item.variables[n] ?? "")),
        h("td", { class: "prompt" }, h("span", { title: item.prompt }, item.prompt)),
        h("td", {}, item.model), h("td", { class: "mono" }, item.size), h("td", {}, money(item.estimate.usd))))));
    previewBox.replaceChildren(...[
      h("p", { class: "batch-cost", "data-testid": "batch-cost" },
        h("strong", {}, money(planned.estimate.usd)), ` estimated for ${plural(planned.count, "item")} (${plural(planned.images, "image")})`),
      planned.economy && planned.economy.note ? h("p", { class: "muted" }, planned.economy.note) : null,
      h("div", { class: "table-wrap" }, table),
      planned.items.length > shown.length ? h("p", { class: "muted" }, `Showing the first ${shown.length} of ${planned.items.length} items.`) : null,
    ].filter(Boolean));
  }

  async function loadList() {
    try {
      const page = await api("/api/batches?limit=20");
      listBox.replaceChildren(batchList(page.data, new Map(templates.map((t) => [t.id, t.name]))));
    } catch (error) {
      showError(listBox, error);
    }
  }

  await loadTemplates();
  loadList();
}

function batchList(batches, names) {
  if (!batches.length) return h("div", { "data-testid": "batch-list" }, empty("No batches yet. Your batches and their progress appear here."));
  return h("div", { class: "table-wrap" }, h("table", { "data-testid": "batch-list" },
    h("thead", {}, h("tr", {}, h("th", {}, "Batch"), h("th", {}, "Template"), h("th", {}, "Status"), h("th", {}, "Done"), h("th", {}, "Cost"), h("th", {}, "Started"))),
    h("tbody", {}, ...batches.map((b) => {
      const done = b.counts.succeeded;
      const failed = b.counts.failed + (b.counts.cancelled || 0);
      return h("tr", { "data-testid": "batch-row", "data-id": b.id, class: "batch-list-row" },
        h("td", {}, h("a", { href: `/batches/${b.id}`, class: "mono" }, b.id.slice(-8))),
        h("td", {}, b.template ? names.get(b.template.split("@")[0]) || b.template : "—"),
        h("td", {}, statusChip(b)),
        h("td", {}, `${done}/${b.total}`, failed ? h("span", { class: "muted" }, ` · ${failed} not done`) : null),
        h("td", {}, money(b.cost_usd)),
        h("td", {}, when(b.created_at)));
    }))));
}

function statusChip(b) {
  if (b.status !== "finished") return h("span", { class: "chip warn" }, "running");
  if (b.counts.failed) return h("span", { class: "chip bad" }, `${b.counts.failed} failed`);
  if (b.counts.cancelled && !b.counts.succeeded) return h("span", { class: "chip" }, "cancelled");
  return h("span", { class: "chip good" }, "finished");
}

/// A `{name, subject}` template made inline (`POST /api/templates`), for a first batch without one.
function quickTemplate(made) {
  const name = h("input", { type: "text", "data-testid": "quick-template-name", placeholder: "City posters", maxlength: 100 });
  const subject = h("input", { type: "text", "data-testid": "quick-template-subject", placeholder: "a travel poster of {city}" });
  const create = h("button", { type: "submit", class: "btn secondary", "data-testid": "quick-template-create" }, "Create template");
  const errors = h("div");
  const form = h("form", { class: "stack" },
    h("p", { class: "muted" }, "Words in {braces} become variables: the CSV's columns."),
    h("div", { class: "row" }, field("Name", name), field("Subject", subject)), h("div", {}, create), errors);
  const el = h("details", { class: "notice", "data-testid": "quick-template" }, h("summary", {}, "Quick template"), form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(create, async () => {
      if (!name.value.trim() || !subject.value.trim()) {
        errors.replaceChildren(localError("A template needs a name and a subject.", "For example: a travel poster of {city}."));
        return;
      }
      if (!/\{[A-Za-z_][\w-]*\}/.test(subject.value)) {
        errors.replaceChildren(localError("The subject has no {variable}.", "Put a word in braces, like {city}, for the rows to fill."));
        return;
      }
      const template = await api("/api/templates", { method: "POST", json: { name: name.value.trim(), brief: { subject: subject.value.trim() } } });
      toast(`Template “${template.name}” created`);
      name.value = subject.value = "";
      el.open = false;
      await made(template);
    }, errors);
  });
  return { el, setOpen: (open) => { el.open = open; } };
}

// MARK: One batch, live

async function renderBatch(view, ctx, id) {
  document.title = "Batch · Easel studio";
  const controller = new AbortController();
  let batch = null;
  let lastCounts = "";
  let streaming = false;
  const started = Date.now();

  const errors = h("div");
  const bar = h("span", { style: { width: "0%" } });
  const progress = h("strong", { "data-testid": "batch-progress", "aria-live": "polite" }, "Loading…");
  const eta = h("span", { class: "muted", "data-testid": "batch-eta" }, "");
  const cost = h("span", { class: "muted", "data-testid": "batch-spent" });
  const download = h("a", { class: "btn", href: `/api/batches/${encodeURIComponent(id)}/export.zip`, download: `${id}.zip`, "data-testid": "batch-download", hidden: true }, "Download zip");
  const retry = h("button", { type: "button", class: "btn secondary", "data-testid": "batch-retry", hidden: true }, "Retry failed");
  const cancel = h("button", { type: "button", class: "btn danger", "data-testid": "batch-cancel", hidden: true }, "Cancel");
  const items = h("div", { class: "grid batch-items", "data-testid": "batch-items" });
  const meta = h("p", { class: "muted batch-meta" });

  view.append(
    heading("Batch", download, retry, cancel, h("a", { class: "btn ghost", href: "/batches" }, "All batches")),
    h("section", { class: "card stack", "aria-label": "Progress" },
      meta,
      h("div", { class: "batch-progress-line" }, progress, eta, cost),
      h("div", { class: "bar", role: "progressbar", "aria-label": "Batch progress" }, bar),
      errors,
    ),
    h("section", { class: "card", "aria-label": "Items" }, h("h2", {}, "Items"), items),
  );

  function counts(b) {
    const c = b.counts;
    return { done: c.succeeded, failed: c.failed, cancelled: c.cancelled || 0, running: c.running, waiting: c.queued + (c.retry_wait || 0) };
  }

  let templateName = null;
  let shown = null;
  function drawProgress(b) {
    shown = b;
    const c = counts(b);
    const ended = c.done + c.failed + c.cancelled;
    const parts = [`${c.done} of ${b.total} done`];
    if (c.running) parts.push(`${c.running} running`);
    if (c.waiting) parts.push(`${c.waiting} queued`);
    if (c.failed) parts.push(`${c.failed} failed`);
    if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
    progress.textContent = parts.join(" · ");
    bar.style.width = `${b.total ? Math.round((ended / b.total) * 100) : 0}%`;
    bar.parentElement.setAttribute("aria-valuenow", String(ended));
    bar.parentElement.setAttribute("aria-valuemax", String(b.total));
    const finished = b.status === "finished";
    if (finished) eta.textContent = c.failed ? "Finished with failures" : c.cancelled && !c.done ? "Cancelled" : "Finished";
    else if (b.eta_seconds != null) eta.textContent = `About ${duration(b.eta_seconds)} left`;
    else if (ended > 0) {
      const perItem = (Date.now() - started) / 1000 / ended;
      eta.textContent = `About ${duration(Math.ceil(perItem * (b.total - ended)))} left`;
    } else eta.textContent = "Estimating time left…";
    cost.textContent = `Spent ${money(b.cost_usd)}`;
    meta.replaceChildren(h("span", {},
      h("span", { class: "mono" }, b.id), " · ", b.template ? ["template ", h("a", { href: `/templates/${encodeURIComponent(b.template.split("@")[0])}` }, templateName ? `${templateName} (v${b.template.split("@")[1]})` : b.template), " · "] : null,
      plural(b.total, "item"), " · started ", when(b.created_at), b.service_tier === "economy" ? " · economy tier" : null));
    download.hidden = c.done === 0;
    retry.hidden = !(finished && c.failed > 0);
    cancel.hidden = finished;
  }

  function drawItems(b) {
    if (!b.items) return;
    const byIndex = new Map([...items.children].map((el) => [Number(el.dataset.index), el]));
    for (const item of b.items) {
      const key = `${item.status}:${item.asset_ids.join(",")}`;
      let el = byIndex.get(item.index);
      if (el && el.dataset.key === key) continue;
      const fresh = batchItem(item);
      fresh.dataset.key = key;
      if (el) el.replaceWith(fresh);
      else items.append(fresh);
    }
  }

  function batchItem(item) {
    const label = Object.entries(item.variables).map(([k, v]) => `${k}: ${v}`).join(" · ") || item.prompt;
    let body;
    if (item.status === "succeeded" && item.asset_ids.length) {
      body = h("a", { href: `/images/${item.asset_ids[0]}`, title: item.prompt },
        h("img", { src: `/files/${item.asset_ids[0]}/thumb`, alt: item.prompt, class: "thumb", width: 256, height: 256, "data-testid": "batch-item-thumb" }));
    } else if (item.status === "failed") {
      body = h("div", { class: "slot bad", title: item.error?.message || "" }, "Failed", item.error?.message ? h("br") : null, item.error?.message ? short(item.error.message, 90) : null);
    } else {
      body = h("div", { class: "slot" + (item.status === "running" ? " running" : "") }, { running: "Running…", queued: "Queued", retry_wait: "Waiting to retry", cancelled: "Cancelled" }[item.status] || item.status);
    }
    return h("div", { class: "batch-item", "data-testid": "batch-item", "data-index": item.index, "data-status": item.status },
      body, h("p", { title: label }, `${item.index + 1}. ${label}`));
  }

  async function refresh() {
    batch = await api(`/api/batches/${encodeURIComponent(id)}`, { signal: controller.signal });
    drawProgress(batch);
    drawItems(batch);
    return batch;
  }

  async function follow() {
    if (streaming) return;
    streaming = true;
    try {
      for await (const frame of events(`/api/batches/${encodeURIComponent(id)}/events`, controller.signal)) {
        const b = frame.data;
        drawProgress(b);
        const seen = JSON.stringify(b.counts);
        if (frame.event === "finished") {
          batch = b;
          drawItems(b);
          window.dispatchEvent(new Event("easel:changed"));
          break;
        }
        // Counts moved: fetch the items (the stream carries counts only) to show each one as it finishes.
        if (seen !== lastCounts) {
          lastCounts = seen;
          await refresh();
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") showError(errors, error);
    } finally {
      streaming = false;
    }
  }

  retry.addEventListener("click", () => busy(retry, async () => {
    const b = await api(`/api/batches/${encodeURIComponent(id)}/retry`, { method: "POST" });
    toast("Running the failed items again");
    lastCounts = "";
    batch = b;
    drawProgress(b);
    drawItems(b);
    follow();
  }, errors));

  cancel.addEventListener("click", () => busy(cancel, async () => {
    const b = await api(`/api/batches/${encodeURIComponent(id)}`, { method: "DELETE" });
    toast("Batch cancelled; unfinished items are refunded");
    drawProgress(b);
    drawItems(b);
    window.dispatchEvent(new Event("easel:changed"));
  }, errors));

  try {
    await refresh();
    if (batch.status !== "finished") follow();
    if (batch.template) {
      // The list (not the template itself), so a deleted template is no failing request.
      api("/api/templates", { signal: controller.signal }).then((body) => {
        const found = body.data.find((t) => t.id === batch.template.split("@")[0]);
        if (found) { templateName = found.name; drawProgress(shown); }
      }).catch(() => {});
    }
  } catch (error) {
    if (error.status === 404) {
      view.replaceChildren(heading("Batch"), empty("There is no such batch: it belongs to someone else or the link is wrong.", h("a", { class: "btn", href: "/batches" }, "All batches")));
    } else showError(errors, error);
  }
  return () => controller.abort();
}

// MARK: Helpers

function duration(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}


function escapeVariant(value) {
  return value.replace(/[\\{}|]/g, (c) => "\\" + c);
}

function localError(message, todo) {
  return h("div", { class: "error", role: "alert", "data-testid": "error" }, h("strong", {}, message), todo ? h("p", {}, todo) : null);
}

function localFailure(message, todo) {
  const error = new Error(message);
  error.local = localError(message, todo);
  return error;
}
