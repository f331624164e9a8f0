// Compare: one prompt on 2–4 models (one job group, `POST /api/compare`), seeds or templates, side by side
// or as a slider (one image over the other). Each cell shows its image, its cost (charged, or estimated
// until the job is settled) and time, and
// "Pick this one", which marks that image a favorite (so it is found in the gallery) and un-marks a
// previous pick. The URL keeps the comparison (`?group=…` or `?jobs=…`), so it can be reloaded and shared
// with a teammate who has access.
import { api } from "./api.js";
import { TERMINAL, followJob, progressView, seconds } from "./job-progress.js";
import { modelOptions, sizeAllowed } from "./page-create.js";
import { busy, empty, field, h, heading, money, refill, select, showError, toast } from "./ui.js";

const SIZES = ["1024x1024", "1536x1024", "1024x1536", "512x512", "768x768", "1360x768"];
const AXES = [
  { value: "models", label: "Models" },
  { value: "seeds", label: "Seeds (one model)" },
  { value: "templates", label: "Templates" },
];

function problem(box, message, todo) {
  box.replaceChildren(h("div", { class: "error", role: "alert", "data-testid": "error" }, h("strong", {}, message), todo ? h("p", {}, todo) : null));
}

/// The variable a template's subject goes into: its first required one, else its first.
function subjectVariable(template) {
  const variables = template.variables || [];
  return (variables.find((v) => v.required) || variables[0] || {}).name || null;
}

/// Runs `work` on every item with at most `limit` at once.
async function pool(items, limit, work) {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(lanes);
}

