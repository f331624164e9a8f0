// Following a job from submission to its images: `followJob` reads `/api/jobs/{id}/events` (queued with its
// queue position, running, partial images, retrying, then succeeded / failed / cancelled); `startJob`
// submits one; `progressView` draws it (status line, steps, partial previews, the images or the error).
import { ApiError, api, events, readEvents } from "./api.js";
import { h, plural, showError } from "./ui.js";

export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/// Follows a job to its end, calling `onEvent({event, data})` for each event; resolves with the final job.
/// A stream that breaks off is picked up again (the server starts every stream with the job's state).
export async function followJob(jobId, { onEvent = () => {}, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const frame of events(`/api/jobs/${encodeURIComponent(jobId)}/events`, signal)) {
        onEvent(frame);
        if (TERMINAL.has(frame.event)) return frame.data;
      }
    } catch (error) {
      if (signal?.aborted || error instanceof ApiError) throw error;
    }
    // The stream ended without an end (a proxy timeout, a restart): look, then listen again.
    const job = await api(`/api/jobs/${encodeURIComponent(jobId)}`, { signal });
    if (TERMINAL.has(job.status)) {
      onEvent({ event: job.status, data: job });
      return job;
    }
    await sleep(Math.min(4000, 300 * 2 ** attempt));
  }
}

/// Submits a generation (a prompt, a brief or a template: the body of `POST /api/jobs`) and follows it.
/// Events: `submitted` ({id}) first, then the job's own. With `partial_images`, the request goes through
/// the streaming images door, which is listening before the job starts, so no preview is missed however
/// fast the job runs; the job's event stream still tells the queue position and the end.
export async function startJob(body, { onEvent = () => {}, signal } = {}) {
  if (!(body.partial_images > 0)) {
    const job = await api("/api/jobs", { method: "POST", json: body, signal });
    onEvent({ event: "submitted", data: job });
    onEvent({ event: "state", data: job });
    if (TERMINAL.has(job.status)) {
      onEvent({ event: job.status, data: job });
      return job;
    }
    return followJob(job.id, { onEvent, signal });
  }
  const response = await api("/v1/images/generations", { method: "POST", json: { ...body, stream: true }, signal, raw: true });
  const jobId = response.headers.get("x-easel-job-id");
  onEvent({ event: "submitted", data: { id: jobId } });
  const mime = "image/" + (body.output_format || "png");
  const perImage = body.partial_images;
  const previews = (async () => {
    for await (const frame of readEvents(response)) {
      if (!frame.event.endsWith(".partial_image")) continue; // images come by id at the end; errors from the job
      const index = frame.data.partial_image_index || 0;
      onEvent({
        event: "partial",
        data: { job_id: jobId, image_index: Math.floor(index / perImage), partial_index: index % perImage, mime_type: mime, b64_json: frame.data.b64_json },
      });
    }
  })().catch(() => {});
  let end = null;
  const job = await followJob(jobId, {
    signal,
    onEvent: (frame) => {
      if (TERMINAL.has(frame.event)) end = frame; // told after the last preview
      else if (frame.event !== "partial") onEvent(frame);
    },
  });
  await previews;
  if (end) onEvent(end);
  return job;
}

function ordinal(n) {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
  return n + suffix;
}

