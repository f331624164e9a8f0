// The conversation view on the Image page: the Responses API turns that led to this image (each with its
// text and picture), and a box to say what the next turn should change. A turn is a `POST /v1/responses`
// with `previous_response_id`, exactly as an SDK client continues a conversation; an image no turn made
// starts a new conversation with itself as the input image.
import { api } from "./api.js";
import { h, showError, busy } from "./ui.js";

export function conversationPanel(asset, { signal, navigate }) {
  const list = h("ol", { class: "conversation", "data-testid": "conversation" });
  const input = h("textarea", {
    rows: 2, "data-testid": "conversation-input", "aria-label": "Next turn",
    placeholder: "e.g. now make it look realistic",
  });
  const send = h("button", { type: "button", class: "btn", "data-testid": "conversation-send" }, "Start a conversation");
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite", "data-testid": "conversation-status" });
  const errorBox = h("div");
  const panel = h("section", { class: "card conversation-card", "aria-label": "Conversation" },
    h("h2", {}, "Conversation"), list, input, h("div", { class: "row" }, send), status, errorBox);

  let here = null;
  async function load() {
    const { turns } = await api(`/api/conversations/${encodeURIComponent(asset.id)}`, { signal });
    here = turns.length ? turns[turns.length - 1] : null;
    list.replaceChildren(...turns.map((turn, index) => turnItem(turn, index, turn.asset_id === asset.id)));
    list.hidden = !turns.length;
    send.textContent = turns.length ? "Continue the conversation" : "Start a conversation";
    if (!turns.length) status.textContent = "No conversation made this image yet: the first turn edits it.";
  }

  send.addEventListener("click", () => {
    const text = input.value.trim();
    if (!text) {
      input.focus();
      status.textContent = "Say what the next turn should change.";
      return;
    }
    return busy(send, async () => {
      status.textContent = "Making the next image…";
      const tool = { type: "image_generation", model: asset.model };
      const body = here
        ? { model: "easel-studio", input: text, previous_response_id: here.response_id, tools: [tool] }
        : { model: "easel-studio", tools: [tool], input: [{ role: "user", content: [
          { type: "input_text", text }, { type: "input_image", file_id: asset.id }] }] };
      const response = await api("/v1/responses", { method: "POST", json: body, signal });
      if (response.status !== "completed") {
        status.textContent = "";
        const message = (response.error && response.error.message) || `The turn is ${response.status}.`;
        throw Object.assign(new Error(message), { code: response.error && response.error.code });
      }
      const { turns } = await api(`/api/conversations/${encodeURIComponent(response.id)}`, { signal });
      const made = turns[turns.length - 1];
      window.dispatchEvent(new Event("easel:changed"));
      navigate(`/images/${encodeURIComponent(made.asset_id)}`);
    }, errorBox);
  });

  load().catch((error) => { if (!signal.aborted) showError(errorBox, error); });
  return panel;
}

function turnItem(turn, index, current) {
  const picture = turn.asset_id
    ? h("a", { href: `/images/${encodeURIComponent(turn.asset_id)}`, "aria-label": `Turn ${index + 1}'s image` },
      h("img", { class: "lineage-thumb", src: `/files/${encodeURIComponent(turn.asset_id)}/thumb`, alt: "", loading: "lazy", width: 48, height: 48 }))
    : h("span", { class: "lineage-thumb conversation-missing" }, turn.status === "failed" ? "✕" : "…");
  return h("li", { class: "conversation-turn" + (current ? " current" : ""), "data-testid": "conversation-turn", "data-status": turn.status },
    picture,
    h("div", { class: "lineage-text" },
      h("span", { class: "conversation-text" }, turn.text),
      h("span", { class: "muted lineage-sub" }, `Turn ${index + 1} · ${turn.action}`, current ? h("strong", { class: "lineage-here" }, " · this image") : null)));
}
