// Review: the queue as a filmstrip, one image at a time large, with the checklist (each key beside the
// evidence Easel has for it), alt text (the suggestion pre-filled, a person's never replaced), a note, and
// approve / reject / request changes. Keyboard culling: A, R, C, arrows to move, Z to undo the last decision
// (undo posts the status the image had before: the API keeps every change as an event, so nothing is lost).
// An approved image can be saved as a template.
import { api } from "./api.js";
import { busy, empty, field, h, heading, money, plural, select, showError, thumb, toast, when } from "./ui.js";

const STATUSES = [
  { value: "in_review", label: "In review" },
  { value: "approved", label: "Approved" },
  { value: "changes_requested", label: "Changes requested" },
  { value: "rejected", label: "Rejected" },
];
const STATUS_WORDS = { unreviewed: "Not reviewed", in_review: "In review", approved: "Approved", rejected: "Rejected", changes_requested: "Changes requested" };
const STATUS_CHIP = { approved: "good", rejected: "bad", changes_requested: "warn" };
const KEY_WORDS = {
  brand_fit: "Brand fit", text_accuracy: "Text accuracy", product_accuracy: "Product accuracy", composition: "Composition",
  reuse_fit: "Fit for reuse", repeatability: "Repeatability", cost: "Cost",
};
const RESULTS = [
  { value: "pass", label: "Pass" },
  { value: "fail", label: "Fail" },
  { value: "na", label: "N/A" },
];

