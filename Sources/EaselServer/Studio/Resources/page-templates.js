// Templates & brand kits. `/templates`: the template library (built-in, shared, yours) and the brand kits.
// `/templates/new` and `/templates/:id`: the editor — every save is a new immutable version (sent with
// `If-Match: <version>`, so a change someone else made meanwhile is never overwritten silently), the version
// history with a field-by-field diff between any two, rollback (published again as the newest), and "Try",
// which opens Create with the template.
import { api, ApiError } from "./api.js";
import { busy, empty, field, h, heading, plural, select, showError, toast, when } from "./ui.js";
import { brandKits } from "./tpl-brand-kits.js";
import { constraintsEditor, listText, parseList, placeholders, presetList } from "./tpl-fields.js";

const BODY_KEYS = ["name", "description", "job_type", "brief", "variables", "defaults", "review", "example_asset"];

async function presetsOnce(signal) {
  try {
    return await api("/api/briefs/presets", { signal });
  } catch (_) {
    return { styles: [], palettes: [], formats: [] };
  }
}

function tryLink(template, label = "Try") {
  return h("a", { class: "btn secondary small", href: "/create?template=" + encodeURIComponent(template.id), "data-testid": "template-try",
    "aria-label": `Try ${template.name} in Create` }, label);
}

function kindChips(template) {
  return [
    template.built_in ? h("span", { class: "chip" }, "built in") : template.shared ? h("span", { class: "chip" }, "shared") : null,
    h("span", { class: "chip", "data-testid": "template-version-chip" }, "v" + template.version),
  ].filter(Boolean);
}

export async function render(view, ctx) {
  const controller = new AbortController();
  if (ctx.params.id) await renderEditor(view, ctx, ctx.params.id, controller.signal);
  else await renderList(view, ctx, controller.signal);
  return () => controller.abort();
}

// The library

async function renderList(view, ctx, signal) {
  const errors = h("div");
  const list = h("ul", { class: "tp-list", "data-testid": "template-list", "aria-label": "Templates" });
  const presets = await presetsOnce(signal);
  view.append(
    heading("Templates & brand kits", h("a", { class: "btn", href: "/templates/new", "data-testid": "template-new" }, "New template")),
    errors,
    h("div", { class: "tp-layout" },
      h("section", { class: "card stack", "aria-labelledby": "tpl-title" },
        h("h2", { id: "tpl-title" }, "Templates"),
        h("p", { class: "muted" }, "A brief with {variables} and defaults. Every save is a new version; jobs record which one they used."),
        list,
      ),
      brandKits(ctx, presets, signal),
    ),
  );
  let templates = [];
  try {
    templates = (await api("/api/templates", { signal })).data;
  } catch (error) {
    if (!signal.aborted) showError(errors, error);
    return;
  }
  const mine = templates.filter((t) => !t.built_in);
  const builtIn = templates.filter((t) => t.built_in);
  const row = (t) => h("li", { class: "tp-row", "data-testid": "template-row", "data-id": t.id },
    h("div", { class: "tp-row-main" },
      h("div", { class: "tp-row-title" }, h("a", { href: `/templates/${t.id}`, "data-testid": "template-open" }, t.name), ...kindChips(t)),
      h("p", { class: "muted tp-subject" }, t.brief.subject),
      t.variables.length ? h("p", { class: "tp-vars" }, ...t.variables.map((v) => h("code", {}, `{${v.name}}`))) : null,
    ),
    h("div", { class: "tp-row-actions" }, tryLink(t), h("a", { class: "btn ghost small", href: `/templates/${t.id}` }, t.built_in ? "View" : "Edit")),
  );
  list.replaceChildren(
    h("li", { class: "tp-group" }, h("h3", {}, "Yours", h("span", { class: "muted" }, ` (${mine.length})`))),
    ...(mine.length ? mine.map(row) : [h("li", {}, empty("You have no templates yet. Start one, or copy a built-in one.",
      h("a", { class: "btn secondary", href: "/templates/new" }, "New template")))]),
    h("li", { class: "tp-group" }, h("h3", {}, "Built in")),
    ...builtIn.map(row),
  );
}

