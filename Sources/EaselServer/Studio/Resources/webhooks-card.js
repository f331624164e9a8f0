// Webhooks on the account page: endpoints (URL, events, enabled or disabled with the reason), a test
// delivery, each endpoint's delivery log (status, attempts, answer, latency) with a replay button, and a
// form that makes one and shows its signing secret once.
import { api } from "./api.js";
import { h, field, empty, when, showError, busy, toast } from "./ui.js";
import { secretPanel } from "./secret-once.js";

const EVENTS = ["job.succeeded", "job.failed", "job.cancelled", "batch.completed", "review.approved", "review.rejected", "review.changes_requested"];

export function webhooksCard() {
  const errors = h("div");
  const secretSlot = h("div");
  const list = h("div", { class: "webhook-list", "data-testid": "webhook-list" });
  const url = h("input", { "data-testid": "webhook-url", type: "url", placeholder: "https://example.com/easel-hook", autocomplete: "off" });
  const boxes = EVENTS.map((event) => h("input", { type: "checkbox", value: event, "data-testid": `webhook-event-${event}`, checked: event.startsWith("job.s") || event === "job.failed" }));
  const events = h("fieldset", { class: "webhook-events" }, h("legend", {}, "Events"),
    ...boxes.map((box) => h("label", { class: "check" }, box, " ", box.value)));
  const create = h("button", { class: "btn", type: "submit", "data-testid": "webhook-create" }, "Add endpoint");
  const form = h("form", { class: "stack webhook-form" }, field("Endpoint URL", url, "Easel POSTs signed JSON (Standard Webhooks) here."), events, h("div", {}, create));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(create, async () => {
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      const made = await api("/api/webhooks", { method: "POST", json: { url: url.value.trim(), events: chosen } });
      url.value = "";
      secretSlot.replaceChildren(secretPanel(made.secret, {
        title: "Signing secret of the new endpoint",
        keeping: "Check each delivery's webhook-signature with it. If you lose it, delete the endpoint and add it again.",
      }));
      await load();
    }, errors);
  });

  async function load() {
    try {
      const { data } = await api("/api/webhooks");
      const shown = data.filter((endpoint) => !endpoint.from_request || endpoint.disabled);
      list.replaceChildren(...(shown.length ? shown.map(row) : [empty("No webhook endpoints yet.")]));
    } catch (error) {
      showError(list, error);
    }
  }

  function row(endpoint) {
    const log = h("div", { class: "webhook-log", hidden: true, "data-testid": "webhook-log" });
    const status = endpoint.disabled
      ? h("span", { class: "chip bad", title: endpoint.disabled_reason || "" }, "Disabled")
      : h("span", { class: "chip good" }, "Active");
    const actions = h("div", { class: "row webhook-actions" });
    const test = h("button", { class: "btn secondary small", type: "button", "data-testid": "webhook-test" }, "Send a test");
    test.addEventListener("click", () => busy(test, async () => {
      await api(`/api/webhooks/${encodeURIComponent(endpoint.id)}/test`, { method: "POST", json: {} });
      toast("A test delivery is on its way.");
      log.hidden = false;
      setTimeout(() => drawLog(endpoint, log), 800);
    }, errors));
    const toggle = h("button", { class: "btn ghost small", type: "button", "data-testid": "webhook-deliveries", "aria-expanded": "false" }, "Deliveries");
    toggle.addEventListener("click", () => {
      log.hidden = !log.hidden;
      toggle.setAttribute("aria-expanded", String(!log.hidden));
      if (!log.hidden) drawLog(endpoint, log);
    });
    actions.append(test, toggle);
    if (endpoint.disabled) {
      const enable = h("button", { class: "btn secondary small", type: "button", "data-testid": "webhook-enable" }, "Enable again");
      enable.addEventListener("click", () => busy(enable, async () => {
        await api(`/api/webhooks/${encodeURIComponent(endpoint.id)}/enable`, { method: "POST", json: {} });
        await load();
      }, errors));
      actions.append(enable);
    }
    const remove = h("button", { class: "btn ghost small", type: "button", "data-testid": "webhook-delete", "aria-label": `Delete the endpoint ${endpoint.url}` }, "Delete");
    remove.addEventListener("click", () => busy(remove, async () => {
      await api(`/api/webhooks/${encodeURIComponent(endpoint.id)}`, { method: "DELETE" });
      await load();
    }, errors));
    actions.append(remove);
    return h("div", { class: "webhook-row", "data-testid": "webhook-row", "data-endpoint-id": endpoint.id },
      h("div", { class: "webhook-main" }, h("strong", { class: "mono webhook-url" }, endpoint.url), status),
      h("div", { class: "muted small-print" }, endpoint.events.join(", ") || "its own requests' events",
        endpoint.disabled_reason ? h("div", { class: "error-text" }, endpoint.disabled_reason) : null),
      actions, log);
  }

  async function drawLog(endpoint, log) {
    try {
      const { data } = await api(`/api/webhooks/${encodeURIComponent(endpoint.id)}/deliveries?limit=20`);
      if (!data.length) return log.replaceChildren(h("p", { class: "muted" }, "Nothing sent yet."));
      log.replaceChildren(h("table", { class: "webhook-table" },
        h("thead", {}, h("tr", {}, ...["Event", "Status", "Tries", "Answer", "Time", "When", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...data.map((delivery) => {
          const replay = h("button", { class: "btn ghost small", type: "button", "data-testid": "webhook-replay", "aria-label": `Send ${delivery.event} again` }, "Replay");
          replay.addEventListener("click", () => busy(replay, async () => {
            await api(`/api/webhooks/${encodeURIComponent(endpoint.id)}/deliveries/${encodeURIComponent(delivery.id)}/replay`, { method: "POST", json: {} });
            toast(`${delivery.event} is sent again.`);
            setTimeout(() => drawLog(endpoint, log), 800);
          }, errors));
          return h("tr", { "data-testid": "webhook-delivery", "data-status": delivery.status },
            h("td", {}, delivery.event), h("td", {}, delivery.status), h("td", {}, String(delivery.attempts)),
            h("td", {}, delivery.last_status != null ? `HTTP ${delivery.last_status}` : (delivery.last_error || "—")),
            h("td", {}, delivery.latency_ms != null ? `${delivery.latency_ms} ms` : "—"),
            h("td", {}, when(delivery.created_at)), h("td", {}, replay));
        }))));
    } catch (error) {
      showError(log, error);
    }
  }

  const card = h("section", { class: "card", "aria-labelledby": "webhooks-title", "data-testid": "webhooks-card" },
    h("h2", { id: "webhooks-title" }, "Webhooks"),
    h("p", { class: "muted" }, "Easel tells your server when jobs, batches and reviews finish: signed, retried for a day, with a log of every delivery."),
    form, errors, secretSlot, list);
  load();
  return card;
}
