// The studio: talks only to Easel's public API (/v1/models, /api/jobs, /api/jobs/{id}/events, /files/{id}),
// like any other client.
const $ = (id) => document.getElementById(id);
let currentJob = null, streamAbort = null;

function authHeaders(extra) {
  const h = Object.assign({}, extra || {});
  const key = localStorage.getItem("easel.key");
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}
async function api(path, options) {
  options = options || {};
  options.headers = authHeaders(options.headers);
  const response = await fetch(path, options);
  if (response.status === 401) { $("keybox").style.display = "block"; }
  return response;
}
async function errorText(response) {
  try { const body = await response.json(); return body.error ? body.error.message : response.statusText; }
  catch (e) { return response.status + " " + response.statusText; }
}
async function imageURL(path) {
  const response = await api(path);
  if (!response.ok) throw new Error(await errorText(response));
  return URL.createObjectURL(await response.blob());
}
function setStep(name, state) {
  document.querySelectorAll(".step").forEach((el) => {
    const order = ["queued", "running", "partial", "done"];
    const i = order.indexOf(el.dataset.s), j = order.indexOf(name);
    el.className = "step" + (i < j ? " done" : i === j ? (state === "bad" ? " bad" : state === "done" ? " done" : " on") : "");
  });
}
function showImage(src) {
  $("stage").innerHTML = "";
  const img = document.createElement("img");
  img.src = src; img.alt = $("prompt").value;
  $("stage").appendChild(img);
}