// The editor

function putTemplate(id, json, version) {
  // If-Match: the version this edit started from, so a newer save by someone else is a conflict, not lost.
  const headers = version != null ? { "If-Match": String(version) } : {};
  return api(`/api/templates/${encodeURIComponent(id)}`, { method: "PUT", json, headers });
}

function bodyOf(template) {
  const out = {};
  for (const key of BODY_KEYS) if (template[key] !== undefined && template[key] !== null) out[key] = structuredClone(template[key]);
  return out;
}

async function renderEditor(view, ctx, id, signal) {
  const creating = id === "new";
  const errors = h("div");
  let template = null;
  const presets = await presetsOnce(signal);
  const models = await ctx.models().catch(() => []);
  const kits = await api("/api/brand-kits", { signal }).then((r) => r.data).catch(() => []);
  try {
    if (creating) {
      const from = ctx.query.get("from");
      if (from) {
        const source = await api(`/api/templates/${encodeURIComponent(from)}`, { signal });
        template = { ...bodyOf(source), name: `Copy of ${source.name}` };
        delete template.example_asset;
      } else {
        template = { name: "", description: "", job_type: "custom", brief: { subject: "" }, variables: [], defaults: {} };
      }
    } else {
      template = await api(`/api/templates/${encodeURIComponent(id)}`, { signal });
    }
  } catch (error) {
    if (signal.aborted) return;
    view.append(heading("Template"), errors);
    showError(errors, error);
    errors.append(h("a", { href: "/templates" }, "Back to templates"));
    return;
  }

  const readOnly = !creating && (template.built_in || (template.shared && !(ctx.me && ctx.me.role === "admin")));
  const title = h("h1", { "data-testid": "template-title" }, creating ? "New template" : template.name);
  const chips = h("span", { class: "tp-chips" });
  const actions = h("div", { class: "actions" });
  const editorBox = h("div");
  const historyBox = h("section", { class: "card stack tp-history", "aria-labelledby": "history-title" });
  view.append(
    h("p", { class: "tp-back" }, h("a", { href: "/templates" }, "← Templates & brand kits")),
    h("div", { class: "heading" }, h("div", { class: "tp-titleline" }, title, chips), actions),
    errors,
    h("div", { class: "tp-editor-layout" + (creating ? " single" : "") }, editorBox, creating ? null : historyBox),
  );

  function drawHead() {
    title.textContent = creating ? "New template" : template.name;
    chips.replaceChildren(...(creating ? [] : kindChips(template)));
    const copy = creating ? null : h("a", { class: "btn secondary small", href: `/templates/new?from=${encodeURIComponent(template.id)}`, "data-testid": "template-copy" }, "Make a copy");
    let del = null;
    if (!creating && !readOnly) {
      del = h("button", { class: "btn ghost small", type: "button", "data-testid": "template-delete" }, "Delete");
      let armed = false;
      del.addEventListener("click", () => {
        if (!armed) {
          armed = true;
          del.textContent = "Really delete?";
          del.classList.replace("ghost", "danger");
          return;
        }
        busy(del, async () => {
          await api(`/api/templates/${template.id}`, { method: "DELETE" });
          toast(`Deleted template “${template.name}”`);
          ctx.navigate("/templates");
        }, errors);
      });
    }
    actions.replaceChildren(...[creating ? null : tryLink(template), copy, del].filter(Boolean));
  }

  function drawEditor() {
    const base = bodyOf(template);
    const brief = base.brief || { subject: "" };
    const defaults = base.defaults || {};
    const known = new Map((base.variables || []).map((v) => [v.name, v]));

    const name = h("input", { "data-testid": "template-name-input", maxlength: 200, required: true, value: base.name || "" });
    const description = h("input", { "data-testid": "template-description", value: base.description || "" });
    const jobType = h("input", { "data-testid": "template-job-type", value: base.job_type || "custom", placeholder: "custom" });
    const subject = h("textarea", { "data-testid": "template-body", rows: 3, placeholder: "{product} on an oak desk by a window" });
    subject.value = brief.subject || "";
    const text = (key, attrs = {}) => h("input", { "data-testid": "brief-" + key.replaceAll("_", "-"), value: brief[key] || "", ...attrs });
    const useCase = text("use_case", { placeholder: "product hero" });
    const scene = text("scene");
    const format = text("format", { list: "tp-formats", placeholder: "16:9 or horizontal-banner" });
    const headline = text("headline");
    const extra = text("text", { placeholder: "soft morning light" });
    const style = h("input", { "data-testid": "brief-style", list: "tp-styles", value: listText(brief.style) });
    const palette = h("input", { "data-testid": "brief-palette", list: "tp-palettes", value: listText(brief.palette) });
    const colors = h("input", { "data-testid": "brief-brand-colors", value: listText(brief.brand_colors), placeholder: "#0A7E8C", spellcheck: false });
    const avoid = h("input", { "data-testid": "brief-avoid", value: listText(brief.avoid), placeholder: "clutter, harsh shadows" });
    const constraints = constraintsEditor(brief.constraints || {}, "brief");

    const modelOptions = [{ value: "", label: "Chosen when generating" }, ...models.map((m) => ({ value: m.id, label: m.id }))];
    if (defaults.model && !modelOptions.some((o) => o.value === defaults.model)) modelOptions.push({ value: defaults.model, label: defaults.model });
    const model = select(modelOptions, defaults.model || "", { "data-testid": "template-model" });
    const quality = select(["", "auto", "low", "medium", "high"].map((q) => ({ value: q, label: q || "Model's default" })), defaults.quality || "", { "data-testid": "template-quality" });
    const outputFormat = select(["", "png", "jpeg", "webp"].map((q) => ({ value: q, label: q || "Model's default" })), defaults.output_format || "", { "data-testid": "template-format" });
    const n = h("input", { type: "number", min: 1, max: 10, "data-testid": "template-n", value: defaults.n ? String(defaults.n) : "", placeholder: "1" });
    const kitOptions = [{ value: "", label: "None" }, ...kits.map((k) => ({ value: k.id, label: k.name }))];
    if (defaults.brand_kit && !kitOptions.some((o) => o.value === defaults.brand_kit)) kitOptions.push({ value: defaults.brand_kit, label: defaults.brand_kit });
    const kit = select(kitOptions, defaults.brand_kit || "", { "data-testid": "template-brand-kit" });
    const note = h("input", { "data-testid": "template-note", placeholder: "What changed (kept in the history)", maxlength: 500 });

    // Variables follow the {placeholders} in the brief; each may have a default and a hint.
    const varValues = new Map();
    const varsBox = h("div", { class: "tp-varlist", "data-testid": "template-variables" });
    function briefNow() {
      const out = { ...brief };
      const set = (key, value) => { if (value && (!Array.isArray(value) || value.length)) out[key] = value; else delete out[key]; };
      set("subject", subject.value.trim());
      set("use_case", useCase.value.trim());
      set("scene", scene.value.trim());
      set("format", format.value.trim());
      set("headline", headline.value.trim());
      set("text", extra.value.trim());
      set("style", parseList(style.value));
      set("palette", parseList(palette.value));
      set("brand_colors", parseList(colors.value));
      set("avoid", parseList(avoid.value));
      const c = constraints.value();
      if (Object.keys(c).length) out.constraints = c; else delete out.constraints;
      return out;
    }
    function drawVariables() {
      const names = placeholders(briefNow());
      if (!names.length) {
        varsBox.replaceChildren(h("p", { class: "muted" }, "No variables. Write {name} in the brief to add one (for example {product})."));
        return;
      }
      varsBox.replaceChildren(...names.map((nameOf) => {
        if (!varValues.has(nameOf)) {
          const v = known.get(nameOf) || {};
          varValues.set(nameOf, {
            def: h("input", { value: v.default || "", "aria-label": `Default for ${nameOf}`, placeholder: "required", "data-testid": "variable-default" }),
            help: h("input", { value: v.help || "", "aria-label": `Hint for ${nameOf}`, placeholder: "hint for whoever fills it", "data-testid": "variable-help" }),
          });
        }
        const inputs = varValues.get(nameOf);
        return h("div", { class: "tp-var", "data-testid": "template-variable", "data-name": nameOf }, h("code", {}, `{${nameOf}}`), inputs.def, inputs.help);
      }));
    }
    for (const input of [subject, useCase, scene, format, headline, extra, style, palette, avoid]) input.addEventListener("input", drawVariables);
    drawVariables();

    function json() {
      const out = bodyOf(template);
      out.name = name.value.trim();
      out.description = description.value.trim();
      out.job_type = jobType.value.trim() || "custom";
      out.brief = briefNow();
      out.variables = placeholders(out.brief).map((nameOf) => {
        const inputs = varValues.get(nameOf);
        const def = inputs ? inputs.def.value.trim() : "";
        const help = inputs ? inputs.help.value.trim() : "";
        return { name: nameOf, required: !def, default: def || null, help: help || null };
      });
      out.defaults = {
        ...(base.defaults || {}), model: model.value || null, quality: quality.value || null, output_format: outputFormat.value || null,
        n: n.value ? Number(n.value) : null, brand_kit: kit.value || null,
      };
      if (note.value.trim()) out.note = note.value.trim();
      return out;
    }

    const formErrors = h("div", { "data-testid": "template-errors" });
    const save = h("button", { class: "btn", type: "submit", "data-testid": "template-save" }, creating ? "Create template" : "Save as a new version");
    const form = h("form", { class: "card stack tp-form", "data-testid": "template-form", "aria-label": "Template" },
      readOnly ? h("p", { class: "notice", "data-testid": "template-readonly" },
        template.built_in ? "Built-in templates cannot be changed. Make a copy to change it." : "This template is shared by an admin; make a copy to change it.") : null,
      formErrors,
      h("div", { class: "row" }, field("Name", name), field("Job type", jobType)),
      field("Description", description),
      field("Brief subject (the template text)", subject, "Use {name} for what changes per image: {product}, {headline}…"),
      h("div", { class: "row" }, field("Use case", useCase), field("Scene", scene)),
      h("div", { class: "row" }, field("Style (presets or words)", style), field("Palette (presets or words)", palette)),
      h("div", { class: "row" }, field("Format", format), field("Headline", headline)),
      h("div", { class: "row" }, field("Brand colours", colors), field("Avoid", avoid)),
      field("More words", extra),
      constraints.element,
      h("fieldset", { class: "tp-fieldset" }, h("legend", {}, "Variables"), varsBox),
      h("fieldset", { class: "tp-fieldset" }, h("legend", {}, "Defaults"),
        h("div", { class: "row" }, field("Model", model), field("Quality", quality), field("Format", outputFormat)),
        h("div", { class: "row" }, field("Images (n)", n), field("Brand kit", kit)),
      ),
      creating ? null : field("Version note", note),
      readOnly ? null : h("div", { class: "tp-buttons" }, save,
        creating ? null : h("span", { class: "muted" }, `Saving makes version ${template.version + 1}; version ${template.version} stays as it is.`)),
      presetList("tp-styles", presets.styles), presetList("tp-palettes", presets.palettes), presetList("tp-formats", presets.formats),
    );
    if (readOnly) for (const control of form.querySelectorAll("input, textarea, select")) control.disabled = true;

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, async () => {
        if (creating) {
          const created = await api("/api/templates", { method: "POST", json: json() });
          toast(`Created “${created.name}”`);
          ctx.navigate(`/templates/${created.id}`, { replace: true });
          return;
        }
        await saveVersion(json(), template.version, formErrors);
      }, formErrors);
    });
    editorBox.replaceChildren(form);
    if (creating) name.focus();
  }

  async function saveVersion(body, expected, formErrors) {
    try {
      template = await putTemplate(template.id, body, expected);
    } catch (error) {
      if (error instanceof ApiError && error.code === "version_conflict") {
        conflict(body, formErrors);
        return;
      }
      throw error;
    }
    toast(`Saved as version ${template.version}`);
    drawHead();
    drawEditor();
    await drawHistory(template.version - 1, template.version);
  }

  /// Someone saved a newer version meanwhile: say so plainly, keep the user's edits, and offer both ways on.
  async function conflict(body, formErrors) {
    let newest = null;
    try { newest = await api(`/api/templates/${template.id}`, { signal }); } catch (_) { /* the words below still hold */ }
    const reload = h("button", { class: "btn secondary small", type: "button", "data-testid": "conflict-reload" }, "Load the newest version (drop my changes)");
    const overwrite = h("button", { class: "btn small", type: "button", "data-testid": "conflict-overwrite" }, "Save mine as the newest version anyway");
    reload.addEventListener("click", () => {
      template = newest || template;
      drawHead();
      drawEditor();
      drawHistory();
    });
    overwrite.addEventListener("click", () => busy(overwrite, async () => {
      await saveVersion(body, newest ? newest.version : null, formErrors);
    }, formErrors));
    formErrors.replaceChildren(h("div", { class: "error", role: "alert", "data-testid": "version-conflict" },
      h("strong", {}, newest
        ? `Someone saved version ${newest.version} of this template while you were editing version ${template.version}.`
        : "Someone changed this template while you were editing it."),
      h("p", {}, "Your changes are still in the form and nothing was overwritten. Load the newest version and redo your change, or save yours on top (their version stays in the history)."),
      h("div", { class: "tp-buttons" }, reload, overwrite),
    ));
    formErrors.scrollIntoView({ block: "nearest" });
  }

  // Versions, diff and rollback

  async function drawHistory(from, to) {
    let versions;
    try {
      versions = (await api(`/api/templates/${template.id}/versions`, { signal })).data.slice().sort((a, b) => b.version - a.version);
    } catch (error) {
      if (!signal.aborted) showError(historyBox, error);
      return;
    }
    const latest = versions.length ? versions[0].version : template.version;
    const numbers = versions.map((v) => ({ value: String(v.version), label: "Version " + v.version }));
    to = to || latest;
    from = from || Math.max(1, to - 1);
    const fromPick = select(numbers, String(from), { "data-testid": "diff-from", "aria-label": "Compare from version" });
    const toPick = select(numbers, String(to), { "data-testid": "diff-to", "aria-label": "Compare to version" });
    const diffBox = h("div", { class: "tp-diff", "data-testid": "template-diff", "aria-live": "polite" });
    const historyErrors = h("div");

    async function showDiff() {
      const a = Number(fromPick.value), b = Number(toPick.value);
      if (a === b) {
        diffBox.replaceChildren(h("p", { class: "muted" }, "Pick two different versions to see what changed."));
      } else {
        try {
          const diff = await api(`/api/templates/${template.id}/diff?from=${a}&to=${b}`, { signal });
          if (Number(fromPick.value) !== a || Number(toPick.value) !== b) return; // a newer pick is drawing
          drawDiff(diffBox, diff);
        } catch (error) {
          if (signal.aborted) return;
          showError(diffBox, error);
        }
      }
      // What the box shows now (tests wait on it).
      diffBox.dataset.from = a;
      diffBox.dataset.to = b;
    }
    fromPick.addEventListener("change", showDiff);
    toPick.addEventListener("change", showDiff);

    const list = h("ol", { class: "tp-versions", "data-testid": "template-versions", "aria-label": "Versions" },
      ...versions.map((v) => {
        const current = v.version === latest;
        const rollback = current || readOnly ? null : h("button", { class: "btn secondary small", type: "button", "data-testid": "template-rollback", "aria-label": `Roll back to version ${v.version}` }, "Roll back to this");
        if (rollback) {
          rollback.addEventListener("click", () => busy(rollback, async () => {
            template = await api(`/api/templates/${template.id}/rollback`, { method: "POST", json: { version: v.version } });
            toast(`Version ${v.version} published again as version ${template.version}`);
            drawHead();
            drawEditor();
            await drawHistory(template.version - 1, template.version);
          }, historyErrors));
        }
        const compare = versions.length > 1 ? h("button", { class: "btn ghost small", type: "button", "data-testid": "template-compare", "aria-label": `Compare version ${v.version}` }, "Compare") : null;
        if (compare) {
          compare.addEventListener("click", () => {
            fromPick.value = String(current ? Math.max(1, v.version - 1) : v.version);
            toPick.value = String(latest);
            showDiff();
          });
        }
        return h("li", { class: "tp-version" + (current ? " current" : ""), "data-testid": "template-version", "data-version": v.version },
          h("div", {},
            h("strong", {}, "Version " + v.version), current ? h("span", { class: "chip good" }, "current") : null,
            h("p", { class: "muted" }, [when(v.created_at), v.note].filter(Boolean).join(" · ") || "—"),
          ),
          h("div", { class: "tp-row-actions" }, compare, rollback),
        );
      }),
    );
    historyBox.replaceChildren(...[
      h("h2", { id: "history-title" }, "History"),
      h("p", { class: "muted" }, plural(versions.length, "version") + ". Rolling back publishes an old version again as the newest; nothing is lost."),
      historyErrors,
      list,
      versions.length > 1 ? h("div", { class: "stack" },
        h("h3", {}, "What changed"),
        h("div", { class: "tp-diffpick" }, field("From", fromPick), field("To", toPick)),
        diffBox) : null,
    ].filter(Boolean));
    if (versions.length > 1) await showDiff();
  }

  drawHead();
  drawEditor();
  if (!creating) await drawHistory();
}

