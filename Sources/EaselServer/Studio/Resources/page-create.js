// Create: build a brief (or fill a template), see the compiled prompt, its warnings and cost as you type,
// pick the model and output, then generate and watch it: queue position, running, partial previews, the
// images. `?template=<id>` starts from a template (the Templates page's "Try").
import { api } from "./api.js";
import { briefForm } from "./brief-form.js";
import { progressView, startJob } from "./job-progress.js";
import { field, h, heading, money, plural, refill, select, showError } from "./ui.js";

const SIZES = ["1024x1024", "512x512", "768x768", "1536x1024", "1024x1536", "1360x768", "768x1360", "1024x1280", "2048x2048"];

/// Whether `size` is one the model makes and the plan allows.
export function sizeAllowed(size, caps, plan) {
  const [w, h2] = size.split("x").map(Number);
  const pixels = w * h2;
  if (plan?.sizes && !plan.sizes.includes(size)) return false;
  if (plan?.max_pixels && pixels > plan.max_pixels) return false;
  const rule = caps?.sizes;
  if (!rule) return true;
  if (rule.kind === "fixed") return rule.values.includes(size);
  if (w % rule.multiple_of || h2 % rule.multiple_of) return false;
  if (Math.min(w, h2) < rule.min_edge || Math.max(w, h2) > rule.max_edge) return false;
  if (rule.max_aspect_ratio && Math.max(w, h2) > Math.min(w, h2) * rule.max_aspect_ratio) return false;
  if (rule.min_pixels && pixels < rule.min_pixels) return false;
  if (rule.max_pixels && pixels > rule.max_pixels) return false;
  return true;
}

/// The models this user's plan lets them pick, as select options (draft models labelled as such).
export function modelOptions(models, plan) {
  return models
    .filter((m) => !plan?.models || plan.models.includes(m.id))
    .map((m) => ({ value: m.id, label: m.draft ? `${m.id} (offline draft, not AI)` : m.id }));
}

/// An API error in plain words; a prompt past the model's limit is put in this page's terms.
function explain(box, error) {
  if (error && error.param === "prompt" && error.code === "string_above_max_length") {
    return problem(box, error.message, "Shorten the free text or the brief until the prompt fits, then try again.");
  }
  showError(box, error);
}

/// A problem the page finds itself, drawn like `showError`.
function problem(box, message, todo) {
  box.replaceChildren(h("div", { class: "error", role: "alert", "data-testid": "error" }, h("strong", {}, message), todo ? h("p", {}, todo) : null));
}

export function planLeft(me) {
  const left = me.today.images_remaining;
  const images = left === null || left === undefined ? `No daily image limit on the ${me.plan.name} plan` : `${plural(left, "image")} left today on the ${me.plan.name} plan`;
  return `${images} · balance ${money(me.balance_usd)}`;
}

