// Account: the plan and its limits, images left today, the balance as money, usage by day as a small chart,
// and API keys (create, shown once; revoke, after a confirm). Redraws when other pages report changes.
import { webhooksCard } from "./webhooks-card.js";
import { api } from "./api.js";
import { busy, empty, field, h, heading, money, plural, select, showError, toast, when } from "./ui.js";
import { usageChart } from "./usage-chart.js";
import { secretPanel } from "./secret-once.js";

/// replaceChildren that skips the null of a `cond ? node : null`.
const fill = (el, ...children) => el.replaceChildren(...children.filter(Boolean));

function megapixels(pixels) {
  return (pixels / 1_000_000).toFixed(pixels >= 10_000_000 ? 0 : 1) + " MP";
}

/// The plan's limits as a definition list; a missing limit reads "no limit".
export function planLimits(plan) {
  const none = h("span", { class: "muted" }, "no limit");
  const rows = [
    ["Images a day", plan.images_per_day ?? none],
    ["Images a minute", plan.images_per_minute ?? none],
    ["Images per request", plan.max_n],
    ["Largest image", plan.max_pixels ? megapixels(plan.max_pixels) : none],
    ["Jobs at once", plan.concurrent_jobs ?? none],
    ["Models", plan.models ? plan.models.join(", ") : "all"],
  ];
  if (plan.qualities) rows.push(["Qualities", plan.qualities.join(", ")]);
  if (plan.budget_usd) rows.push(["Budget", `${money(plan.budget_usd)} ${plan.budget_period === "monthly" ? "a month" : "a day"}`]);
  return h("dl", { class: "kv" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v instanceof Node ? v.cloneNode(true) : String(v))]));
}

