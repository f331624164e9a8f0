/// The studio's single page. Plain HTML and JavaScript, no build step: it talks to the same public API
/// (`/v1/models`, `/api/jobs`, `/api/jobs/{id}/events`, `/files/{id}`) any client would.
enum StudioPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Easel studio</title>
<style>
  :root { --bg:#111214; --panel:#1b1d21; --line:#2c2f36; --text:#e9e9ec; --muted:#9a9ca5; --accent:#f2c14e; --bad:#ff6b6b; --ok:#6bd48f; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:12px; padding:14px 22px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; letter-spacing:.02em; }
  header .tag { color:var(--muted); font-size:13px; }
  main { display:grid; grid-template-columns: 380px 1fr; gap:22px; padding:22px; max-width:1400px; margin:auto; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
  .panel { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:16px; }
  label { display:block; font-size:12px; color:var(--muted); margin:12px 0 4px; text-transform:uppercase; letter-spacing:.05em; }
  textarea, select, input { width:100%; background:#0e0f11; color:var(--text); border:1px solid var(--line); border-radius:7px; padding:9px; font:inherit; }
  textarea { min-height:110px; resize:vertical; }
  .row { display:grid; grid-template-columns: 1fr 1fr; gap:10px; }
  button { margin-top:16px; width:100%; padding:11px; border:0; border-radius:8px; background:var(--accent); color:#1a1a1a; font-weight:600; font-size:15px; cursor:pointer; }
  button:disabled { opacity:.5; cursor:progress; }
  button.secondary { background:transparent; color:var(--muted); border:1px solid var(--line); margin-top:8px; }
  .steps { display:flex; gap:6px; margin:4px 0 14px; flex-wrap:wrap; }
  .step { padding:4px 10px; border-radius:20px; border:1px solid var(--line); color:var(--muted); font-size:13px; }
  .step.on { border-color:var(--accent); color:var(--accent); }
  .step.done { border-color:var(--ok); color:var(--ok); }
  .step.bad { border-color:var(--bad); color:var(--bad); }
  #stage { min-height:360px; display:flex; align-items:center; justify-content:center; background:#0b0c0e; border-radius:8px; border:1px dashed var(--line); overflow:hidden; }
  #stage img { max-width:100%; max-height:70vh; display:block; }
  #stage .hint { color:var(--muted); padding:30px; text-align:center; }
  #meta { color:var(--muted); font-size:13px; margin-top:10px; display:flex; gap:14px; flex-wrap:wrap; align-items:center; }
  #meta a { color:var(--accent); }
  .draft { background:#3a2f10; color:var(--accent); border-radius:5px; padding:2px 7px; font-size:12px; font-weight:600; }
  .error { color:var(--bad); margin-top:10px; white-space:pre-wrap; }
  #gallery { display:grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap:8px; margin-top:12px; }
  #gallery img { width:100%; aspect-ratio:1; object-fit:cover; border-radius:6px; cursor:pointer; border:1px solid var(--line); }
  #keybox { display:none; }
  #account { color:var(--muted); font-size:13px; margin-top:8px; }
  #iterate { margin-top:12px; } #iterate button { margin:6px 6px 0 0; }
  #history img { width:56px; height:56px; object-fit:cover; margin:6px 6px 0 0; border-radius:4px; cursor:pointer; border:2px solid transparent; }
  #history img.current { border-color:var(--accent); }
  .muted { color:var(--muted); font-size:13px; }
  small { color:var(--muted); }
</style>
</head>
<body>
<header><h1>Easel</h1><span class="tag">studio</span></header>
<main>
  <section class="panel">
    <form id="form">
      <label for="prompt">Prompt</label>
      <textarea id="prompt" required placeholder="a lighthouse at dusk, dark cinematic palette"></textarea>
      <label for="model">Model</label>
      <select id="model"></select>
      <small id="modelnote"></small>
      <div class="row">
        <div><label for="size">Size</label>
          <select id="size">
            <option value="auto">auto</option>
            <option>1024x1024</option><option>1536x1024</option><option>1024x1536</option>
            <option>2048x1152</option><option>1152x2048</option><option>512x512</option><option>256x256</option>
          </select></div>
        <div><label for="format">Format</label>
          <select id="format"><option>png</option><option>webp</option><option>jpeg</option></select></div>
      </div>
      <div class="row">
        <div><label for="quality">Quality</label>
          <select id="quality"><option>auto</option><option>low</option><option>medium</option><option>high</option></select></div>
        <div><label for="partials">Previews</label>
          <select id="partials"><option value="0">none</option><option value="1">1</option><option value="2" selected>2</option><option value="3">3</option></select></div>
      </div>
      <div id="keybox">
        <button id="guest" class="secondary" type="button">Continue as guest</button>
        <div class="row">
          <div><label for="user">User</label><input id="user" autocomplete="username"></div>
          <div><label for="password">Password</label><input id="password" type="password" autocomplete="current-password"></div>
        </div>
        <button id="login" class="secondary" type="button">Log in</button>
        <label for="key">or an API key</label><input id="key" type="password" autocomplete="off">
      </div>
      <div id="account" class="muted"></div>
      <button id="go" type="submit">Generate</button>
      <button id="cancel" class="secondary" type="button" hidden>Cancel</button>
    </form>
    <div id="error" class="error"></div>
  </section>
  <section>
    <div class="panel">
      <div class="steps">
        <span class="step" data-s="queued">queued</span><span class="step" data-s="running">running</span>
        <span class="step" data-s="partial">previews</span><span class="step" data-s="done">done</span>
      </div>
      <div id="stage"><div class="hint">Your image appears here.</div></div>
      <div id="meta"></div>
      <div id="iterate" hidden>
        <div class="row">
          <div><label for="editprompt">Revise this image</label><input id="editprompt" placeholder="e.g. warmer light, add a red cap"></div>
        </div>
        <button id="edit" class="secondary" type="button">Edit</button>
        <button id="vary" class="secondary" type="button">2 variations</button>
        <button id="promote" class="secondary" type="button">Final (high quality)</button>
        <button id="upscale" class="secondary" type="button">Upscale 2×</button>
        <div id="history"></div>
      </div>
    </div>
    <div class="panel" style="margin-top:18px">
      <strong>Recent</strong>
      <div id="gallery"></div>
    </div>
  </section>
</main>
<script>
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
</script>
</body>
</html>
"""#
}