function words(key) {
  return KEY_WORDS[key] || key.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

/// A text field, a select or an editable region: letters typed there are text, never shortcuts.
function typing(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes((target.type || "text").toLowerCase());
}

/// What Easel knows for each checklist key, in a sentence.
function evidenceFor(key, state) {
  const evidence = state.evidence || {};
  const asset = state.asset || {};
  const brief = asset.brief || null;
  const constraints = evidence.constraints || [];
  switch (key) {
    case "brand_fit":
      return [asset.brand_kit ? `Brand kit ${asset.brand_kit}.` : "No brand kit.", constraints.length ? `Check: ${constraints.join("; ")}.` : ""].join(" ").trim();
    case "text_accuracy":
      return evidence.requested_text ? `Should read exactly: “${evidence.requested_text}”.` : "No text was asked for.";
    case "product_accuracy":
      return brief && brief.subject ? `Subject: ${brief.subject}.` : `Prompt: ${asset.prompt || "—"}`;
    case "composition": {
      const parts = [`${asset.width}×${asset.height}`];
      if (brief && brief.format) parts.push(`format ${brief.format}`);
      const layout = constraints.filter((c) => c.startsWith("empty space") || c.endsWith("background"));
      return parts.join(", ") + "." + (layout.length ? ` Check: ${layout.join("; ")}.` : "");
    }
    case "reuse_fit":
      return asset.template ? `From template ${asset.template}.` : "Not from a template.";
    case "repeatability": {
      const r = evidence.repeatability;
      if (!r) return "Not from a template: no track record yet.";
      return `${r.approved} of ${plural(r.reviewed, "reviewed image")} from ${r.template} approved.`;
    }
    case "cost":
      return evidence.cost ? `Cost ${money(evidence.cost.usd)}${asset.draft ? " (draft renderer)" : ""}.` : "No cost recorded.";
    default:
      return "Added by the template or brand kit.";
  }
}

export async function render(view, ctx) {
  const controller = new AbortController();
  const signal = controller.signal;
  const status = STATUSES.some((s) => s.value === ctx.query.get("status")) ? ctx.query.get("status") : "in_review";

  let items = [];
  let cursor = null;
  let index = 0;
  let acting = false;
  let drawToken = 0;
  const states = new Map(); // asset id → GET /api/assets/{id}/review
  const drafts = new Map(); // asset id → {alt, altEdited, checklist: {key: result}, note, templateName}
  const undo = []; // {id, from, checklist}

  const errors = h("div", { "data-testid": "review-errors" });
  const statusPicker = select(STATUSES, status, { "data-testid": "review-filter", "aria-label": "Which images" });
  statusPicker.addEventListener("change", () => ctx.navigate("/review" + (statusPicker.value === "in_review" ? "" : "?status=" + statusPicker.value)));

  const strip = h("ol", { class: "rv-strip", "data-testid": "review-queue", "aria-label": "Review queue" });
  const more = h("button", { class: "btn secondary small", type: "button", "data-testid": "review-more", hidden: true }, "Load more");
  const stage = h("div", { class: "rv-stage" });
  const panel = h("div", { class: "rv-panel stack" });
  const body = h("div", { class: "rv-body" });
  const keys = h("p", { class: "rv-keys muted", "data-testid": "review-keys" },
    h("span", {}, h("kbd", { class: "kbd" }, "A"), " approve"),
    h("span", {}, h("kbd", { class: "kbd" }, "R"), " reject"),
    h("span", {}, h("kbd", { class: "kbd" }, "C"), " request changes"),
    h("span", {}, h("kbd", { class: "kbd" }, "←"), " ", h("kbd", { class: "kbd" }, "→"), " move"),
    h("span", {}, h("kbd", { class: "kbd" }, "Z"), " undo"),
  );

  view.append(
    h("section", { class: "rv" },
      heading("Review", field("Show", statusPicker)),
      errors,
      h("div", { class: "rv-queue-row" }, strip, more),
      body,
    ),
  );

  function draft(id) {
    if (!drafts.has(id)) drafts.set(id, { alt: null, altEdited: false, checklist: {}, note: "", templateName: "" });
    return drafts.get(id);
  }

  async function loadPage() {
    const query = new URLSearchParams({ status, limit: "50" });
    if (cursor) query.set("before", cursor);
    const page = await api("/api/reviews?" + query, { signal });
    items.push(...page.data);
    cursor = page.has_more ? page.next_cursor : null;
    more.hidden = !cursor;
  }

  more.addEventListener("click", () => busy(more, async () => { await loadPage(); drawStrip(); }, errors));

  function drawStrip() {
    strip.replaceChildren(...items.map((asset, i) => {
      const s = asset.review_status;
      const button = h("button", {
        class: "rv-item" + (i === index ? " on" : ""), type: "button", "data-testid": "review-item", "data-id": asset.id,
        "data-status": s, "aria-current": i === index ? "true" : null,
        "aria-label": `Image ${i + 1} of ${items.length}: ${STATUS_WORDS[s] || s}`,
        onclick: () => go(i),
      }, thumb(asset, { alt: "", width: 72, height: 72 }), h("span", { class: "rv-dot " + (STATUS_CHIP[s] || ""), "aria-hidden": "true" }));
      return h("li", {}, button);
    }));
    // Keeps the current image in view by scrolling the strip sideways only (the page stays where it is).
    const current = strip.querySelector(".rv-item.on");
    if (current) {
      const left = current.offsetLeft, right = left + current.offsetWidth;
      if (left < strip.scrollLeft) strip.scrollLeft = left - 8;
      else if (right > strip.scrollLeft + strip.clientWidth) strip.scrollLeft = right - strip.clientWidth + 8;
    }
  }

  async function stateOf(id, fresh = false) {
    if (!fresh && states.has(id)) return states.get(id);
    const state = await api(`/api/assets/${id}/review`, { signal });
    states.set(id, state);
    return state;
  }

  function go(i) {
    if (!items.length) return;
    index = Math.max(0, Math.min(items.length - 1, i));
    drawStrip();
    drawCurrent();
  }

  async function drawCurrent() {
    const token = ++drawToken;
    const asset = items[index];
    if (!asset) return;
    let state;
    try {
      state = await stateOf(asset.id);
    } catch (error) {
      if (signal.aborted) return;
      showError(errors, error);
      return;
    }
    if (token !== drawToken || signal.aborted) return;
    drawStage(asset, state);
    drawPanel(asset, state);
  }

  function drawStage(asset, state) {
    const s = state.status;
    const image = h("img", {
      src: `/files/${asset.id}`, alt: state.alt_text || state.suggested_alt_text || "image under review",
      width: asset.width, height: asset.height, class: "rv-image", "data-testid": "review-image",
    });
    stage.replaceChildren(
      h("div", { class: "rv-frame" }, image),
      h("div", { class: "rv-nav" },
        h("button", { class: "btn secondary small", type: "button", "data-testid": "review-prev", disabled: index === 0, onclick: () => go(index - 1), "aria-label": "Previous image" }, "← Previous"),
        h("span", { class: "muted rv-count" }, `${index + 1} of ${items.length}${cursor ? "+" : ""}`),
        h("span", { class: "chip " + (STATUS_CHIP[s] || ""), "data-testid": "review-status", "data-status": s, "aria-live": "polite" }, STATUS_WORDS[s] || s),
        h("button", { class: "btn secondary small", type: "button", "data-testid": "review-next", disabled: index >= items.length - 1, onclick: () => go(index + 1), "aria-label": "Next image" }, "Next →"),
      ),
      h("p", { class: "muted rv-meta" },
        asset.draft ? h("span", { class: "draft" }, "DRAFT") : null, " ",
        `${asset.model} · ${asset.width}×${asset.height} · ${when(asset.created_at)} · `,
        h("a", { href: `/images/${asset.id}` }, "Open image"),
      ),
      keys,
    );
  }

  function drawPanel(asset, state) {
    const d = draft(asset.id);
    if (d.alt === null || (!d.altEdited && state.alt_source === "human")) {
      d.alt = state.alt_text || state.suggested_alt_text || "";
    }
    const previous = Object.fromEntries((state.checklist || []).map((c) => [c.key, c.result]));
    if (!Object.keys(d.checklist).length && state.status !== "in_review") Object.assign(d.checklist, previous);

    // Alt text: the suggestion pre-filled and editable; a person's stays as they wrote it.
    const alt = h("textarea", { "data-testid": "alt-text", maxlength: 1000, rows: 3 });
    alt.value = d.alt;
    alt.addEventListener("input", () => { d.alt = alt.value; d.altEdited = true; altHint.textContent = "Your text: it is saved with your decision."; });
    const altHint = h("small", { class: "muted" },
      d.altEdited ? "Your text: it is saved with your decision."
        : state.alt_source === "human" ? "Written by a person; kept as it is unless you change it."
          : "Suggested from the brief. Edit it; approving saves it as yours.");
    const altField = h("div", { class: "field" }, h("label", { for: "rv-alt" }, "Alt text"), alt, altHint);
    alt.id = "rv-alt";

    const note = h("textarea", { "data-testid": "review-note", rows: 2, placeholder: "What to change, or why" });
    note.value = d.note;
    note.addEventListener("input", () => { d.note = note.value; });
    for (const box of [alt, note]) box.addEventListener("keydown", (e) => { if (e.key === "Escape") box.blur(); });

    const decisionErrors = h("div", { "data-testid": "decision-errors" });
    const approve = h("button", { class: "btn", type: "button", "data-testid": "approve" }, h("kbd", { class: "kbd" }, "A"), " Approve");
    const reject = h("button", { class: "btn danger", type: "button", "data-testid": "reject" }, h("kbd", { class: "kbd" }, "R"), " Reject");
    const changes = h("button", { class: "btn secondary", type: "button", "data-testid": "request-changes" }, h("kbd", { class: "kbd" }, "C"), " Request changes");
    const undoButton = h("button", { class: "btn ghost small", type: "button", "data-testid": "review-undo", disabled: !undo.length, onclick: () => undoLast() },
      h("kbd", { class: "kbd" }, "Z"), " Undo last decision");
    approve.addEventListener("click", () => decide("approved"));
    reject.addEventListener("click", () => decide("rejected"));
    changes.addEventListener("click", () => decide("changes_requested"));

    // The checklist: each key with its evidence and a pass / fail / n/a answer.
    const required = new Set(state.required_keys || []);
    const checklist = h("ul", { class: "rv-checklist", "data-testid": "review-checklist", "aria-label": "Checklist" },
      ...(state.checklist_keys || []).map((key) => {
        const buttons = RESULTS.map((r) => {
          const b = h("button", {
            type: "button", class: "rv-result " + r.value, "data-testid": "check-" + r.value, "data-result": r.value,
            "aria-pressed": String(d.checklist[key] === r.value), "aria-label": `${words(key)}: ${r.label}`,
          }, r.label);
          b.addEventListener("click", () => {
            d.checklist[key] = d.checklist[key] === r.value ? undefined : r.value;
            if (!d.checklist[key]) delete d.checklist[key];
            for (const other of b.parentElement.children) other.setAttribute("aria-pressed", String(d.checklist[key] === other.dataset.result));
            row.dataset.result = d.checklist[key] || "";
          });
          return b;
        });
        const row = h("li", { class: "rv-check", "data-testid": "checklist-item", "data-key": key, "data-result": d.checklist[key] || "" },
          h("div", { class: "rv-check-text" },
            h("strong", {}, words(key)), required.has(key) ? h("span", { class: "chip warn" }, "required") : null,
            h("p", { class: "muted", "data-testid": "checklist-evidence" }, evidenceFor(key, state)),
          ),
          h("div", { class: "rv-results", role: "group", "aria-label": words(key) }, ...buttons),
        );
        return row;
      }),
    );
    const allPass = h("button", { class: "btn ghost small", type: "button", "data-testid": "checklist-all-pass" }, "Mark all pass");
    allPass.addEventListener("click", () => {
      for (const key of state.checklist_keys || []) d.checklist[key] = "pass";
      drawPanel(asset, state);
    });

    // Evidence Easel has, as facts.
    const evidence = state.evidence || {};
    const constraints = evidence.constraints || [];
    const facts = h("dl", { class: "kv", "data-testid": "review-evidence" },
      h("dt", {}, "Cost"), h("dd", { "data-testid": "evidence-cost" }, evidence.cost ? money(evidence.cost.usd) : "not recorded"),
      h("dt", {}, "Track record"), h("dd", {}, evidence.repeatability
        ? `${evidence.repeatability.approved} of ${evidence.repeatability.reviewed} approved (${evidence.repeatability.template})` : "not from a template"),
      h("dt", {}, "Check by eye"), h("dd", {}, constraints.length ? constraints.join("; ") : "no constraints in the brief"),
      h("dt", {}, "Requested text"), h("dd", {}, evidence.requested_text ? `“${evidence.requested_text}”` : "none"),
      h("dt", {}, "Prompt"), h("dd", { class: "rv-prompt" }, asset.prompt || "—"),
    );

    const history = (state.history || []).slice().reverse();
    const historyBox = history.length ? h("details", { class: "rv-history" },
      h("summary", {}, `History (${history.length})`),
      h("ol", {}, ...history.map((e) => h("li", {},
        h("span", { class: "chip " + (STATUS_CHIP[e.status] || "") }, STATUS_WORDS[e.status] || e.status), " ",
        h("span", { class: "muted" }, when(e.at)), e.note ? h("span", {}, " — " + e.note) : null))),
    ) : null;

    panel.replaceChildren(...[
      h("div", { class: "card stack" },
        h("h2", {}, "Decision"),
        decisionErrors,
        altField,
        field("Note", note, "Sent with the decision; say what to change."),
        h("div", { class: "rv-actions" }, approve, reject, changes),
        undoButton,
      ),
      state.status === "approved" ? saveAsTemplate(asset, state, d) : null,
      h("div", { class: "card stack" }, h("div", { class: "rv-checkhead" }, h("h2", {}, "Checklist"), allPass), checklist),
      h("div", { class: "card" }, h("h2", {}, "Evidence"), facts),
      historyBox,
    ].filter(Boolean));
    panel.decisionErrors = decisionErrors;
  }

  function saveAsTemplate(asset, state, d) {
    const name = h("input", { "data-testid": "template-name", placeholder: `From ${asset.id}`, maxlength: 200 });
    name.value = d.templateName;
    name.addEventListener("input", () => { d.templateName = name.value; });
    const fresh = asset.template && asset.template.startsWith("tpl_") ? h("input", { type: "checkbox", "data-testid": "template-as-new" }) : null;
    const button = h("button", { class: "btn secondary", type: "button", "data-testid": "save-as-template" }, "Save as template");
    const result = h("div", { "data-testid": "save-as-template-result" });
    button.addEventListener("click", () => busy(button, async () => {
      const json = {};
      if (name.value.trim()) json.name = name.value.trim();
      if (fresh && fresh.checked) json.new = true;
      const template = await api(`/api/assets/${asset.id}/save-as-template`, { method: "POST", json });
      result.replaceChildren(h("p", { class: "notice" }, `Saved “${template.name}” as version ${template.version}. `,
        h("a", { href: `/templates/${template.id}`, "data-testid": "saved-template-link" }, "Open the template")));
      toast(`Saved as template “${template.name}”`);
    }, result));
    return h("div", { class: "card stack", "data-testid": "save-as-template-card" },
      h("h2", {}, "Save as template"),
      h("p", { class: "muted" }, "Keep this image's whole brief, model and settings as a template, with the image as its example."),
      field("Template name", name),
      fresh ? h("label", { class: "check" }, fresh, "As a new template (not a new version of ", asset.template.split("@")[0], ")") : null,
      h("div", {}, button),
      result,
    );
  }

  function errorBox() {
    return panel.decisionErrors || errors;
  }

  async function decide(statusValue) {
    if (acting || !items.length) return;
    const asset = items[index];
    const d = draft(asset.id);
    acting = true;
    const buttons = [...panel.querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    try {
      errorBox().replaceChildren();
      const before = await stateOf(asset.id);
      const json = { status: statusValue };
      const checklist = Object.entries(d.checklist).map(([key, result]) => ({ key, result }));
      if (checklist.length) json.checklist = checklist;
      if (d.note.trim()) json.note = d.note.trim();
      const alt = (d.alt || "").trim();
      // Approving needs alt text; other decisions keep it only if the person wrote it.
      if (alt && (statusValue === "approved" || d.altEdited)) json.alt_text = alt;
      const after = await api(`/api/assets/${asset.id}/review`, { method: "POST", json, signal });
      undo.push({ id: asset.id, from: before.status, checklist: before.checklist || [] });
      states.set(asset.id, after);
      const at = items.findIndex((a) => a.id === asset.id);
      if (at >= 0) items[at] = { ...after.asset };
      d.note = "";
      d.altEdited = false;
      d.alt = after.alt_text || d.alt;
      toast(`${STATUS_WORDS[statusValue]}.`);
      // Culling moves on after a reject or a change request; an approval stays to offer "save as template".
      if (statusValue !== "approved" && index === at && index < items.length - 1) index += 1;
      drawStrip();
      await drawCurrent();
    } catch (error) {
      if (!signal.aborted) {
        showError(errorBox(), error);
        buttons.forEach((b) => (b.disabled = false));
      }
    } finally {
      acting = false;
    }
  }

  async function undoLast() {
    if (acting || !undo.length) return;
    const last = undo[undo.length - 1];
    acting = true;
    try {
      errorBox().replaceChildren();
      // Nothing goes back to "unreviewed"; such an image returns to the queue instead.
      const from = last.from === "unreviewed" ? "in_review" : last.from;
      const json = { status: from, note: "Undid the last decision" };
      if (last.checklist.length) json.checklist = last.checklist.map((c) => ({ key: c.key, result: c.result, ...(c.note ? { note: c.note } : {}) }));
      const after = await api(`/api/assets/${last.id}/review`, { method: "POST", json, signal });
      undo.pop();
      states.set(last.id, after);
      const at = items.findIndex((a) => a.id === last.id);
      if (at >= 0) {
        items[at] = { ...after.asset };
        index = at;
      }
      toast(`Undone: back to ${STATUS_WORDS[from].toLowerCase()}.`);
      drawStrip();
      await drawCurrent();
    } catch (error) {
      if (!signal.aborted) showError(errorBox(), error);
    } finally {
      acting = false;
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target) || !items.length) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const actions = {
      a: () => decide("approved"),
      r: () => decide("rejected"),
      c: () => decide("changes_requested"),
      z: () => undoLast(),
      ArrowLeft: () => go(index - 1),
      ArrowRight: () => go(index + 1),
    };
    if (!actions[key]) return;
    event.preventDefault();
    if (event.repeat && key.length === 1) return;
    actions[key]();
  }

  try {
    await loadPage();
  } catch (error) {
    if (!signal.aborted) showError(errors, error);
    return () => controller.abort();
  }

  if (!items.length) {
    const words = STATUSES.find((s) => s.value === status).label.toLowerCase();
    body.replaceChildren(empty(
      status === "in_review" ? "Nothing waits for review. Send images from the gallery or an image's page, or a whole batch."
        : `No ${words} images yet.`,
      h("a", { class: "btn secondary", href: "/gallery" }, "Open the gallery"),
    ));
    strip.hidden = true;
    return () => controller.abort();
  }

  body.replaceChildren(h("div", { class: "rv-layout" }, stage, panel));
  document.addEventListener("keydown", onKey);
  go(0);
  return () => {
    controller.abort();
    document.removeEventListener("keydown", onKey);
  };
}
