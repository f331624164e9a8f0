// Pieces of the Image page that are not the page itself: a job followed to its end (with job-progress.js) and
// drawn compactly under the image, and the download links (the stored file as it is, other formats converted
// in the browser from the loaded image).
import { h } from "./ui.js";
import { TERMINAL, followJob as follow, jobError } from "./job-progress.js";

export { jobError };

const STEPS = [["queued", "Queued"], ["running", "Running"], ["succeeded", "Done"]];

/// Draws a job's state into `box` (`data-testid="job-status"`): steps, a sentence, a partial preview.
export function drawJob(box, job, what) {
  const status = job.status === "retry_wait" ? "queued" : job.status;
  const reached = status === "succeeded" ? 3 : status === "running" ? 2 : status === "queued" ? 1 : 0;
  const steps = h("div", { class: "steps" }, STEPS.map(([key, label], i) => {
    let cls = "step";
    if (i < reached - 1 || (status === "succeeded" && i === 2)) cls += " done";
    else if (i === reached - 1) cls += " on";
    if ((status === "failed" || status === "cancelled") && i === 1) cls += " bad";
    return h("span", { class: cls, "data-step": key }, label);
  }));
  let sentence;
  switch (job.status) {
    case "queued": sentence = job.queue_position ? `Waiting in the queue (position ${job.queue_position}).` : "Waiting in the queue."; break;
    case "retry_wait": sentence = `The provider failed; trying again (attempt ${job.attempts + 1} of ${job.max_attempts}).`; break;
    case "running": sentence = "Making the image…"; break;
    case "succeeded": sentence = "Done. Opening the new image…"; break;
    case "failed": sentence = "It failed."; break;
    case "cancelled": sentence = "It was cancelled."; break;
    default: sentence = job.status;
  }
  box.hidden = false;
  box.dataset.status = job.status;
  box.dataset.jobId = job.id;
  const preview = box.querySelector(".job-partial");
  box.replaceChildren(h("p", { class: "job-what" }, h("strong", {}, what), " · ", sentence), steps);
  if (preview && !TERMINAL.has(job.status)) box.append(preview);
}

/// Follows the job (`followJob` of job-progress.js: the event stream, picked up again if it drops), drawing
/// each state into `box`; returns the final job.
export async function followJob(job, box, what, signal) {
  drawJob(box, job, what);
  if (TERMINAL.has(job.status)) return job;
  const last = await follow(job.id, {
    signal,
    onEvent: ({ event, data }) => {
      if (event === "partial") showPartial(box, data);
      else if (data && data.object === "job") drawJob(box, data, what);
    },
  });
  drawJob(box, last, what);
  return last;
}

function showPartial(box, data) {
  if (!data || !data.b64_json) return;
  let preview = box.querySelector(".job-partial");
  if (!preview) {
    preview = h("img", { class: "job-partial", alt: "Partial preview", "data-testid": "job-partial" });
    box.append(preview);
  }
  preview.src = `data:${data.mime_type || "image/png"};base64,${data.b64_json}`;
}

const FORMATS = [["png", "PNG", "image/png"], ["jpeg", "JPEG", "image/jpeg"], ["webp", "WebP", "image/webp"]];

/// One link per format: the stored file straight from `/files/{id}`; the others converted in the browser from
/// `image` (Easel serves each image in the format it was made in).
export function downloadLinks(asset, image) {
  const made = [];
  const links = FORMATS.map(([format, label, mime]) => {
    const ext = format === "jpeg" ? "jpg" : format;
    const stored = format === asset.format;
    const link = h("a", {
      class: "btn secondary small", "data-testid": `download-${format}`, "data-format": format,
      href: stored ? `/files/${encodeURIComponent(asset.id)}?download=1` : "#", download: `${asset.id}.${ext}`,
      title: stored ? "The stored file, as it was made" : "Converted in your browser from the stored file",
    }, label, stored ? h("span", { class: "chip" }, "original") : null);
    if (!stored) {
      link.addEventListener("click", async (event) => {
        if (link.dataset.ready) return;
        event.preventDefault();
        if (link.getAttribute("aria-busy")) return;
        link.setAttribute("aria-busy", "true");
        try {
          const blob = await convert(image, mime, format);
          const url = URL.createObjectURL(blob);
          made.push(url);
          link.href = url;
          link.dataset.ready = "1";
          link.click();
        } finally {
          link.removeAttribute("aria-busy");
        }
      });
    }
    return link;
  });
  const box = h("div", { class: "stack", "data-testid": "download" },
    h("div", { class: "row download-row" }, links),
    h("small", { class: "muted" }, `The ${asset.format.toUpperCase()} file is the original; other formats are converted in your browser (no metadata).`));
  return { element: box, revoke: () => made.forEach((url) => URL.revokeObjectURL(url)) };
}

async function convert(image, mime, format) {
  if (!image.complete || !image.naturalWidth) await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const g = canvas.getContext("2d");
  if (format === "jpeg") {
    g.fillStyle = "#fff";
    g.fillRect(0, 0, canvas.width, canvas.height);
  }
  g.drawImage(image, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("conversion failed"))), mime, 0.92));
}