function shown(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(", ");
  return JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
}

function pathWords(path) {
  return path.replace(/^brief\./, "brief › ").replace(/^defaults\./, "defaults › ").replace(/^variables/, "variables").replaceAll("_", " ");
}

/// The changes of `/diff` as rows: the field, what was removed (red) and what was added (green).
function drawDiff(box, diff) {
  if (!diff.changes.length) {
    box.replaceChildren(h("p", { class: "muted", "data-testid": "diff-same" }, `Versions ${diff.from} and ${diff.to} are the same.`));
    return;
  }
  box.replaceChildren(
    h("p", { class: "muted" }, `From version ${diff.from} to version ${diff.to}: ${plural(diff.changes.length, "change")}.`),
    h("ul", { class: "tp-changes" }, ...diff.changes.map((c) => {
      const before = shown(c.from), after = shown(c.to);
      return h("li", { class: "tp-change", "data-testid": "diff-change", "data-path": c.path },
        h("div", { class: "tp-path mono" }, pathWords(c.path)),
        before ? h("div", { class: "tp-del", "data-testid": "diff-removed" }, h("span", { class: "tp-sign", "aria-label": "removed" }, "−"), before)
          : h("div", { class: "tp-none muted" }, "(was not set)"),
        after ? h("div", { class: "tp-add", "data-testid": "diff-added" }, h("span", { class: "tp-sign", "aria-label": "added" }, "+"), after)
          : h("div", { class: "tp-none muted" }, "(removed)"),
      );
    })),
  );
}
