// Easel's public API, as any client calls it: the studio session cookie (HttpOnly) authenticates, so no key
// is ever held by the page. Errors arrive in the OpenAI envelope and are turned into plain words here.

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `Request failed (${status})`);
    this.status = status;
    this.code = (error && error.code) || null;
    this.type = (error && error.type) || null;
    this.param = (error && error.param) || null;
  }
}

/// `api(path, {method, json, form, headers, signal, raw})`: JSON in, JSON out; throws ApiError on a non-2xx answer.
export async function api(path, options = {}) {
  const init = { method: options.method || "GET", credentials: "same-origin", signal: options.signal, headers: { ...options.headers } };
  if (options.json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  } else if (options.form) {
    init.body = options.form;
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    let error = null;
    try { error = (await response.json()).error; } catch (_) { /* not JSON */ }
    const failure = new ApiError(response.status, error);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("easel:signed-out"));
    throw failure;
  }
  if (options.raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/// Reads a server-sent event stream (`GET path`), yielding `{event, data}` with `data` parsed as JSON.
export async function* events(path, signal) {
  yield* readEvents(await api(path, { raw: true, signal }));
}

/// The server-sent events of a response already open (a job's events, or the images door's stream).
export async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message", data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trimStart();
      }
      if (data) yield { event, data: JSON.parse(data) };
    }
  }
}

const advice = {
  daily_quota_exceeded: "Today's images on your plan are used up. They come back at midnight UTC; an admin can move you to a bigger plan.",
  concurrent_jobs_exceeded: "Your plan runs a limited number of jobs at once. Wait for one to finish, then try again.",
  insufficient_quota: "Your balance does not cover this. Lower n, size or quality, or ask an admin for credits.",
  rate_limit_exceeded: "Too many requests in the last minute. Wait a moment and try again.",
  moderation_blocked: "The safety check refused this prompt. Reword it and try again.",
  model_not_found: "That model is not available here. Pick another one from the list.",
  unsupported_model: "That model cannot do this. Pick another one from the list.",
  providers_unavailable: "Every provider for this model is failing right now. Try again in a minute, or pick the draft renderer.",
  approval_required: "This image needs an approved review first. Send it to review.",
  invalid_mask: "The mask must be the image's size. Paint the mask again on this image.",
  input_missing: "An input image is gone (deleted or hidden). Start from another image.",
  not_found: "It is gone: it was deleted, hidden, or belongs to someone else.",
  cross_site_request: "The request did not come from the studio. Reload the page and try again.",
};

/// An error as a sentence and what to do about it.
export function plainWords(error) {
  if (!(error instanceof ApiError)) {
    return { message: "Easel could not be reached.", todo: "Check that the server is running, then try again." };
  }
  let todo = error.todo || advice[error.code] || "";
  if (!todo && error.status === 401) todo = "Sign in again.";
  if (!todo && error.status === 403) todo = "Your account is not allowed to do this.";
  if (!todo && error.status >= 500) todo = "Something went wrong on the server. Try again; if it keeps happening, tell an admin.";
  if (!todo && error.param) todo = `Check the ${error.param.replaceAll("_", " ")} field.`;
  return { message: error.message, todo };
}