/// How long something took, from milliseconds: "0.4 s", "12 s", "2 min 5 s".
export function seconds(ms) {
  if (ms === undefined || ms === null) return "—";
  if (ms < 10000) return (ms / 1000).toFixed(ms < 1000 ? 2 : 1) + " s";
  const s = Math.round(ms / 1000);
  return s < 120 ? s + " s" : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/// A job's failure as an ApiError, so `showError` says it in plain words.
export function jobError(job) {
  const error = job.error || {};
  return new ApiError(error.status || 500, { message: error.message || `The job ${job.status}.`, code: error.code, param: error.param, type: error.type });
}

/// The progress of one job: `{el, handle(frame), reset(), jobId()}`. `compact` for a compare cell (one
/// image, no steps). `onImages(ids, job)` after success.
export function progressView({ compact = false, onImages = () => {} } = {}) {
  const status = h("p", { class: "jp-status", "data-testid": "job-status", "data-status": "idle", role: "status", "aria-live": "polite" });
  const names = ["queued", "running", "partial", "succeeded"];
  const labels = { queued: "Queued", running: "Running", partial: "Previews", succeeded: "Done" };
  const stepEls = Object.fromEntries(names.map((n) => [n, h("li", { class: "step", "data-step": n }, labels[n])]));
  const steps = compact ? null : h("ol", { class: "steps jp-steps", "aria-label": "Progress" }, Object.values(stepEls));
  const previews = h("div", { class: "jp-partials", "aria-label": "Previews", hidden: true });
  const results = h("div", { class: compact ? "jp-results compact" : "jp-results" });
  const errors = h("div");
  const note = h("div");
  const el = h("div", { class: "jp", hidden: true }, status, steps, errors, previews, results, note);
  let id = null;
  let seen = [];
  let partials = 0;

  function see(name) {
    if (!seen.includes(name)) seen.push(name);
    status.dataset.seen = seen.join(" ");
    if (!steps) return;
    const ended = ["succeeded", "failed", "cancelled"].find((n) => seen.includes(n));
    const latest = names.filter((n) => seen.includes(n)).pop();
    for (const n of names) {
      const step = stepEls[n];
      step.className = "step";
      if (n === "succeeded") {
        if (ended) step.classList.add(ended === "succeeded" ? "done" : "bad");
        step.textContent = ended === "failed" ? "Failed" : ended === "cancelled" ? "Cancelled" : labels.succeeded;
      } else if (seen.includes(n) || (n === "queued" && seen.length)) {
        step.classList.add(n === latest && !ended ? "on" : "done");
      }
    }
  }

  function say(state, text) {
    status.dataset.status = state;
    status.textContent = text;
  }

  /// Clears the view for a new job; `partials` is how many previews per image it asked for.
  function reset({ partials: asked = 0 } = {}) {
    id = null;
    seen = [];
    partials = 0;
    status.removeAttribute("data-seen");
    say("idle", "");
    if (steps) {
      stepEls.succeeded.textContent = labels.succeeded;
      for (const step of Object.values(stepEls)) step.className = "step";
      stepEls.partial.hidden = !asked;
    }
    previews.replaceChildren();
    previews.hidden = true;
    results.replaceChildren();
    errors.replaceChildren();
    note.replaceChildren();
    el.hidden = true;
  }

  function showJob(job) {
    if (job.started_at && job.status !== "queued") see("running"); // it ran, even if the stream came late
    switch (job.status) {
      case "queued": {
        see("queued");
        const position = job.queue_position;
        say("queued", position ? `Queued: ${ordinal(position)} in line` : "Queued: starting soon");
        break;
      }
      case "running":
        see("running");
        say("running", partials ? `Running: ${plural(partials, "preview")} so far` : "Running");
        break;
      case "succeeded": {
        see("succeeded");
        const ids = job.asset_ids || [];
        const took = job.timings_ms?.total;
        say("succeeded", `Done: ${plural(ids.length, "image")}` + (took !== undefined ? ` in ${seconds(took)}` : ""));
        results.replaceChildren(
          ...ids.map((assetId, index) =>
            h("a", { class: "jp-result", href: `/images/${assetId}`, title: "Open this image" },
              h("img", { src: `/files/${assetId}`, alt: job.prompt || "generated image", "data-testid": "result-image", "data-asset": assetId, decoding: "async" }),
              compact ? null : h("span", { class: "muted" }, ids.length > 1 ? `Image ${index + 1}: open` : "Open the image page"),
            )),
        );
        if (!compact && job.draft) note.replaceChildren(h("p", { class: "muted" }, h("span", { class: "draft" }, "Draft"), " Made by the offline draft renderer, not AI."));
        onImages(ids, job);
        break;
      }
      case "failed":
        see("failed");
        say("failed", "Failed");
        showError(errors, jobError(job));
        break;
      case "cancelled":
        see("cancelled");
        say("cancelled", "Cancelled");
        break;
      default:
        say(job.status, job.status);
    }
  }

  function handle({ event, data }) {
    el.hidden = false;
    if (event === "submitted") {
      id = data.id;
      if (!seen.length) say("submitted", "Submitted");
      return;
    }
    if (event === "partial") {
      partials += 1;
      see("running");
      see("partial");
      say("running", `Running: preview ${partials}`);
      previews.hidden = false;
      previews.append(h("img", {
        src: `data:${data.mime_type || "image/png"};base64,${data.b64_json}`,
        alt: `Preview ${partials}`, "data-testid": "partial-preview", class: "jp-partial",
      }));
      return;
    }
    if (event === "retrying") {
      say("retrying", `Retrying: attempt ${data.attempts + 1} of ${data.max_attempts}`);
      return;
    }
    if (data && data.status) showJob(data);
  }

  reset();
  return { el, handle, reset, jobId: () => id };
}