export async function render(view, ctx) {
  document.title = "Account · Easel studio";
  let me = (await ctx.refreshMe()) || ctx.me;
  let days = Number(ctx.query.get("days")) || 30;
  if (![7, 14, 30, 90].includes(days)) days = 30;
  const isGuest = me.role === "guest";
  let chart = null;
  let alive = true;

  // Plan, images left, balance.
  const plan = h("div", { class: "card stat", "data-testid": "account-plan" });
  const left = h("div", { class: "card stat", "data-testid": "account-images-left" });
  const balance = h("div", { class: "card stat", "data-testid": "account-balance" });
  const drawStats = () => {
    fill(plan,
      h("h2", {}, "Plan"),
      h("p", { class: "stat-value" }, me.plan.name),
      planLimits(me.plan),
    );
    const remaining = me.today.images_remaining;
    const perDay = me.plan.images_per_day;
    left.dataset.remaining = remaining === null ? "" : String(remaining);
    fill(left,
      h("h2", {}, "Images left today"),
      remaining === null
        ? h("p", { class: "stat-value" }, "No daily limit")
        : h("p", { class: "stat-value" }, h("span", { "data-testid": "images-left-count" }, String(remaining)), h("span", { class: "stat-of" }, ` of ${perDay}`)),
      remaining === null ? null : h("div", { class: "bar", role: "meter", "aria-label": "Images left today", "aria-valuemin": 0, "aria-valuemax": perDay, "aria-valuenow": remaining },
        h("span", { style: { width: `${perDay ? Math.round((remaining / perDay) * 100) : 0}%` } })),
      h("p", { class: "muted" }, `${plural(me.today.images_used, "image")} made today (${me.today.day}). The count starts again at midnight UTC.`),
    );
    fill(balance,
      h("h2", {}, "Balance"),
      h("p", { class: "stat-value", "data-testid": "balance-value" }, money(me.balance_usd)),
      h("p", { class: "muted" }, Number(me.balance_usd) > 0
        ? "Paid models take their cost from this balance; the draft renderer is free."
        : "The draft renderer is free. For paid models, ask an admin for credits."),
      me.active_jobs ? h("p", { class: "muted" }, `${plural(me.active_jobs, "job")} running now.`) : null,
    );
  };
  drawStats();

  // Usage by day.
  const usageBox = h("div", { class: "usage-body" });
  const usageTotals = h("p", { class: "muted", "data-testid": "usage-totals" });
  const daysPicker = select([7, 14, 30, 90].map((n) => ({ value: String(n), label: `Last ${n} days` })), String(days), { "data-testid": "usage-days", "aria-label": "Period" });
  const usageCard = h("section", { class: "card", "aria-labelledby": "usage-title" },
    h("div", { class: "heading small" }, h("h2", { id: "usage-title" }, "Usage by day"), h("div", { class: "actions" }, daysPicker)),
    usageTotals, usageBox);
  const loadUsage = async () => {
    try {
      const usage = await api(`/api/usage?days=${days}`);
      if (!alive) return;
      if (chart) chart.stop();
      chart = usageChart(usage, {
        today: me.today.day,
        emptyText: `No images in the last ${days} days yet.`,
        action: h("a", { class: "btn secondary", href: "/create" }, "Make one on Create"),
      });
      usageTotals.textContent = `${plural(usage.total_images, "image")} since ${usage.from}, ${money(usage.total_cost_usd)} spent`
        + (Number(usage.total_saved_usd) > 0 ? `, ${money(usage.total_saved_usd)} saved with economy` : "") + ".";
      usageBox.replaceChildren(chart.element);
    } catch (error) {
      showError(usageBox, error);
    }
  };
  daysPicker.addEventListener("change", () => {
    days = Number(daysPicker.value);
    history.replaceState(null, "", `/account?days=${days}`);
    loadUsage();
  });

  // API keys.
  const keyErrors = h("div");
  const secretSlot = h("div");
  const keyList = h("div", { class: "key-list", "data-testid": "key-list" });
  const drawKeys = (keys) => {
    const sorted = [...keys].sort((a, b) => (a.revoked_at ? 1 : 0) - (b.revoked_at ? 1 : 0) || b.created_at - a.created_at);
    if (!sorted.length) {
      keyList.replaceChildren(empty(isGuest ? "Guests have no API keys." : "No API keys yet. Create one to call Easel from your code."));
      return;
    }
    keyList.replaceChildren(...sorted.map((key) => {
      const status = h("div", { class: "key-actions" });
      const row = h("div", { class: "key-row" + (key.revoked_at ? " revoked" : ""), "data-testid": "key-row", "data-key-id": key.id },
        h("div", { class: "key-main" },
          h("strong", { class: "key-label" }, key.name || "Unnamed key"),
          h("span", { class: "mono muted" }, key.prefix + "…")),
        h("div", { class: "muted key-when" }, "Created " + when(key.created_at)),
        status);
      const drawStatus = () => {
        if (key.revoked_at) {
          status.replaceChildren(h("span", { class: "chip bad", "data-testid": "key-revoked" }, "Revoked " + when(key.revoked_at)));
          return;
        }
        const revoke = h("button", { class: "btn secondary small", type: "button", "data-testid": "key-revoke", "aria-label": `Revoke ${key.name || key.prefix}` }, "Revoke");
        revoke.addEventListener("click", () => {
          const yes = h("button", { class: "btn danger small", type: "button", "data-testid": "key-revoke-confirm" }, "Yes, revoke");
          const no = h("button", { class: "btn ghost small", type: "button", "data-testid": "key-revoke-cancel" }, "Keep it");
          no.addEventListener("click", () => { drawStatus(); status.querySelector("button").focus(); });
          yes.addEventListener("click", () => busy(yes, async () => {
            await api(`/api/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
            toast(`Revoked ${key.name || key.prefix}. Programs using it now get 401.`);
            await loadKeys();
          }, keyErrors));
          status.replaceChildren(h("span", { class: "muted" }, "Programs using it will stop working."), yes, no);
          no.focus();
        });
        status.replaceChildren(h("span", { class: "chip good" }, "Active"), revoke);
      };
      drawStatus();
      return row;
    }));
  };
  const loadKeys = async () => {
    try {
      const list = await api("/api/keys");
      if (alive) drawKeys(list.data);
    } catch (error) {
      showError(keyList, error);
    }
  };

  let createForm;
  if (isGuest) {
    createForm = h("p", { class: "notice", "data-testid": "key-guest-note" },
      "Guests cannot have API keys. Ask an admin for an account, then log in with it to create keys here.");
  } else {
    const name = h("input", { "data-testid": "key-name", maxlength: 64, placeholder: "e.g. laptop, CI, website", autocomplete: "off" });
    const create = h("button", { class: "btn", type: "submit", "data-testid": "key-create" }, "Create key");
    createForm = h("form", { class: "row key-form" }, field("Name of the new key", name, "So you can tell your keys apart later."), h("div", { class: "key-submit" }, create));
    createForm.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(create, async () => {
        const made = await api("/api/keys", { method: "POST", json: name.value.trim() ? { name: name.value.trim() } : {} });
        name.value = "";
        secretSlot.replaceChildren(secretPanel(made.key, { title: `New key${made.name ? ` “${made.name}”` : ""}`, onDone: () => name.focus() }));
        secretSlot.querySelector('[data-testid="key-copy"]').focus();
        await loadKeys();
      }, keyErrors);
    });
  }
  const keysCard = h("section", { class: "card", "aria-labelledby": "keys-title" },
    h("h2", { id: "keys-title" }, "API keys"),
    h("p", { class: "muted" }, "A key lets a program use Easel as you (Authorization: Bearer <key>), with your plan and balance."),
    createForm, keyErrors, secretSlot, isGuest ? null : keyList);

  view.append(
    heading("Account", h("span", { class: "muted account-name" }, `${me.name} · ${me.role}`)),
    h("div", { class: "account" },
      h("div", { class: "account-stats" }, left, balance, plan),
      usageCard,
      keysCard,
      isGuest ? null : webhooksCard()),
  );
  await Promise.all([loadUsage(), isGuest ? null : loadKeys()]);

  // Other pages (and this one, via the header) announce finished work: redraw with the new numbers.
  const changed = async () => {
    try {
      me = await api("/api/me");
      if (!alive) return;
      drawStats();
      loadUsage();
    } catch (_) { /* signed out: the shell takes over */ }
  };
  window.addEventListener("easel:changed", changed);
  return () => {
    alive = false;
    if (chart) chart.stop();
    window.removeEventListener("easel:changed", changed);
  };
}
