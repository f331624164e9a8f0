// The Image page (/images/:id): the image large with zoom and pan, what made it, downloads, the iteration
// actions (revise, mask edit, variations, promote, upscale) each followed to its new image, the lineage tree,
// and the curation around it: favorite, tags, collections, share links and the review state.
import { api } from "./api.js";
import { h, field, select, money, when, plural, showError, toast, heading, busy } from "./ui.js";
import { createMaskPainter } from "./mask-painter.js";
import { lineageTree } from "./lineage-tree.js";
import { downloadLinks, followJob, jobError } from "./image-actions.js";
import { conversationPanel } from "./conversation-panel.js";

const ZOOMS = [1, 1.5, 2, 3, 4, 6, 8];
const REVIEW_WORDS = {
  unreviewed: ["Not reviewed", ""], in_review: ["In review", "warn"], approved: ["Approved", "good"],
  rejected: ["Rejected", "bad"], changes_requested: ["Changes requested", "warn"],
};

export async function render(view, ctx) {
  const id = ctx.params.id;
  const path = `/api/assets/${encodeURIComponent(id)}`;
  const abort = new AbortController();
  const cleanups = [() => abort.abort()];
  const leave = () => cleanups.forEach((fn) => { try { fn(); } catch (_) { /* leaving anyway */ } });
  view.replaceChildren(h("p", { class: "muted", "aria-live": "polite" }, "Loading the image…"));

  let asset;
  try {
    asset = await api(path, { signal: abort.signal });
  } catch (error) {
    const box = h("div");
    showError(box, error);
    view.replaceChildren(heading("Image"), box, h("p", {}, h("a", { class: "btn secondary", href: "/gallery" }, "Back to the gallery")));
    return leave;
  }
  const quiet = (promise) => promise.catch((error) => ({ failed: error }));
  const [lineage, review, job, collections, shares, models] = await Promise.all([
    quiet(api(path + "/lineage", { signal: abort.signal })),
    quiet(api(path + "/review", { signal: abort.signal })),
    asset.job_id ? quiet(api(`/api/jobs/${encodeURIComponent(asset.job_id)}`, { signal: abort.signal })) : null,
    quiet(api("/api/collections", { signal: abort.signal })),
    quiet(api("/api/shares", { signal: abort.signal })),
    ctx.models().catch(() => []),
  ]);
  const state = { asset, review: review.failed ? null : review, job: job && !job.failed ? job : null };

  // ---- Viewer: zoom, pan, and the mask painter over the image
  const image = h("img", {
    src: `/files/${encodeURIComponent(asset.id)}`, alt: asset.alt_text || asset.prompt || "The image",
    "data-testid": "image-main", draggable: "false", width: asset.width, height: asset.height,
  });
  const stage = h("div", { class: "stage" }, image);
  const viewer = h("div", {
    class: "viewer", tabindex: "0", role: "group", "data-testid": "viewer",
    "aria-label": "Image. Click or press + to zoom in, − to zoom out, 0 to fit; drag or use the arrow keys to pan when zoomed.",
  }, stage);
  const zoomLabel = h("span", { class: "muted mono zoom-label", "data-testid": "zoom-level", "aria-live": "polite" });
  const zoomOut = h("button", { type: "button", class: "btn secondary small", "data-testid": "zoom-out", "aria-label": "Zoom out", onclick: () => step(-1) }, "−");
  const zoomIn = h("button", { type: "button", class: "btn secondary small", "data-testid": "zoom-in", "aria-label": "Zoom in", onclick: () => step(1) }, "+");
  const zoomFit = h("button", { type: "button", class: "btn ghost small", "data-testid": "zoom-fit", onclick: () => setZoom(1) }, "Fit");
  const zoomActual = h("button", { type: "button", class: "btn ghost small", "data-testid": "zoom-actual", onclick: () => setZoom(1 / fitScale) }, "1:1");
  const maskToggle = h("button", {
    type: "button", class: "btn secondary small", "data-testid": "mask-toggle", "aria-expanded": "false", onclick: toggleMask,
  }, "Paint a mask");

  let zoom = 1;
  let fitScale = 1;
  function layout() {
    const available = Math.max(120, viewer.clientWidth || viewer.parentElement.clientWidth);
    const maxHeight = Math.max(240, Math.min(window.innerHeight * 0.72, 860));
    fitScale = Math.min(available / asset.width, maxHeight / asset.height, 1);
    viewer.style.height = Math.round(asset.height * fitScale) + "px";
    applyZoom();
  }
  function applyZoom() {
    stage.style.width = asset.width * fitScale * zoom + "px";
    stage.style.height = asset.height * fitScale * zoom + "px";
    viewer.classList.toggle("zoomed", zoom > 1.001);
    zoomLabel.textContent = Math.round(fitScale * zoom * 100) + "%";
    zoomOut.disabled = zoom <= 1.001;
    zoomIn.disabled = zoom >= ZOOMS[ZOOMS.length - 1] - 0.001;
    zoomActual.hidden = fitScale >= 0.999;
  }
  /** Zooms keeping the point under `anchor` (viewer coordinates) where it is. */
  function setZoom(next, anchor) {
    next = Math.min(Math.max(next, 1), ZOOMS[ZOOMS.length - 1]);
    const ax = anchor ? anchor.x : viewer.clientWidth / 2;
    const ay = anchor ? anchor.y : viewer.clientHeight / 2;
    const before = { w: stage.offsetWidth, h: stage.offsetHeight, left: stage.offsetLeft };
    const fx = (viewer.scrollLeft + ax - before.left) / before.w;
    const fy = (viewer.scrollTop + ay) / before.h;
    zoom = next;
    applyZoom();
    viewer.scrollLeft = fx * stage.offsetWidth + stage.offsetLeft - ax;
    viewer.scrollTop = fy * stage.offsetHeight - ay;
  }
  function step(direction) {
    const next = direction > 0 ? ZOOMS.find((z) => z > zoom + 0.001) : [...ZOOMS].reverse().find((z) => z < zoom - 0.001);
    if (next) setZoom(next);
  }
  viewer.addEventListener("keydown", (event) => {
    if (event.target !== viewer || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "+" || event.key === "=") step(1);
    else if (event.key === "-" || event.key === "_") step(-1);
    else if (event.key === "0") setZoom(1);
    else return;
    event.preventDefault();
  });
  let drag = null;
  viewer.addEventListener("pointerdown", (event) => {
    if (painting || event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, left: viewer.scrollLeft, top: viewer.scrollTop, moved: false };
    viewer.setPointerCapture(event.pointerId);
  });
  viewer.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    if (drag.moved && zoom > 1) {
      viewer.scrollLeft = drag.left - dx;
      viewer.scrollTop = drag.top - dy;
    }
  });
  viewer.addEventListener("pointerup", (event) => {
    const was = drag;
    drag = null;
    if (!was || was.moved || painting) return;
    const box = viewer.getBoundingClientRect();
    if (zoom > 1.001) setZoom(1);
    else setZoom(2.5, { x: event.clientX - box.left, y: event.clientY - box.top });
  });
  viewer.addEventListener("pointercancel", () => { drag = null; });
  const resize = new ResizeObserver(() => layout());
  resize.observe(viewer);
  cleanups.push(() => resize.disconnect());

  // The job status under the image: every iteration lands here, then opens its new image.
  const jobStatus = h("div", { class: "job-status", "data-testid": "job-status", role: "status", "aria-live": "polite", hidden: true });

  // ---- Mask painter
  let painter = null;
  let painting = false;
  const maskPrompt = h("textarea", { rows: 2, "data-testid": "mask-prompt", placeholder: "What should the painted area become?" });
  const maskError = h("div");
  const maskEdit = h("button", { type: "button", class: "btn", "data-testid": "mask-edit", onclick: sendMaskEdit }, "Edit the painted area");
  const maskExtras = h("div", { class: "row mask-actions" });
  const maskPanel = h("div", { class: "mask-panel stack", "data-testid": "mask-panel", hidden: true });
  function toggleMask() {
    if (!painter) {
      painter = createMaskPainter({ width: asset.width, height: asset.height, onChange: ({ painted }) => maskEdit.classList.toggle("secondary", !painted) });
      cleanups.push(() => painter.destroy());
      stage.append(painter.canvas, painter.cursor);
      maskPanel.append(
        painter.toolbar,
        field("Change in the painted area", maskPrompt, "Sent with a mask the image's exact size: transparent where you painted, opaque elsewhere."),
        h("div", { class: "row mask-actions" }, maskEdit, maskExtras),
        maskError,
      );
      const usedMask = state.job && state.job.mask_asset_id;
      if (usedMask) {
        const reuse = h("button", { type: "button", class: "btn ghost small", "data-testid": "mask-reuse" }, "Load the mask this image was made with");
        reuse.addEventListener("click", () => busy(reuse, async () => {
          const mask = new Image();
          mask.src = `/files/${encodeURIComponent(usedMask)}`;
          await mask.decode();
          if (mask.naturalWidth !== asset.width || mask.naturalHeight !== asset.height) {
            return say(maskError, `That mask is ${mask.naturalWidth}×${mask.naturalHeight}, this image ${asset.width}×${asset.height}.`, "Paint a new mask on this image.");
          }
          painter.loadMask(mask);
        }, maskError));
        maskExtras.append(reuse);
      }
    }
    painting = !painting;
    painter.canvas.hidden = !painting;
    maskPanel.hidden = !painting;
    viewer.classList.toggle("painting", painting);
    maskToggle.setAttribute("aria-expanded", String(painting));
    maskToggle.textContent = painting ? "Close the mask" : "Paint a mask";
    if (painting && !maskPrompt.value) maskPrompt.value = revisePrompt.value;
  }
  function sendMaskEdit() {
    if (!painter || !painter.hasMask()) return say(maskError, "Nothing is painted yet.", "Paint over the area to change (brush or rectangle), then send the edit.");
    const prompt = maskPrompt.value.trim();
    if (!prompt) {
      maskPrompt.focus();
      return say(maskError, "Say what the painted area should become.", "Write it in the box above the button.");
    }
    const mask = painter.toDataURL();
    return run("Mask edit", maskError, () => api(path + "/edits", { method: "POST", json: { prompt, mask }, signal: abort.signal }));
  }

  const viewerCard = h("section", { class: "card viewer-card", "aria-label": "Image" },
    h("div", { class: "viewer-bar" },
      h("div", { class: "zoom-controls", role: "group", "aria-label": "Zoom" }, zoomOut, zoomLabel, zoomIn, zoomFit, zoomActual),
      maskToggle),
    h("div", { class: "viewer-wrap" }, viewer,
      asset.draft ? h("span", { class: "draft viewer-badge", "aria-hidden": "true" }, "DRAFT · not AI") : null),
    maskPanel, jobStatus);

  // ---- Lineage
  const lineageBox = h("section", { class: "card lineage-card", "data-testid": "lineage", "aria-label": "Lineage" }, h("h2", {}, "Lineage"));
  if (lineage.failed) {
    const box = h("div");
    showError(box, lineage.failed);
    lineageBox.append(box);
  } else {
    lineageBox.append(lineageTree(lineage, asset.id));
  }

  // ---- Details
  const meta = h("dl", { class: "kv", "data-testid": "image-meta" });
  const row = (label, ...value) => meta.append(h("dt", {}, label), h("dd", { "data-field": label.toLowerCase() }, ...value));
  row("Model", asset.model || "—", asset.provider && asset.provider !== asset.model ? h("span", { class: "muted" }, ` via ${asset.provider}`) : null);
  row("Size", `${asset.width}×${asset.height}`);
  row("Format", `${asset.format.toUpperCase()} · ${bytes(asset.bytes)}`);
  const cost = state.review && state.review.evidence && state.review.evidence.cost;
  row("Cost", cost ? money(cost.usd) : "—", asset.draft ? h("span", { class: "muted" }, " (draft renderer)") : null);
  if (state.job) {
    const p = state.job.params || {};
    row("Made by", `${state.job.kind} job`, p.quality ? ` · ${p.quality} quality` : "", state.job.timings_ms && state.job.timings_ms.running != null ? ` · ${seconds(state.job.timings_ms.running)}` : "");
  }
  if (asset.template) {
    const [tpl, version] = asset.template.split("@");
    row("Template", h("a", { href: `/templates/${encodeURIComponent(tpl)}` }, tpl), version ? `@${version}` : "");
  }
  if (asset.brand_kit) row("Brand kit", h("span", { class: "mono" }, asset.brand_kit));
  if (asset.variables && Object.keys(asset.variables).length) {
    row("Variables", Object.entries(asset.variables).map(([k, v]) => `${k} = ${v}`).join(" · "));
  }
  if (asset.parent_asset_id) row("Made from", h("a", { href: `/images/${encodeURIComponent(asset.parent_asset_id)}` }, "the parent image"));
  row("Created", when(asset.created_at));
  row("Prompt", h("span", { class: "prompt-text" }, asset.prompt || "—"));
  if (asset.brief) row("Brief", briefView(asset.brief));
  const details = h("section", { class: "card details-card", "aria-label": "Details" }, h("h2", {}, "Details"), meta);

  // ---- Downloads
  const downloads = downloadLinks(asset, image);
  cleanups.push(downloads.revoke);
  const downloadCard = h("section", { class: "card download-card", "aria-label": "Download" }, h("h2", {}, "Download"), downloads.element);

  // ---- Iterate
  const revisePrompt = h("textarea", { rows: 3, "data-testid": "revise-prompt", placeholder: "e.g. make the sky stormy, keep everything else" });
  revisePrompt.addEventListener("input", () => { maskPrompt.value = revisePrompt.value; });
  maskPrompt.addEventListener("input", () => { revisePrompt.value = maskPrompt.value; });
  const iterateError = h("div");
  const revise = h("button", { type: "button", class: "btn", "data-testid": "revise" }, "Revise");
  revise.addEventListener("click", () => {
    const prompt = revisePrompt.value.trim();
    if (!prompt) {
      revisePrompt.focus();
      return say(iterateError, "Say what to change first.", "Write the change in the box, then press Revise.");
    }
    return run("Revision", iterateError, () => api(path + "/edits", { method: "POST", json: { prompt }, signal: abort.signal }));
  });
  const hasBrief = Boolean(state.job && state.job.kind !== "upscale");
  const variationsN = select(["1", "2", "3", "4"], "2", { "data-testid": "variations-n" });
  const variations = h("button", { type: "button", class: "btn secondary", "data-testid": "variations", disabled: !hasBrief }, "Variations");
  variations.addEventListener("click", () =>
    run("Variations", iterateError, () => api(path + "/variations", { method: "POST", json: { n: Number(variationsN.value) }, signal: abort.signal })));
  const modelChoices = (Array.isArray(models) ? models : []).map((m) => ({ value: m.id, label: m.id + (m.draft ? " (draft)" : "") }));
  if (!modelChoices.some((m) => m.value === asset.model) && asset.model) modelChoices.unshift({ value: asset.model, label: asset.model });
  const promoteModel = select(modelChoices, asset.model, { "data-testid": "promote-model" });
  const promote = h("button", { type: "button", class: "btn secondary", "data-testid": "promote", disabled: !hasBrief }, "Promote to final");
  promote.addEventListener("click", () =>
    run("Final", iterateError, () => api(path + "/promote", { method: "POST", json: { model: promoteModel.value }, signal: abort.signal })));
  const upscaleFactor = select([{ value: "2", label: "2×" }, { value: "4", label: "4×" }], "2", { "data-testid": "upscale-factor" });
  const upscale = h("button", { type: "button", class: "btn secondary", "data-testid": "upscale" }, "Upscale");
  upscale.addEventListener("click", () =>
    run("Upscale", iterateError, () => api(path + "/upscale", { method: "POST", json: { factor: Number(upscaleFactor.value) }, signal: abort.signal })));
  const actionButtons = [revise, variations, promote, upscale, maskEdit];
  const iterate = h("section", { class: "card iterate-card", "aria-label": "Iterate" },
    h("h2", {}, "Iterate"),
    h("div", { class: "stack" },
      field("Revise with a prompt", revisePrompt, "Edits this image; the result keeps its size."),
      h("div", {}, revise),
      h("div", { class: "iterate-grid" },
        field("Variations", variationsN), variations,
        field("Final model", promoteModel), promote,
        field("Upscale by", upscaleFactor), upscale),
      hasBrief ? null : h("small", { class: "muted" }, "This image has no brief to re-run (it is an upload or an upscale): variations and promotion are off. Revise or upscale it instead."),
      iterateError));

  /** Starts a job, follows it under the image, then opens the new image. */
  async function run(what, errorBox, start) {
    errorBox.replaceChildren();
    const enabled = actionButtons.filter((b) => !b.disabled);
    enabled.forEach((b) => { b.disabled = true; });
    try {
      const job = await start();
      jobStatus.scrollIntoView({ block: "nearest", behavior: "smooth" });
      const final = await followJob(job, jobStatus, what, abort.signal);
      window.dispatchEvent(new Event("easel:changed"));
      if (final.status === "succeeded" && final.asset_ids.length) {
        if (final.asset_ids.length > 1) toast(`${plural(final.asset_ids.length, "image")} made; showing the first.`);
        ctx.navigate(`/images/${encodeURIComponent(final.asset_ids[0])}`);
        return;
      }
      showError(errorBox, jobError(final));
    } catch (error) {
      if (!abort.signal.aborted) showError(errorBox, error);
    } finally {
      enabled.forEach((b) => { b.disabled = false; });
    }
  }

  // ---- Favorite
  const favorite = h("button", { type: "button", class: "btn secondary", "data-testid": "favorite" });
  const drawFavorite = () => {
    favorite.setAttribute("aria-pressed", String(state.asset.favorite));
    favorite.textContent = state.asset.favorite ? "★ Favorite" : "☆ Favorite";
  };
  drawFavorite();
  favorite.addEventListener("click", () => busy(favorite, async () => {
    state.asset = await api(path + "/favorite", { method: state.asset.favorite ? "DELETE" : "PUT" });
    drawFavorite();
  }));

  // ---- Tags
  const tagList = h("ul", { class: "tag-list", "aria-label": "Tags" });
  const tagInput = h("input", { type: "text", "data-testid": "tag-input", placeholder: "e.g. hero, spring", maxlength: 64, autocomplete: "off" });
  const tagAdd = h("button", { type: "submit", class: "btn secondary", "data-testid": "tag-add" }, "Add tag");
  const tagError = h("div");
  function drawTags() {
    tagList.replaceChildren(...(state.asset.tags.length ? state.asset.tags.map((tag) =>
      h("li", { class: "chip tag-chip", "data-testid": "tag", "data-tag": tag }, tag,
        h("button", {
          type: "button", class: "tag-remove", "data-testid": "tag-remove", "aria-label": `Remove the tag ${tag}`,
          onclick: (event) => busy(event.currentTarget, async () => {
            state.asset = await api(path + "/tags", { method: "PATCH", json: { remove: [tag] } });
            drawTags();
          }, tagError),
        }, "×"))) : [h("li", { class: "muted" }, "No tags yet.")]));
  }
  drawTags();
  const tagForm = h("form", { class: "inline-form", "aria-label": "Add a tag" }, field("New tag", tagInput), tagAdd);
  tagForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const tags = tagInput.value.split(",").map((t) => t.trim()).filter(Boolean);
    if (!tags.length) return;
    busy(tagAdd, async () => {
      state.asset = await api(path + "/tags", { method: "PATCH", json: { add: tags } });
      tagInput.value = "";
      drawTags();
    }, tagError);
  });

  // ---- Collections
  const picker = h("select", { "data-testid": "collection-picker" });
  const newCollection = h("input", { type: "text", "data-testid": "collection-new", placeholder: "or name a new one", maxlength: 120, autocomplete: "off" });
  const collectionAdd = h("button", { type: "submit", class: "btn secondary", "data-testid": "collection-add" }, "Add to collection");
  const collectionNote = h("p", { class: "muted", "data-testid": "collection-result", role: "status" });
  const collectionError = h("div");
  let collectionList = collections.failed ? [] : collections.data;
  function drawPicker(selected) {
    picker.replaceChildren(...(collectionList.length
      ? collectionList.map((c) => h("option", { value: c.id, selected: c.id === selected }, `${c.name} (${c.count})`))
      : [h("option", { value: "" }, "No collections yet")]));
    picker.disabled = !collectionList.length;
  }
  drawPicker();
  if (collections.failed) showError(collectionError, collections.failed);
  const collectionForm = h("form", { class: "stack", "aria-label": "Add to a collection" },
    h("div", { class: "row" }, field("Collection", picker), field("New collection", newCollection)),
    h("div", {}, collectionAdd), collectionNote, collectionError);
  collectionForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(collectionAdd, async () => {
      const name = newCollection.value.trim();
      let collection;
      if (name) {
        collection = await api("/api/collections", { method: "POST", json: { name, asset_ids: [asset.id] } });
        newCollection.value = "";
      } else if (picker.value) {
        collection = (await api(`/api/collections/${encodeURIComponent(picker.value)}/assets`, { method: "POST", json: { ids: [asset.id] } })).collection;
      } else {
        return say(collectionError, "Pick a collection or name a new one.", "");
      }
      collectionList = (await api("/api/collections")).data;
      drawPicker(collection.id);
      collectionNote.textContent = `In “${collection.name}” (${plural(collection.count, "image")}).`;
    }, collectionError);
  });

  // ---- Share links
  const allowDownload = h("input", { type: "checkbox", checked: true, "data-testid": "share-download" });
  const showPrompt = h("input", { type: "checkbox", "data-testid": "share-prompt" });
  const expires = select([
    { value: "86400", label: "1 day" }, { value: "604800", label: "7 days" }, { value: "2592000", label: "30 days" }, { value: "7776000", label: "90 days" },
  ], "604800", { "data-testid": "share-expires" });
  const shareCreate = h("button", { type: "button", class: "btn secondary", "data-testid": "share-create" }, "Create a share link");
  const shareResult = h("div", { class: "stack" });
  const shareList = h("ul", { class: "share-list", "data-testid": "share-list" });
  const shareError = h("div");
  let myShares = shares.failed ? [] : shares.data;
  function drawShares() {
    const now = Date.now() / 1000;
    const open = myShares.filter((s) => s.asset_id === asset.id && !s.revoked && s.expires_at > now);
    shareList.replaceChildren(...open.map((s) => h("li", { "data-testid": "share-item" },
      h("span", {}, `Link made ${when(s.created_at)}, open until ${when(s.expires_at)}`, s.allow_download ? " · downloads allowed" : ""),
      h("button", {
        type: "button", class: "btn ghost small", "data-testid": "share-revoke", "aria-label": `Revoke the link made ${when(s.created_at)}`,
        onclick: (event) => busy(event.currentTarget, async () => {
          await api(`/api/shares/${encodeURIComponent(s.id)}`, { method: "DELETE" });
          myShares = myShares.map((x) => (x.id === s.id ? { ...x, revoked: true } : x));
          drawShares();
          toast("Share link revoked: it no longer opens.");
        }, shareError),
      }, "Revoke"))));
    shareList.hidden = !open.length;
  }
  drawShares();
  if (shares.failed) showError(shareError, shares.failed);
  shareCreate.addEventListener("click", () => busy(shareCreate, async () => {
    const link = await api(path + "/share", {
      method: "POST", json: { allow_download: allowDownload.checked, show_prompt: showPrompt.checked, expires_in: Number(expires.value) },
    });
    const url = new URL(link.url, location.origin).href;
    const input = h("input", { type: "text", readonly: true, value: url, "data-testid": "share-url", "aria-label": "Share link", onfocus: (e) => e.target.select() });
    const copy = h("button", { type: "button", class: "btn secondary small", "data-testid": "share-copy" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(url);
      } catch (_) {
        input.select();
        document.execCommand("copy");
      }
      toast("Link copied.");
    });
    shareResult.replaceChildren(
      h("div", { class: "share-url" }, input, copy, h("a", { class: "btn ghost small", href: url, target: "_blank", rel: "noopener" }, "Open")),
      h("small", { class: "muted" }, "Anyone with this link sees the image without signing in. It is shown only now: copy it."));
    myShares = [link, ...myShares];
    drawShares();
  }, shareError));

  const organize = h("section", { class: "card organize-card", "aria-label": "Organize" },
    h("h2", {}, "Tags"), tagList, tagForm, tagError,
    h("h2", { class: "section-gap" }, "Collections"), collectionForm,
    h("h2", { class: "section-gap" }, "Share"),
    h("div", { class: "stack" },
      h("div", { class: "row share-options" },
        h("label", { class: "check" }, allowDownload, "Allow download"),
        h("label", { class: "check" }, showPrompt, "Show the prompt"),
        field("Open for", expires)),
      h("div", {}, shareCreate), shareResult, shareList, shareError));

  // ---- Review
  const reviewPanel = h("section", { class: "card review-card", "data-testid": "review-panel", "aria-label": "Review" });
  function drawReview() {
    const r = state.review;
    const status = r ? r.status : state.asset.review_status;
    const [words, tone] = REVIEW_WORDS[status] || [status, ""];
    const error = h("div");
    const send = h("button", { type: "button", class: "btn secondary", "data-testid": "send-to-review" }, status === "unreviewed" ? "Send to review" : "Send to review again");
    send.addEventListener("click", () => busy(send, async () => {
      state.review = await api(path + "/review", { method: "POST", json: { status: "in_review" } });
      state.asset = state.review.asset;
      drawReview();
      toast("Sent to review.");
    }, error));
    const last = r && r.history.length ? r.history[r.history.length - 1] : null;
    reviewPanel.replaceChildren(...[
      h("div", { class: "review-head" }, h("h2", {}, "Review"),
        h("span", { class: `chip ${tone}`, "data-testid": "review-status", "data-status": status }, words),
        r && r.approval_required ? h("span", { class: "chip warn" }, "approval needed to share") : null),
      last ? h("p", { class: "muted" }, `${REVIEW_WORDS[last.status] ? REVIEW_WORDS[last.status][0] : last.status} ${when(last.at)}`, last.note ? ` — “${last.note}”` : "") : null,
      r && r.checklist.length
        ? h("ul", { class: "checklist", "aria-label": "Checklist" }, r.checklist.map((c) =>
          h("li", {}, h("span", { class: `chip ${c.result === "pass" ? "good" : c.result === "fail" ? "bad" : ""}` }, c.result), " ", words_(c.key), c.note ? h("span", { class: "muted" }, ` — ${c.note}`) : null)))
        : r ? h("p", { class: "muted small-print" }, "Checklist: ", r.checklist_keys.map((k) => words_(k) + (r.required_keys.includes(k) ? " (required)" : "")).join(", "), ".") : null,
      state.asset.alt_text ? h("p", {}, h("span", { class: "muted" }, "Alt text: "), state.asset.alt_text) : null,
      h("div", { class: "row review-actions" },
        status === "in_review" ? h("span", { class: "muted" }, "Waiting in the review queue.") : send,
        h("a", { class: "btn ghost", href: "/review" }, "Open the review queue")),
      error].filter(Boolean));
    if (!r && review.failed) showError(error, review.failed);
  }
  drawReview();

  // ---- The page
  const title = asset.prompt ? (asset.prompt.length > 70 ? asset.prompt.slice(0, 69) + "…" : asset.prompt) : "Image";
  const badges = [];
  if (asset.draft) badges.push(h("span", { class: "draft image-draft", "data-testid": "draft-badge" }, "DRAFT · not AI"));
  view.replaceChildren(
    heading(title, ...badges, favorite),
    h("div", { class: "image-page" },
      h("div", { class: "image-main" }, viewerCard, lineageBox, organize),
      h("div", { class: "image-side" }, details, iterate, conversationPanel(asset, { signal: abort.signal, navigate: ctx.navigate }), downloadCard, reviewPanel)),
  );
  document.title = `${title} · Easel studio`;
  layout();
  return leave;
}

/** An error box for a mistake caught before asking the server (same look as `showError`). */
function say(box, message, todo) {
  box.replaceChildren(h("div", { class: "error", role: "alert", "data-testid": "error" }, h("strong", {}, message), todo ? h("p", {}, todo) : null));
}

function briefView(brief) {
  const list = h("dl", { class: "kv brief-kv" });
  for (const [key, value] of Object.entries(brief)) {
    let text;
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) continue;
    if (Array.isArray(value)) text = value.join(", ");
    else if (typeof value === "object") {
      text = Object.entries(value).filter(([, v]) => v).map(([k, v]) => (v === true ? words_(k) : `${words_(k)}: ${v}`)).join(", ");
      if (!text) continue;
    } else text = String(value);
    list.append(h("dt", {}, words_(key)), h("dd", {}, text));
  }
  return list.children.length ? list : "—";
}

function words_(key) {
  return String(key).replaceAll("_", " ");
}

function bytes(n) {
  if (n >= 1024 * 1024) return (n / 1024 / 1024).toFixed(1) + " MB";
  return Math.max(1, Math.round(n / 1024)) + " KB";
}

function seconds(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