async function loadModels() {
  const response = await api("/v1/models");
  if (!response.ok) { $("error").textContent = await errorText(response); return; }
  const body = await response.json();
  $("model").innerHTML = "";
  for (const m of body.data) {
    const o = document.createElement("option");
    o.value = m.id; o.textContent = m.id + (m.draft ? " (offline draft, not AI)" : "");
    o.dataset.draft = m.draft ? "1" : "";
    $("model").appendChild(o);
  }
  noteModel();
}
function noteModel() {
  const o = $("model").selectedOptions[0];
  $("modelnote").textContent = o && o.dataset.draft ? "Draft renderer: a free layout and palette preview, marked DRAFT. Not AI output." : "";
}
$("model").addEventListener("change", noteModel);
function signedIn() { $("keybox").style.display = "none"; loadModels(); loadGallery(); showMe(); }
async function showMe() {
  const response = await api("/api/me");
  if (!response.ok) return;
  const me = await response.json();
  const left = me.today.images_remaining === null ? "no daily limit" : me.today.images_remaining + " images left today";
  $("account").textContent = me.name + " · plan " + me.plan.name + " · " + left + " · balance $" + me.balance_usd;
}
$("key").addEventListener("change", () => { localStorage.setItem("easel.key", $("key").value); signedIn(); });
$("guest").addEventListener("click", async () => {
  const response = await fetch("/api/auth/guest", { method: "POST" });
  if (response.ok) signedIn(); else $("error").textContent = await errorText(response);
});
$("login").addEventListener("click", async () => {
  const response = await fetch("/api/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: $("user").value, password: $("password").value }) });
  if (response.ok) { localStorage.removeItem("easel.key"); signedIn(); } else $("error").textContent = await errorText(response);
});

async function loadGallery() {
  const response = await api("/api/assets?limit=24");
  if (!response.ok) return;
  const body = await response.json();
  $("gallery").innerHTML = "";
  for (const asset of body.data) {
    const img = document.createElement("img");
    img.title = asset.prompt + (asset.draft ? " (draft)" : "");
    imageURL(asset.thumbnail_url).then((u) => { img.src = u; }).catch(() => {});
    img.onclick = async () => { showImage(await imageURL(asset.url)); showMeta(asset); };
    $("gallery").appendChild(img);
  }
}
let currentAsset = null;
async function showHistory(asset) {
  currentAsset = asset;
  $("iterate").hidden = false;
  const response = await api("/api/assets/" + asset.id + "/lineage");
  if (!response.ok) return;
  const lineage = await response.json();
  const history = $("history");
  history.innerHTML = "";
  const chain = lineage.ancestors.concat([lineage.asset]).concat(lineage.children);
  if (chain.length < 2) return;
  const label = document.createElement("div");
  label.className = "muted"; label.textContent = "History (oldest first; the current image is outlined):";
  history.appendChild(label);
  for (const item of chain) {
    const img = document.createElement("img");
    img.className = item.id === asset.id ? "current" : "";
    img.title = item.prompt || item.role;
    imageURL(item.thumbnail_url).then((u) => { img.src = u; }).catch(() => {});
    img.onclick = async () => { showImage(await imageURL(item.url)); showMeta(item); };
    history.appendChild(img);
  }
}
async function iterate(path, body) {
  if (!currentAsset) return;
  $("error").textContent = "";
  const response = await api("/api/assets/" + currentAsset.id + path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) { $("error").textContent = await errorText(response); return; }
  const job = await response.json();
  currentJob = job.id; setStep("queued");
  try { await followEvents(job.id); } catch (err) { $("error").textContent = err.message; } finally { currentJob = null; showMe(); }
}
$("edit").addEventListener("click", () => {
  if (!$("editprompt").value.trim()) { $("error").textContent = "Describe the revision first."; return; }
  iterate("/edits", { prompt: $("editprompt").value });
});
$("vary").addEventListener("click", () => iterate("/variations", { n: 2 }));
$("promote").addEventListener("click", () => iterate("/promote", { quality: "high" }));
$("upscale").addEventListener("click", () => iterate("/upscale", { factor: 2 }));
function showMeta(asset) {
  showHistory(asset);
  const meta = $("meta");
  meta.innerHTML = "";
  if (asset.draft) { const d = document.createElement("span"); d.className = "draft"; d.textContent = "DRAFT · not AI"; meta.appendChild(d); }
  const info = document.createElement("span");
  info.textContent = asset.width + "×" + asset.height + " " + asset.format + " · " + asset.model + " · " + Math.round(asset.bytes / 1024) + " KB";
  meta.appendChild(info);
  const link = document.createElement("a");
  link.textContent = "Download";
  link.href = "#";
  link.onclick = async (e) => {
    e.preventDefault();
    const a = document.createElement("a");
    a.href = await imageURL(asset.url); a.download = asset.id + "." + (asset.format === "jpeg" ? "jpg" : asset.format);
    a.click();
  };
  meta.appendChild(link);
}

async function followEvents(jobID) {
  streamAbort = new AbortController();
  const response = await api("/api/jobs/" + jobID + "/events", { signal: streamAbort.signal });
  if (!response.ok) throw new Error(await errorText(response));
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (!data) continue;
      if (await onEvent(name, JSON.parse(data))) return;
    }
  }
}
async function onEvent(name, data) {
  const status = data.status;
  if (name === "partial") {
    setStep("partial");
    showImage("data:" + data.mime_type + ";base64," + data.b64_json);
    return false;
  }
  if (status === "queued" || status === "retry_wait") {
    setStep("queued");
    $("meta").textContent = status === "retry_wait" ? "Retrying: " + (data.error ? data.error.message : "") :
      (data.queue_position ? "Position in queue: " + data.queue_position : "Queued");
  } else if (status === "running") {
    setStep("running");
    $("meta").textContent = "Rendering (attempt " + data.attempts + ")…";
  } else if (status === "succeeded") {
    setStep("done", "done");
    const asset = await (await api("/api/assets/" + data.asset_ids[0])).json();
    showImage(await imageURL(asset.url));
    showMeta(asset);
    loadGallery();
    return true;
  } else if (status === "failed" || status === "cancelled") {
    setStep("done", "bad");
    $("error").textContent = status === "cancelled" ? "Cancelled." : (data.error ? data.error.message : "Failed.");
    return true;
  }
  return false;
}

$("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("error").textContent = "";
  $("go").disabled = true;
  $("cancel").hidden = false;
  $("stage").innerHTML = '<div class="hint">Queued…</div>';
  setStep("queued");
  const body = {
    prompt: $("prompt").value, model: $("model").value, size: $("size").value,
    output_format: $("format").value, quality: $("quality").value,
    partial_images: parseInt($("partials").value, 10),
  };
  try {
    const response = await api("/api/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(await errorText(response));
    currentJob = (await response.json()).id;
    await followEvents(currentJob);
  } catch (err) {
    if (err.name !== "AbortError") { $("error").textContent = err.message; setStep("done", "bad"); }
  } finally {
    $("go").disabled = false; $("cancel").hidden = true; currentJob = null;
  }
});
$("cancel").addEventListener("click", async () => {
  if (!currentJob) return;
  const response = await api("/api/jobs/" + currentJob, { method: "DELETE" });
  if (!response.ok) $("error").textContent = await errorText(response);
});
if (localStorage.getItem("easel.key")) $("key").value = localStorage.getItem("easel.key");
loadModels(); loadGallery(); showMe();