export async function render(view, ctx) {
  const page = new AbortController();
  const me = ctx.me;
  const plan = me.plan;
  let models, templates;
  try {
    [models, templates] = await Promise.all([ctx.models(), api("/api/templates", { signal: page.signal }).then((b) => b.data)]);
  } catch (error) {
    const box = h("div");
    view.append(heading("Compare"), box);
    showError(box, error);
    return () => page.abort();
  }
  const allowed = modelOptions(models, plan);
  const capsOf = (id) => models.find((m) => m.id === id)?.capabilities || {};
  const isDraft = (id) => !!models.find((m) => m.id === id)?.draft;

  // What to compare.
  const prompt = h("textarea", { "data-testid": "compare-prompt", rows: 3, placeholder: "a ceramic mug on an oak desk, soft morning light" });
  prompt.value = ctx.query.get("prompt") || "";
  const askedAxis = ctx.query.get("axis");
  const axis = select(AXES, AXES.some((a) => a.value === askedAxis) ? askedAxis : allowed.length < 2 ? "seeds" : "models", { "data-testid": "compare-axis" });
  const options = h("div", { class: "cmp-options", role: "group", "aria-label": "What to compare" });
  const optionHint = h("small", { class: "muted", "data-testid": "compare-hint" });
  const seedModel = select(allowed, allowed[0]?.value, { "data-testid": "compare-model" });
  const seedCount = select(["2", "3", "4"], "2", { "data-testid": "compare-count" });
  const size = select([], "auto", { "data-testid": "compare-size" });
  const quality = select([], "auto", { "data-testid": "compare-quality" });
  const run = h("button", { class: "btn", type: "button", "data-testid": "compare-run" }, "Compare");
  const errors = h("div", { "data-testid": "compare-error" });

  function checkbox(value, label, checked) {
    const box = h("input", { type: "checkbox", value, checked, "data-testid": "compare-option" });
    box.addEventListener("change", () => { limitChecks(); fit(); });
    return h("label", { class: "check cmp-option" }, box, label);
  }

  function checked() {
    return [...options.querySelectorAll('input[type="checkbox"]:checked')].map((box) => box.value);
  }

  function limitChecks() {
    const full = checked().length >= 4;
    for (const box of options.querySelectorAll('input[type="checkbox"]')) box.disabled = full && !box.checked;
  }

  /// The models a run would use (for the size and quality lists).
  function chosenModels() {
    if (axis.value === "models") return checked();
    if (axis.value === "seeds") return [seedModel.value];
    return [];
  }

  function fit() {
    const chosen = chosenModels();
    const caps = chosen.map(capsOf);
    const sizes = SIZES.filter((s) => caps.every((c) => sizeAllowed(s, c, plan)) && sizeAllowed(s, null, plan));
    refill(size, [{ value: "auto", label: axis.value === "templates" ? "From each template" : "Default" }, ...sizes.map((s) => ({ value: s, label: s.replace("x", " × ") }))], "auto");
    let qualities = ["low", "medium", "high", "auto"].filter((q) => caps.every((c) => !c.qualities || c.qualities.includes(q)));
    if (plan.qualities) qualities = qualities.filter((q) => plan.qualities.includes(q));
    refill(quality, qualities.map((q) => ({ value: q, label: q })), qualities.includes("auto") ? "auto" : qualities[0]);
    const count = axis.value === "seeds" ? Number(seedCount.value) : checked().length;
    optionHint.textContent =
      axis.value === "seeds" ? `${count} images from ${seedModel.value}, each with its own seed.`
        : axis.value === "templates" ? `${count} of 2–4 picked. The prompt fills each template's subject.`
          : `${count} of 2–4 picked.` + (allowed.length < 2 ? " Your plan has one model: compare seeds instead." : "");
  }

  function drawOptions() {
    options.replaceChildren();
    if (axis.value === "models") {
      const wanted = (ctx.query.get("models") || "").split(",").filter(Boolean);
      allowed.forEach((m, i) => options.append(checkbox(m.value, m.label, wanted.length ? wanted.includes(m.value) : i < 2)));
    } else if (axis.value === "seeds") {
      options.append(h("div", { class: "row" }, field("Model", seedModel), field("How many", seedCount)));
    } else {
      templates.forEach((t, i) => options.append(checkbox(t.id, t.name, i < 2)));
      if (!templates.length) options.append(h("p", { class: "muted" }, "No templates yet."));
    }
    limitChecks();
    fit();
  }
  axis.addEventListener("change", drawOptions);
  seedModel.addEventListener("change", fit);
  seedCount.addEventListener("change", fit);

  // The cells.
  const grid = h("div", { class: "cmp-grid", "data-testid": "compare-grid" });
  const modeSide = h("button", { class: "btn secondary small", type: "button", "aria-pressed": "true", "data-testid": "compare-mode-side" }, "Side by side");
  const modeSlider = h("button", { class: "btn secondary small", type: "button", "aria-pressed": "false", "data-testid": "compare-mode-slider", disabled: true }, "Slider");
  const sliderBox = h("div", { class: "cmp-slider-view", hidden: true, "data-testid": "compare-slider-view" });
  const picked = h("p", { class: "muted", "data-testid": "compare-picked", "aria-live": "polite" });
  const results = h("section", { class: "card", "aria-labelledby": "cmp-results-title" },
    h("div", { class: "heading small" }, h("h2", { id: "cmp-results-title" }, "Side by side"), h("div", { class: "actions", role: "group", "aria-label": "View" }, modeSide, modeSlider)),
    picked,
    grid,
    sliderBox,
  );
  results.hidden = true;
  const idle = empty("Pick two to four models, seeds or templates and compare: each cell shows its image, its cost and how long it took.");
  let cells = [];
  let pickedCell = null;

  function cellFor(label, { draft = false, sub = "" } = {}) {
    const progress = progressView({ compact: true });
    const cost = h("span", { "data-testid": "cell-cost", title: "Estimated cost" }, "—");
    const time = h("span", { "data-testid": "cell-time", title: "Time from submission to the image" }, "—");
    const pick = h("button", { class: "btn secondary small", type: "button", "data-testid": "pick", disabled: true, "aria-pressed": "false" }, "Pick this one");
    const open = h("a", { class: "btn ghost small", href: "/gallery", hidden: true, "data-testid": "cell-open" }, "Open");
    const problems = h("div", { "data-testid": "cell-error" });
    const el = h("article", { class: "card cmp-cell", "data-testid": "compare-cell" },
      h("header", { class: "cmp-cell-head" }, h("h3", {}, label), draft ? h("span", { class: "draft" }, "Draft") : null, sub ? h("span", { class: "muted" }, sub) : null),
      progress.el,
      problems,
      h("dl", { class: "kv cmp-facts" }, h("dt", {}, "Cost"), h("dd", {}, cost), h("dt", {}, "Time"), h("dd", {}, time)),
      h("div", { class: "row cmp-actions" }, pick, open),
    );
    progress.el.hidden = false;
    const cell = { el, label, progress, problems, cost, time, pick, open, job: null, assetId: null };
    pick.addEventListener("click", () => choose(cell));
    return cell;
  }

  async function choose(cell) {
    await busy(cell.pick, async () => {
      const before = pickedCell;
      if (before === cell) return;
      await api(`/api/assets/${cell.assetId}/favorite`, { method: "PUT" });
      if (before) await api(`/api/assets/${before.assetId}/favorite`, { method: "DELETE" }).catch(() => {});
      pickedCell = cell;
      for (const other of cells) {
        other.el.classList.toggle("picked", other === cell);
        other.pick.setAttribute("aria-pressed", String(other === cell));
        other.pick.textContent = other === cell ? "Picked ★" : "Pick this one";
      }
      picked.replaceChildren("Picked ", h("strong", {}, cell.label), ": marked as a favorite. ", h("a", { href: `/images/${cell.assetId}`, "data-testid": "picked-open" }, "Open its page"), " to refine, review or share it.");
      toast(`Picked ${cell.label}`);
    }, errors);
  }

  function finish(cell, job) {
    cell.job = job;
    const total = job.timings_ms?.total;
    cell.time.textContent = seconds(total);
    if (job.timings_ms) cell.time.title = `Waited ${seconds(job.timings_ms.queued)}, ran ${seconds(job.timings_ms.running)}`;
    if (job.status === "succeeded" && job.asset_ids?.length) {
      cell.assetId = job.asset_ids[0];
      cell.pick.disabled = false;
      cell.open.hidden = false;
      cell.open.href = `/images/${cell.assetId}`;
      charged(cell, job.id);
    } else if (job.status !== "succeeded") {
      cell.cost.textContent = "nothing charged";
    }
    drawModes();
  }

  // What the finished job was charged replaces the estimate (the job answers `cost_usd` once settled).
  async function charged(cell, jobId) {
    try {
      const job = await api(`/api/jobs/${jobId}`, { signal: page.signal });
      if (job.cost_usd === null || job.cost_usd === undefined) return;
      cell.charged = true;
      cell.cost.textContent = money(job.cost_usd) + (isDraft(job.model) ? " (free draft)" : "");
      cell.cost.title = "Charged";
    } catch (_) {
      // The estimate stays.
    }
  }

  async function estimate(cell, body) {
    try {
      const result = await api("/api/briefs/compile", { method: "POST", json: body, signal: page.signal });
      if (!cell.charged && (!cell.job || cell.job.status === "succeeded")) {
        cell.cost.textContent = money(result.estimate.usd) + (isDraft(result.model) ? " (free draft)" : " est.");
      }
    } catch (_) {
      // The estimate is a nicety; the cell still shows its image and time.
    }
  }

  async function follow(cell, job) {
    cell.progress.handle({ event: "state", data: job });
    const final = TERMINAL.has(job.status) ? job : await followJob(job.id, { signal: page.signal, onEvent: (frame) => cell.progress.handle(frame) });
    finish(cell, final);
    return final;
  }

  // Slider mode: one image over another, a range input moving the edge between them.
  let mode = "side";
  const pickA = select([], "0", { "data-testid": "compare-slider-a", "aria-label": "Left image" });
  const pickB = select([], "1", { "data-testid": "compare-slider-b", "aria-label": "Right image" });
  const range = h("input", { type: "range", min: 0, max: 100, value: 50, step: 1, "data-testid": "compare-slider", "aria-label": "Where the left image ends, in percent" });
  const stage = h("div", { class: "cmp-stage", "data-testid": "compare-stage" });

  function ready() {
    return cells.filter((c) => c.assetId);
  }

  function drawModes() {
    const done = ready();
    modeSlider.disabled = done.length < 2;
    if (mode === "slider" && done.length >= 2) drawSlider();
  }

  function drawSlider() {
    const done = ready();
    const list = done.map((c, i) => ({ value: String(i), label: c.label }));
    refill(pickA, list, "0");
    refill(pickB, list, list.length > 1 ? "1" : "0");
    if (pickA.value === pickB.value && list.length > 1) pickB.value = pickA.value === "0" ? "1" : "0";
    const a = done[Number(pickA.value)];
    const b = done[Number(pickB.value)];
    const under = h("img", { src: `/files/${b.assetId}`, alt: b.label, class: "cmp-under", "data-testid": "compare-under" });
    const over = h("img", { src: `/files/${a.assetId}`, alt: a.label, class: "cmp-over", "data-testid": "compare-over" });
    const edge = h("div", { class: "cmp-edge", "aria-hidden": "true" });
    stage.replaceChildren(under, over, edge, h("span", { class: "cmp-tag left" }, a.label), h("span", { class: "cmp-tag right" }, b.label));
    clip();
  }

  function clip() {
    const value = Number(range.value);
    const over = stage.querySelector(".cmp-over");
    const edge = stage.querySelector(".cmp-edge");
    if (over) over.style.clipPath = `inset(0 ${100 - value}% 0 0)`;
    if (edge) edge.style.left = value + "%";
  }

  function setMode(next) {
    mode = next;
    modeSide.setAttribute("aria-pressed", String(next === "side"));
    modeSlider.setAttribute("aria-pressed", String(next === "slider"));
    grid.hidden = next === "slider";
    sliderBox.hidden = next !== "slider";
    results.querySelector("h2").textContent = next === "slider" ? "Slider" : "Side by side";
    if (next === "slider") drawSlider();
  }
  range.addEventListener("input", clip);
  pickA.addEventListener("change", drawSlider);
  pickB.addEventListener("change", drawSlider);
  modeSide.addEventListener("click", () => setMode("side"));
  modeSlider.addEventListener("click", () => setMode("slider"));
  // Arrow keys on the stage move the edge too, for a keyboard user who reached it.
  sliderBox.append(
    h("div", { class: "row cmp-slider-pickers" }, field("Left", pickA), field("Right", pickB)),
    stage,
    field("Reveal", range, "Drag to move the edge between the two images."),
  );

  function startCells(list) {
    cells = list;
    pickedCell = null;
    picked.replaceChildren();
    grid.replaceChildren(...cells.map((c) => c.el));
    grid.style.setProperty("--cells", String(Math.min(cells.length, 4)));
    results.hidden = false;
    idle.hidden = true;
    setMode("side");
    drawModes();
  }

  async function settle() {
    window.dispatchEvent(new Event("easel:changed"));
  }

  // Running a comparison.
  async function runModels(text) {
    const chosen = checked();
    if (chosen.length < 2) return problem(errors, "Pick at least two models.", "Tick two to four models above, then compare.");
    const body = { prompt: text, models: chosen, n: 1, quality: quality.value };
    if (size.value !== "auto") body.size = size.value;
    const group = await api("/api/compare", { method: "POST", json: body, signal: page.signal });
    history.replaceState(null, "", `/compare?axis=models&group=${encodeURIComponent(group.id)}`);
    startCells(group.jobs.map((job) => cellFor(job.model, { draft: isDraft(job.model) })));
    await Promise.all(group.jobs.map((job, i) => {
      estimate(cells[i], { brief: { subject: text }, model: job.model, quality: quality.value, ...(body.size ? { size: body.size } : {}) });
      return follow(cells[i], job).catch((error) => page.signal.aborted || showError(cells[i].problems, error));
    }));
  }

  async function runEach(text, bodies, labels) {
    startCells(labels.map((l) => cellFor(l.label, { draft: l.draft, sub: l.sub })));
    const ids = [];
    const limit = plan.concurrent_jobs || 4;
    await pool(bodies, limit, async (body, i) => {
      try {
        const job = await api("/api/jobs", { method: "POST", json: body, signal: page.signal });
        ids[i] = job.id;
        history.replaceState(null, "", `/compare?axis=${axis.value}&jobs=${ids.filter(Boolean).join(",")}`);
        const { seed, ...forEstimate } = body;
        estimate(cells[i], forEstimate.template ? forEstimate : { ...forEstimate, brief: { subject: text }, prompt: undefined });
        await follow(cells[i], job);
      } catch (error) {
        if (page.signal.aborted) return;
        showError(cells[i].problems, error);
      }
    });
  }

  run.addEventListener("click", () => busy(run, async () => {
    const text = prompt.value.trim();
    if (!text) return problem(errors, "There is nothing to compare yet.", "Write the prompt (or the subject, for templates) above, then compare.");
    if (axis.value === "models") await runModels(text);
    else if (axis.value === "seeds") {
      const count = Number(seedCount.value);
      const model = seedModel.value;
      const seeds = Array.from({ length: count }, () => Math.floor(Math.random() * 2 ** 31));
      const base = { prompt: text, model, n: 1, quality: quality.value, ...(size.value !== "auto" ? { size: size.value } : {}) };
      await runEach(text, seeds.map((seed) => ({ ...base, seed })), seeds.map((seed) => ({ label: `Seed ${seed}`, draft: isDraft(model), sub: model })));
    } else {
      const chosen = checked().map((id) => templates.find((t) => t.id === id));
      if (chosen.length < 2) return problem(errors, "Pick at least two templates.", "Tick two to four templates above, then compare.");
      const bodies = chosen.map((t) => {
        const name = subjectVariable(t);
        return { template: t.id, variables: name ? { [name]: text } : {}, n: 1, ...(size.value !== "auto" ? { size: size.value } : {}) };
      });
      await runEach(text, bodies, chosen.map((t) => ({ label: t.name, sub: t.reference || "" })));
    }
    await settle();
  }, errors));

  // A comparison in the URL (a reload, a shared link): draw its cells and follow what is still running.
  async function restore() {
    const groupId = ctx.query.get("group");
    const jobIds = (ctx.query.get("jobs") || "").split(",").filter(Boolean).slice(0, 8);
    if (!groupId && !jobIds.length) return;
    try {
      const jobs = groupId ? (await api(`/api/groups/${encodeURIComponent(groupId)}`, { signal: page.signal })).jobs
        : await Promise.all(jobIds.map((id) => api(`/api/jobs/${encodeURIComponent(id)}`, { signal: page.signal })));
      if (jobs[0]?.prompt && !prompt.value) prompt.value = jobs[0].prompt;
      const label = (job) => axis.value === "seeds" ? `Seed ${job.params?.seed}` : axis.value === "templates" ? (job.origin?.template || job.model) : job.model;
      startCells(jobs.map((job) => cellFor(label(job), { draft: isDraft(job.model), sub: axis.value === "models" ? "" : job.model })));
      await Promise.all(jobs.map((job, i) => {
        const body = job.origin?.template
          ? { template: job.origin.template.split("@")[0], variables: job.origin.variables || {}, model: job.model, size: job.params.resolved_size, quality: job.params.quality }
          : { brief: { subject: job.prompt }, model: job.model, size: job.params.resolved_size, quality: job.params.quality };
        estimate(cells[i], body);
        return follow(cells[i], job).catch((error) => page.signal.aborted || showError(cells[i].problems, error));
      }));
    } catch (error) {
      if (!page.signal.aborted) showError(errors, error);
    }
  }

  drawOptions();
  view.append(
    heading("Compare", h("a", { class: "btn secondary small", href: "/create" }, "Back to Create")),
    h("div", { class: "compare stack" },
      h("section", { class: "card", "aria-labelledby": "cmp-what" },
        h("h2", { id: "cmp-what" }, "Same prompt, side by side"),
        h("div", { class: "stack" },
          field("Prompt", prompt, "For templates, this fills each template's subject."),
          h("div", { class: "row" }, field("Compare across", axis), field("Size", size), field("Quality", quality)),
          h("fieldset", { class: "cmp-fieldset" }, h("legend", {}, "Options (2 to 4)"), options, optionHint),
          h("div", { class: "row cmp-go" }, run),
          errors,
        ),
      ),
      idle,
      results,
    ),
  );
  restore();
  return () => page.abort();
}