export async function render(view, ctx) {
  const page = new AbortController();
  let me = ctx.me;
  let presets, templates, kits, models;
  try {
    [presets, templates, kits, models] = await Promise.all([
      api("/api/briefs/presets", { signal: page.signal }),
      api("/api/templates", { signal: page.signal }).then((b) => b.data),
      api("/api/brand-kits", { signal: page.signal }).then((b) => b.data),
      ctx.models(),
    ]);
  } catch (error) {
    const box = h("div");
    view.append(heading("Create"), box);
    showError(box, error);
    return () => page.abort();
  }

  // Output settings, rebuilt for each model's capabilities and the plan's limits.
  const plan = me.plan;
  const choices = modelOptions(models, plan);
  const wanted = ctx.query.get("model");
  const firstAI = choices.find((c) => !models.find((m) => m.id === c.value)?.draft);
  const model = select(choices, (choices.find((c) => c.value === wanted) || firstAI || choices[0] || {}).value, { "data-testid": "model" });
  const n = select([], "1", { "data-testid": "n" });
  const size = select([], "auto", { "data-testid": "size" });
  const quality = select([], "auto", { "data-testid": "quality" });
  const format = select([], "png", { "data-testid": "format" });
  const background = select([], "auto", { "data-testid": "background" });
  const partials = select([], "0", { "data-testid": "partials" });
  const modelNote = h("small", { class: "muted", "data-testid": "model-note" });

  function caps() {
    return models.find((m) => m.id === model.value)?.capabilities || {};
  }

  function fitSettings() {
    const c = caps();
    const isDraft = !!models.find((m) => m.id === model.value)?.draft;
    modelNote.replaceChildren(...(isDraft ? [h("span", { class: "draft" }, "Draft"), " Offline draft renderer, not AI: free, instant, for layout and flow."] : []));
    const maxN = Math.max(1, Math.min(c.max_n || 1, plan.max_n || 10, 10));
    refill(n, Array.from({ length: maxN }, (_, i) => String(i + 1)), "1");
    refill(size, [{ value: "auto", label: "From the format" }, ...SIZES.filter((s) => sizeAllowed(s, c, plan)).map((s) => ({ value: s, label: s.replace("x", " × ") }))], "auto");
    const qualities = (c.qualities || ["auto"]).filter((q) => !plan.qualities || plan.qualities.includes(q));
    refill(quality, qualities.map((q) => ({ value: q, label: q === "auto" ? "auto (the model decides)" : q })), qualities.includes("auto") ? "auto" : qualities[0]);
    refill(format, c.output_formats || ["png"], "png");
    refill(background, [{ value: "auto", label: "auto" }, { value: "opaque", label: "opaque" }, ...(c.transparent_background ? [{ value: "transparent", label: "transparent" }] : [])], "auto");
    refill(partials, c.streaming ? ["0", "1", "2", "3"].map((v) => ({ value: v, label: v === "0" ? "none" : v })) : [{ value: "0", label: "none" }], "0");
  }

  function settings() {
    const fields = { model: model.value, n: Number(n.value), quality: quality.value, output_format: format.value };
    if (size.value !== "auto") fields.size = size.value;
    if (background.value !== "auto") fields.background = background.value;
    return fields;
  }

  // The brief and its live compilation.
  const compiled = h("p", { class: "cr-compiled muted", "data-testid": "compiled-prompt", "aria-live": "polite" });
  const compiledMeta = h("p", { class: "muted cr-meta", "data-testid": "compiled-meta" });
  const warnings = h("div", { class: "stack brief-warnings", "data-testid": "brief-warnings" });
  const cost = h("p", { class: "create-cost", "data-testid": "cost-estimate" });
  const left = h("p", { class: "muted", "data-testid": "plan-left" }, planLeft(me));
  const compileErrors = h("div", { "data-testid": "compile-error" });
  const errors = h("div", { "data-testid": "create-error" });
  const compareLink = h("a", { class: "btn secondary small", href: "/compare", "data-testid": "to-compare" }, "Compare models");
  let compileSeq = 0;
  let compileTimer = null;
  let lastCompiled = null;

  function drawPlan() {
    left.textContent = planLeft(me);
    const remaining = me.today.images_remaining;
    if (remaining !== null && remaining !== undefined && Number(n.value) > remaining) {
      left.append(h("span", { class: "chip warn" }, remaining === 0 ? " None left today" : ` Asks for ${n.value}: lower n`));
    }
  }

  async function compile() {
    const seq = ++compileSeq;
    const v = form.value();
    if (!v.ready) {
      compiled.textContent = v.missing;
      compiled.classList.add("muted");
      compiledMeta.textContent = "";
      warnings.replaceChildren();
      compileErrors.replaceChildren();
      cost.replaceChildren(h("span", { class: "muted" }, "The estimate shows once the brief compiles."));
      lastCompiled = null;
      return;
    }
    try {
      const result = await api("/api/briefs/compile", { method: "POST", json: { ...v.body, ...settings() }, signal: page.signal });
      if (seq !== compileSeq) return;
      lastCompiled = result;
      compileErrors.replaceChildren();
      compiled.textContent = result.prompt;
      compiled.classList.remove("muted");
      compiledMeta.textContent = `${result.model} · ${result.size.replace("x", " × ")} · ${result.quality} · ${plural(result.n, "image")}` +
        (size.value === "auto" ? " (size from the format)" : "");
      warnings.replaceChildren(...result.warnings.map((w) => h("p", { class: "warning", "data-code": w.code }, w.message)));
      const isDraft = !!models.find((m) => m.id === result.model)?.draft;
      cost.replaceChildren(h("span", {},
        h("strong", {}, money(result.estimate.usd)),
        ` estimated for ${plural(result.n, "image")}`,
        isDraft ? h("span", { class: "muted" }, " (the draft renderer is free)") : null,
      ));
      compareLink.href = "/compare?prompt=" + encodeURIComponent(result.prompt);
    } catch (error) {
      if (seq !== compileSeq || page.signal.aborted) return;
      lastCompiled = null;
      compiled.textContent = "The brief does not compile yet; see below.";
      compiled.classList.add("muted");
      compiledMeta.textContent = "";
      warnings.replaceChildren();
      cost.replaceChildren(h("span", { class: "muted" }, "No estimate until the brief compiles."));
      explain(compileErrors, error);
    }
  }

  function scheduleCompile() {
    clearTimeout(compileTimer);
    compileTimer = setTimeout(compile, 250);
    drawPlan();
  }

  const form = briefForm({
    presets,
    templates,
    kits,
    onChange: scheduleCompile,
    onTemplate: (template) => {
      const d = template.defaults || {};
      if (d.model && choices.some((c) => c.value === d.model)) { model.value = d.model; fitSettings(); }
      for (const [control, value] of [[quality, d.quality], [format, d.output_format], [n, d.n && String(d.n)]]) {
        if (value && [...control.options].some((o) => o.value === value)) control.value = value;
      }
    },
    onKit: (kit) => {
      if (kit.default_model && choices.some((c) => c.value === kit.default_model)) { model.value = kit.default_model; fitSettings(); }
    },
  });

  model.addEventListener("change", () => { fitSettings(); scheduleCompile(); });
  for (const control of [n, size, quality, format, background]) control.addEventListener("change", scheduleCompile);

  // Generating.
  const progress = progressView();
  const generate = h("button", { class: "btn", type: "button", "data-testid": "generate" }, "Generate");
  const cancel = h("button", { class: "btn secondary", type: "button", "data-testid": "cancel", disabled: true }, "Cancel");
  let running = null;

  generate.addEventListener("click", async () => {
    errors.replaceChildren();
    const v = form.value();
    if (!v.ready) return problem(errors, "The brief is not finished.", v.missing);
    if (!model.value) return problem(errors, "No model is available on your plan.", "Ask an admin to add one to your plan.");
    const asked = Number(partials.value);
    const body = { ...v.body, ...settings() };
    if (asked > 0) body.partial_images = asked;
    running = new AbortController();
    const stop = () => running?.abort();
    page.signal.addEventListener("abort", stop);
    progress.reset({ partials: asked });
    progress.el.hidden = false;
    generate.disabled = true;
    generate.setAttribute("aria-busy", "true");
    let submitted = false;
    try {
      await startJob(body, {
        signal: running.signal,
        onEvent: (frame) => {
          if (frame.event === "submitted") { submitted = true; cancel.disabled = false; }
          progress.handle(frame);
        },
      });
    } catch (error) {
      if (!running.signal.aborted) {
        explain(errors, error);
        if (!submitted) progress.el.hidden = true;
      }
    } finally {
      page.signal.removeEventListener("abort", stop);
      running = null;
      generate.disabled = false;
      generate.removeAttribute("aria-busy");
      cancel.disabled = true;
      if (submitted && !page.signal.aborted) {
        window.dispatchEvent(new Event("easel:changed"));
        const fresh = await ctx.refreshMe();
        if (fresh) { me = fresh; drawPlan(); }
      }
    }
  });

  cancel.addEventListener("click", async () => {
    const id = progress.jobId();
    if (!id) return;
    cancel.disabled = true;
    try {
      await api(`/api/jobs/${encodeURIComponent(id)}`, { method: "DELETE" });
    } catch (error) {
      showError(errors, error);
      cancel.disabled = !running; // still running: the user may try again
    }
  });

  fitSettings();

  view.append(
    heading("Create", compareLink),
    h("div", { class: "cols create" },
      h("div", { class: "stack" },
        h("section", { class: "card", "aria-labelledby": "brief-title" }, h("h2", { id: "brief-title" }, "Brief"), form.el),
        h("section", { class: "card", "aria-labelledby": "output-title" },
          h("h2", { id: "output-title" }, "Model and output"),
          h("div", { class: "stack" },
            field("Model", model),
            modelNote,
            h("div", { class: "row" }, field("Images (n)", n), field("Size", size), field("Quality", quality)),
            h("div", { class: "row" }, field("File format", format), field("Background", background), field("Partial previews", partials)),
          ),
        ),
      ),
      h("div", { class: "stack create-side" },
        h("section", { class: "card", "aria-labelledby": "prompt-title" },
          h("h2", { id: "prompt-title" }, "Compiled prompt"),
          compiled,
          compiledMeta,
          warnings,
          compileErrors,
          h("div", { class: "create-go" },
            h("div", {}, cost, left),
            h("div", { class: "row create-buttons" }, generate, cancel),
          ),
          errors,
        ),
        h("section", { class: "card", "aria-labelledby": "result-title" },
          h("h2", { id: "result-title" }, "Result"),
          progress.el,
          h("p", { class: "muted create-idle", "data-testid": "result-empty" }, "Your images appear here, with previews while they are drawn."),
        ),
      ),
    ),
  );

  // Ctrl+Enter (⌘+Enter) anywhere in the brief generates.
  form.el.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !generate.disabled) {
      event.preventDefault();
      generate.click();
    }
  });

  const fromTemplate = ctx.query.get("template");
  if (fromTemplate && templates.some((t) => t.id === fromTemplate)) form.pickTemplate(fromTemplate);
  else {
    if (fromTemplate) errors.append(h("p", { class: "notice", "data-testid": "template-missing" }, `There is no template “${fromTemplate}” you can use; start from a brief or pick another template.`));
    form.focus();
    scheduleCompile();
  }
  return () => {
    clearTimeout(compileTimer);
    page.abort();
  };
}
