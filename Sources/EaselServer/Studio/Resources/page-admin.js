// Admin (admins only): users and plans, credits, the reports queue with hide/delete, moderation events,
// usage across users, and jobs with queue health. Sections are tabs; the tab is kept in the URL (?tab=) so a
// reload stays put. Anyone else sees a plain "admins only" page and no request is made.
import { api } from "./api.js";
import { busy, empty, field, h, heading, money, plural, select, showError, toast, when } from "./ui.js";
import { usageChart } from "./usage-chart.js";
import { secretPanel } from "./secret-once.js";

const TABS = [
  ["users", "Users & plans"],
  ["reports", "Reports"],
  ["moderation", "Moderation"],
  ["usage", "Usage"],
  ["jobs", "Jobs & queue"],
];
const STATUSES = ["queued", "running", "retry_wait", "succeeded", "failed", "cancelled"];
const KINDS = ["prompt_blocked", "upstream_blocked", "report", "hidden", "deleted"];

const statusChip = (status) => h("span", {
  class: "chip " + ({ succeeded: "good", failed: "bad", cancelled: "", queued: "warn", retry_wait: "warn", running: "warn" }[status] || ""),
  "data-testid": "status",
}, status.replaceAll("_", " "));

export async function render(view, ctx) {
  document.title = "Admin · Easel studio";
  if (!ctx.me || ctx.me.role !== "admin") {
    view.append(
      heading("Admin"),
      h("div", { class: "empty admin-only", "data-testid": "admin-only" },
        h("h2", {}, "Admins only"),
        h("p", {}, "This page is for the people who run this Easel: users, plans, credits and moderation."),
        h("p", {}, "If you need a bigger plan or credits, ask an admin. Your own plan and usage are on your account page."),
        h("a", { class: "btn secondary", href: "/account" }, "Go to Account")),
    );
    return;
  }

  let alive = true;
  const timers = new Set();
  const stops = new Set();
  let users = [];
  const userName = (id) => (users.find((u) => u.id === id) || {}).name || id || "—";
  let tab = TABS.some(([id]) => id === ctx.query.get("tab")) ? ctx.query.get("tab") : "users";

  const tabButtons = new Map();
  const panels = new Map();
  const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "Admin sections" });
  for (const [id, label] of TABS) {
    const button = h("button", {
      class: "tab", type: "button", role: "tab", id: `admin-tab-${id}`, "aria-controls": `admin-panel-${id}`,
      "data-testid": `admin-tab-${id}`,
    }, label, id === "reports" ? h("span", { class: "chip count", "data-testid": "report-count", hidden: true }) : null);
    button.addEventListener("click", () => show(id, true));
    button.addEventListener("keydown", (event) => {
      const i = TABS.findIndex(([t]) => t === id);
      const to = event.key === "ArrowRight" ? (i + 1) % TABS.length : event.key === "ArrowLeft" ? (i - 1 + TABS.length) % TABS.length : -1;
      if (to < 0) return;
      event.preventDefault();
      show(TABS[to][0], true);
      tabButtons.get(TABS[to][0]).focus();
    });
    tabButtons.set(id, button);
    tablist.append(button);
    panels.set(id, h("section", { class: "tab-panel", role: "tabpanel", id: `admin-panel-${id}`, "aria-labelledby": `admin-tab-${id}`, hidden: true }));
  }
  const loaded = new Set();
  const loaders = {};
  function show(id, push) {
    tab = id;
    for (const [t, button] of tabButtons) {
      button.setAttribute("aria-selected", String(t === id));
      button.tabIndex = t === id ? 0 : -1;
      panels.get(t).hidden = t !== id;
    }
    if (push) tabButtons.get(id).scrollIntoView({ block: "nearest", inline: "nearest" });
    if (push) history.replaceState(null, "", id === "users" ? "/admin" : `/admin?tab=${id}`);
    if (id === "jobs") startQueuePolling(); else stopQueuePolling();
    if (loaded.has(id)) return Promise.resolve();
    loaded.add(id);
    return loaders[id]();
  }

  // ---------------------------------------------------------------- Users & plans
  // Every plan the server offers (`GET /api/admin/plans`), including config-only ones nobody is on yet.
  let offeredPlans = ["registered"];
  const planNames = () => [...new Set([...offeredPlans, ...users.map((u) => u.plan.name)])];
  const usersErrors = h("div");
  const userList = h("div", { class: "admin-list", "data-testid": "admin-users" });
  const filter = h("input", { type: "search", "data-testid": "admin-user-filter", placeholder: "Filter by name", "aria-label": "Filter users by name" });
  filter.addEventListener("input", () => drawUsers());

  const newName = h("input", { "data-testid": "admin-new-user-name", autocomplete: "off", required: true, maxlength: 64 });
  const newPassword = h("input", { type: "password", "data-testid": "admin-new-user-password", autocomplete: "new-password", minlength: 8 });
  const newPlan = select(offeredPlans, "registered", { "data-testid": "admin-new-user-plan" });
  const newRole = select([{ value: "user", label: "user" }, { value: "admin", label: "admin" }], "user", { "data-testid": "admin-new-user-role" });
  const createButton = h("button", { class: "btn", type: "submit", "data-testid": "admin-create-user" }, "Create user");
  const createErrors = h("div");
  const createdSlot = h("div");
  const createForm = h("form", { class: "stack" },
    h("div", { class: "row" },
      field("User name", newName, "Letters, digits, . _ - @"),
      field("Password", newPassword, "8 or more characters; empty for a key-only user."),
      field("Plan", newPlan, "Images a day, models, sizes."),
      field("Role", newRole, "Admins can open this page."),
      h("div", { class: "form-go" }, createButton)),
    createErrors, createdSlot);
  createForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(createButton, async () => {
      const body = { name: newName.value.trim(), plan: newPlan.value, role: newRole.value };
      if (newPassword.value) body.password = newPassword.value;
      const user = await api("/api/admin/users", { method: "POST", json: body });
      newName.value = "";
      newPassword.value = "";
      toast(`Created ${user.name} on ${user.plan.name}.`);
      createdSlot.replaceChildren(h("p", { class: "notice", "data-testid": "admin-created" },
        `${user.name} can now ${body.password ? "log in with that password" : "use a key you make for them below"}.`));
      await loadUsers();
    }, createErrors);
  });

  const dailyLimit = (plan) => (plan.images_per_day === null ? "no daily limit" : `${plan.images_per_day} images a day`);
  function userRow(user) {
    const limitText = h("small", { class: "muted", "data-testid": "admin-user-limit" }, dailyLimit(user.plan));
    const balance = h("span", { class: "mono", "data-testid": "admin-user-balance" }, money(user.balance_usd));
    const planSelect = select(planNames(), user.plan.name, { "data-testid": "admin-plan-select", "aria-label": `Plan of ${user.name}` });
    planSelect.addEventListener("change", () => busy(planSelect, async () => {
      const changed = await api(`/api/admin/users/${encodeURIComponent(user.id)}`, { method: "PATCH", json: { plan: planSelect.value } });
      Object.assign(user, changed);
      limitText.textContent = dailyLimit(changed.plan);
      toast(`${user.name} is now on ${changed.plan.name}.`);
      if (user.id === ctx.me.id) window.dispatchEvent(new Event("easel:changed"));
    }, rowErrors).then(() => { planSelect.value = user.plan.name; }));
    const amount = h("input", {
      type: "number", step: "0.01", inputmode: "decimal", placeholder: "10.00", "data-testid": "admin-credit-amount",
      "aria-label": `Credits for ${user.name} in US dollars`, class: "credit-amount",
    });
    const grant = h("button", { class: "btn secondary small", type: "submit", "data-testid": "admin-credit-grant" }, "Grant");
    const creditForm = h("form", { class: "credit-form" }, h("span", { class: "muted", "aria-hidden": "true" }, "$"), amount, grant);
    creditForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const usd = amount.value.trim();
      if (!usd || !Number.isFinite(Number(usd)) || Number(usd) === 0) {
        rowErrors.replaceChildren(h("p", { class: "warning" }, "Type an amount in dollars, such as 10.00 (a negative amount takes credits away)."));
        amount.focus();
        return;
      }
      busy(grant, async () => {
        const result = await api(`/api/admin/users/${encodeURIComponent(user.id)}/credits`, { method: "POST", json: { usd: Number(usd).toFixed(2), note: "studio admin" } });
        user.balance_usd = result.balance_usd;
        balance.textContent = money(result.balance_usd);
        amount.value = "";
        toast(`${Number(result.granted_usd) < 0 ? "Took" : "Granted"} ${money(result.granted_usd.replace("-", ""))} ${Number(result.granted_usd) < 0 ? "from" : "to"} ${user.name}; balance ${money(result.balance_usd)}.`);
        if (user.id === ctx.me.id) window.dispatchEvent(new Event("easel:changed"));
      }, rowErrors);
    });
    const keyButton = h("button", { class: "btn ghost small", type: "button", "data-testid": "admin-user-key" }, "New key");
    const secretSlot = h("div");
    keyButton.addEventListener("click", () => busy(keyButton, async () => {
      const made = await api(`/api/admin/users/${encodeURIComponent(user.id)}/keys`, { method: "POST", json: { name: "made by an admin" } });
      secretSlot.replaceChildren(secretPanel(made.key, { title: `New key for ${user.name}` }));
    }, rowErrors));
    const rowErrors = h("div", { class: "row-errors" });

    // Role and disabling: not for oneself (the server refuses it too), so an admin cannot lock themselves out.
    const self = user.id === ctx.me.id;
    const role = self
      ? h("span", { class: "chip warn" }, user.role)
      : select(["user", "admin", "guest"], user.role, { "data-testid": "admin-role-select", "aria-label": `Role of ${user.name}` });
    if (!self) {
      role.addEventListener("change", () => busy(role, async () => {
        Object.assign(user, await api(`/api/admin/users/${encodeURIComponent(user.id)}`, { method: "PATCH", json: { role: role.value } }));
        toast(`${user.name} is now ${user.role === "admin" ? "an admin" : "a " + user.role}.`);
      }, rowErrors).then(() => { role.value = user.role; }));
    }
    const disable = self ? null : h("button", {
      class: "btn small " + (user.disabled ? "secondary" : "ghost"), type: "button", "data-testid": "admin-user-disable", "aria-pressed": String(!!user.disabled),
    }, user.disabled ? "Enable" : "Disable");
    disable?.addEventListener("click", () => busy(disable, async () => {
      Object.assign(user, await api(`/api/admin/users/${encodeURIComponent(user.id)}`, { method: "PATCH", json: { disabled: !user.disabled } }));
      disable.textContent = user.disabled ? "Enable" : "Disable";
      disable.setAttribute("aria-pressed", String(user.disabled));
      row.classList.toggle("disabled", user.disabled);
      toast(user.disabled ? `${user.name} is disabled: their keys and sessions stop working.` : `${user.name} is enabled again.`);
    }, rowErrors));

    const row = h("div", { class: "admin-row user-row" + (user.disabled ? " disabled" : ""), "data-testid": "admin-user-row", "data-user-id": user.id, "data-user-name": user.name },
      h("div", { class: "who-cell" },
        h("strong", { "data-testid": "admin-user-name" }, user.name),
        role,
        h("div", { class: "muted small" }, `since ${when(user.created_at)}`, user.active_jobs ? ` · ${plural(user.active_jobs, "job")} running` : "")),
      h("div", { class: "plan-cell" }, planSelect, limitText),
      h("div", { class: "balance-cell" }, h("small", { class: "muted" }, "Balance "), balance),
      h("div", { class: "credit-cell" }, creditForm),
      h("div", { class: "key-cell" }, keyButton, disable),
      rowErrors, secretSlot);
    return row;
  }
  function drawUsers() {
    const q = filter.value.trim().toLowerCase();
    const shown = users.filter((u) => !q || u.name.toLowerCase().includes(q));
    const guests = users.filter((u) => u.role === "guest").length;
    usersCount.textContent = `${plural(users.length, "user")}${guests ? `, ${guests} of them guests` : ""}.`;
    userList.replaceChildren(...(shown.length ? shown.map(userRow) : [empty(q ? `No user name contains “${q}”.` : "No users yet.")]));
  }
  const usersCount = h("p", { class: "muted" });
  async function loadUsers() {
    try {
      const [list, offered] = await Promise.all([api("/api/admin/users"), api("/api/admin/plans")]);
      offeredPlans = offered.data.map((plan) => plan.name);
      users = list.data.sort((a, b) => b.created_at - a.created_at || a.name.localeCompare(b.name));
      const plans = planNames();
      const chosen = newPlan.value;
      newPlan.replaceChildren(...select(plans, chosen).children);
      newPlan.value = chosen;
      if (alive) drawUsers();
    } catch (error) {
      showError(usersErrors, error);
    }
  }
  panels.get("users").append(
    h("div", { class: "card" }, h("h2", {}, "New user"), createForm),
    h("div", { class: "card" },
      h("div", { class: "heading small" }, h("h2", {}, "Users"), h("div", { class: "actions" }, filter)),
      usersCount, usersErrors, userList),
  );
  loaders.users = loadUsers;

  // ---------------------------------------------------------------- Reports
  const reportList = h("div", { class: "admin-list", "data-testid": "admin-reports" });
  const reportErrors = h("div");
  const reportCount = tablist.querySelector('[data-testid="report-count"]');
  function drawReportCount(n) {
    reportCount.hidden = !n;
    reportCount.textContent = String(n);
    tabButtons.get("reports").setAttribute("aria-label", `Reports, ${plural(n, "open report")}`);
  }
  function reportRow(report, rows) {
    const actions = h("div", { class: "report-actions" });
    // The report carries a signed thumbnail link: an admin sees what was reported without owning it.
    const picture = report.signed_thumbnail_url
      ? h("img", { src: report.signed_thumbnail_url, alt: "Reported image", loading: "lazy", width: 256, height: 256, class: "thumb report-thumb" })
      : h("div", { class: "report-thumb no-preview", "aria-hidden": "true" }, h("span", {}, "No preview"), h("small", {}, "the image is gone"));
    const row = h("div", { class: "admin-row report-row", "data-testid": "report-row", "data-asset-id": report.asset_id || "" },
      picture,
      h("div", { class: "report-body" },
        h("div", {}, h("span", { class: "mono", "data-testid": "report-asset" }, report.asset_id || "—"), " ", h("span", { class: "chip warn" }, "open")),
        h("p", { class: "report-reason" }, report.detail ? `“${report.detail}”` : h("span", { class: "muted" }, "No reason given.")),
        h("p", { class: "muted small" }, `Reported by ${userName(report.user_id)} · ${when(report.created_at)}`, report.job_id ? ` · job ${report.job_id}` : "")),
      actions);
    const done = (verb) => {
      const i = rows.indexOf(report);
      if (i >= 0) rows.splice(i, 1);
      row.remove();
      drawReportCount(rows.length);
      toast(`${report.asset_id} ${verb}.`);
      if (!rows.length) reportList.replaceChildren(empty("No open reports. Reported images show up here."));
      loaded.delete("moderation");
    };
    const drawActions = () => {
      const hide = h("button", { class: "btn secondary small", type: "button", "data-testid": "report-hide" }, "Hide");
      const del = h("button", { class: "btn danger small", type: "button", "data-testid": "report-delete" }, "Delete");
      hide.addEventListener("click", () => busy(hide, async () => {
        await api(`/api/admin/assets/${encodeURIComponent(report.asset_id)}/hide`, { method: "POST" });
        done("hidden from everyone but admins");
      }, reportErrors));
      del.addEventListener("click", () => {
        const yes = h("button", { class: "btn danger small", type: "button", "data-testid": "report-delete-confirm" }, "Yes, delete");
        const no = h("button", { class: "btn ghost small", type: "button", "data-testid": "report-delete-cancel" }, "Keep");
        no.addEventListener("click", () => { drawActions(); actions.querySelector("button").focus(); });
        yes.addEventListener("click", () => busy(yes, async () => {
          await api(`/api/admin/assets/${encodeURIComponent(report.asset_id)}`, { method: "DELETE" });
          done("deleted");
        }, reportErrors));
        actions.replaceChildren(h("span", { class: "muted small" }, "Delete for good?"), yes, no);
        no.focus();
      });
      actions.replaceChildren(hide, del);
    };
    drawActions();
    return row;
  }
  async function loadReports() {
    try {
      const [list] = await Promise.all([api("/api/admin/reports"), users.length ? null : loadUsers()]);
      if (!alive) return;
      const rows = list.data;
      drawReportCount(rows.length);
      reportList.replaceChildren(...(rows.length ? rows.map((r) => reportRow(r, rows)) : [empty("No open reports. Reported images show up here.")]));
    } catch (error) {
      showError(reportErrors, error);
    }
  }
  const reloadReports = h("button", { class: "btn secondary small", type: "button", "data-testid": "admin-reports-refresh" }, "Refresh");
  reloadReports.addEventListener("click", () => busy(reloadReports, loadReports, reportErrors));
  panels.get("reports").append(h("div", { class: "card" },
    h("div", { class: "heading small" }, h("h2", {}, "Open reports"), h("div", { class: "actions" }, reloadReports)),
    h("p", { class: "muted" }, "Hiding takes the image away from its owner, galleries, share links and file links at once. Deleting removes it for good. Both close its reports."),
    reportErrors, reportList));
  loaders.reports = loadReports;

  // ---------------------------------------------------------------- Moderation events
  const kindPicker = select([{ value: "", label: "Every kind" }, ...KINDS.map((k) => ({ value: k, label: k.replaceAll("_", " ") }))], "", { "data-testid": "admin-moderation-kind", "aria-label": "Kind of event" });
  const moderationList = h("div", { class: "table-wrap", "data-testid": "admin-moderation" });
  async function loadModeration() {
    try {
      const list = await api("/api/admin/moderation" + (kindPicker.value ? `?kind=${kindPicker.value}` : ""));
      if (!users.length) await loadUsers();
      if (!alive) return;
      if (!list.data.length) {
        moderationList.replaceChildren(empty(kindPicker.value ? `No ${kindPicker.value.replaceAll("_", " ")} events.` : "No moderation events yet: blocked prompts, reports, hides and deletes appear here."));
        return;
      }
      moderationList.replaceChildren(h("table", { class: "events" },
        h("thead", {}, h("tr", {}, ["When", "Kind", "User", "Image / job", "Detail", "Status"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, list.data.map((e) => h("tr", { "data-testid": "moderation-row", "data-kind": e.kind },
          h("td", { class: "nowrap", "data-label": "When" }, when(e.created_at)),
          h("td", { "data-label": "Kind" }, h("span", { class: "chip" + (e.kind.endsWith("blocked") ? " bad" : e.kind === "report" ? " warn" : "") }, e.kind.replaceAll("_", " "))),
          h("td", { "data-label": "User" }, userName(e.user_id)),
          h("td", { class: "mono", "data-label": e.asset_id ? "Image" : "Job" }, e.asset_id || e.job_id || "—"),
          h("td", { class: "detail", "data-label": "Detail" }, [e.category, e.detail].filter(Boolean).join(": ") || "—"),
          h("td", { "data-label": "Status" }, e.status))))));
    } catch (error) {
      showError(moderationList, error);
    }
  }
  kindPicker.addEventListener("change", loadModeration);
  panels.get("moderation").append(h("div", { class: "card" },
    h("div", { class: "heading small" }, h("h2", {}, "Moderation events"), h("div", { class: "actions" }, kindPicker)),
    moderationList));
  loaders.moderation = loadModeration;

  // ---------------------------------------------------------------- Usage across users
  const usageDays = select([7, 30, 90].map((n) => ({ value: String(n), label: `Last ${n} days` })), "30", { "data-testid": "admin-usage-days", "aria-label": "Period" });
  const usageBox = h("div", { class: "stack", "data-testid": "admin-usage" });
  async function loadUsage() {
    try {
      const [usage] = await Promise.all([api(`/api/admin/usage?days=${usageDays.value}`), users.length ? null : loadUsers()]);
      if (!alive) return;
      const perUser = new Map();
      const perModel = new Map();
      for (const row of usage.data) {
        const u = perUser.get(row.user_id) || { images: 0, jobs: 0, cost: 0, saved: 0 };
        u.images += row.images; u.jobs += row.jobs; u.cost += Number(row.cost_usd); u.saved += Number(row.saved_usd);
        perUser.set(row.user_id, u);
        const m = perModel.get(row.model) || { images: 0, cost: 0 };
        m.images += row.images; m.cost += Number(row.cost_usd);
        perModel.set(row.model, m);
      }
      for (const stop of stops) stop();
      stops.clear();
      const chart = usageChart(usage, { today: ctx.me.today.day, label: "Images per day, everyone", emptyText: `No images in the last ${usageDays.value} days.` });
      stops.add(chart.stop);
      const rows = [...perUser.entries()].sort((a, b) => b[1].cost - a[1].cost || b[1].images - a[1].images);
      usageBox.replaceChildren(...[
        h("dl", { class: "kv totals" },
          h("dt", {}, "Images"), h("dd", { "data-testid": "admin-usage-images" }, String(usage.total_images)),
          h("dt", {}, "Spent"), h("dd", { "data-testid": "admin-usage-cost" }, money(usage.total_cost_usd)),
          h("dt", {}, "Saved (economy)"), h("dd", {}, money(usage.total_saved_usd)),
          h("dt", {}, "Users"), h("dd", {}, String(perUser.size)),
          h("dt", {}, "Models"), h("dd", {}, [...perModel.entries()].map(([m, v]) => `${m}: ${v.images} (${money(v.cost)})`).join(", ") || "—")),
        chart.element,
        rows.length ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, ["User", "Images", "Jobs", "Spent", "Saved"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows.map(([id, u]) => h("tr", { "data-testid": "admin-usage-row", "data-user-id": id },
            h("td", {}, userName(id)), h("td", {}, String(u.images)), h("td", {}, String(u.jobs)), h("td", {}, money(u.cost)), h("td", {}, money(u.saved))))))) : null,
      ].filter(Boolean));
    } catch (error) {
      showError(usageBox, error);
    }
  }
  usageDays.addEventListener("change", loadUsage);
  panels.get("usage").append(h("div", { class: "card" },
    h("div", { class: "heading small" }, h("h2", {}, "Usage across users"), h("div", { class: "actions" }, usageDays)),
    usageBox));
  loaders.usage = loadUsage;

  // ---------------------------------------------------------------- Jobs and queue health
  const queueBox = h("div", { class: "queue-counts", "data-testid": "admin-queue", "aria-live": "polite" });
  const queueErrors = h("div");
  const queueWhen = h("small", { class: "muted" });
  async function loadQueue() {
    try {
      const queue = await api("/api/admin/queue");
      if (!alive) return;
      const names = [...new Set([...STATUSES, ...Object.keys(queue.counts)])];
      queueBox.replaceChildren(...names.map((s) => h("div", { class: "count-tile", "data-testid": "queue-count", "data-status": s },
        h("span", { class: "count-value" }, String(queue.counts[s] ?? 0)), h("span", { class: "muted" }, s.replaceAll("_", " ")))));
      queueWhen.textContent = "Updated " + new Date().toLocaleTimeString();
      queueErrors.replaceChildren();
    } catch (error) {
      showError(queueErrors, error);
    }
  }
  let poll = null;
  function startQueuePolling() {
    if (poll) return;
    poll = setInterval(loadQueue, 5000);
    timers.add(poll);
  }
  function stopQueuePolling() {
    if (!poll) return;
    clearInterval(poll);
    timers.delete(poll);
    poll = null;
  }

  const jobStatus = select([{ value: "", label: "Every status" }, ...STATUSES.map((s) => ({ value: s, label: s.replaceAll("_", " ") }))], "", { "data-testid": "admin-jobs-status", "aria-label": "Job status" });
  const jobsList = h("div", { class: "admin-list", "data-testid": "admin-jobs" });
  const jobsErrors = h("div");
  const more = h("button", { class: "btn secondary", type: "button", "data-testid": "admin-jobs-more", hidden: true }, "Load more");
  let cursor = null;
  function jobRow(job) {
    const took = job.started_at && job.finished_at ? `${Math.max(0, job.finished_at - job.started_at)} s` : job.started_at ? "running" : "";
    return h("div", { class: "admin-row job-row", "data-testid": "admin-job-row", "data-job-id": job.id, "data-status": job.status },
      h("div", { class: "job-head" }, statusChip(job.status), h("span", { class: "mono" }, job.id)),
      h("div", { class: "job-prompt", title: job.prompt }, job.prompt),
      h("div", { class: "muted small job-meta" },
        [userName(job.user_id), job.model, job.params && job.params.size, job.params && job.params.n > 1 ? `n=${job.params.n}` : null,
          when(job.created_at), took, job.attempts > 1 ? `${job.attempts} attempts` : null, job.queue_position ? `#${job.queue_position} in queue` : null]
          .filter(Boolean).join(" · ")),
      job.error ? h("div", { class: "job-error" }, h("span", { class: "chip bad" }, job.error.code || "error"), " ", job.error.message || "") : null);
  }
  async function loadJobs(append) {
    try {
      const params = new URLSearchParams({ limit: "25" });
      if (jobStatus.value) params.set("status", jobStatus.value);
      if (append && cursor) params.set("before", cursor);
      const [page] = await Promise.all([api("/api/admin/jobs?" + params), users.length ? null : loadUsers()]);
      if (!alive) return;
      cursor = page.next_cursor;
      more.hidden = !page.has_more;
      const rows = page.data.map(jobRow);
      if (append) jobsList.append(...rows);
      else jobsList.replaceChildren(...(rows.length ? rows : [empty(jobStatus.value ? `No ${jobStatus.value.replaceAll("_", " ")} jobs.` : "No jobs yet.")]));
    } catch (error) {
      showError(jobsErrors, error);
    }
  }
  jobStatus.addEventListener("change", () => loadJobs(false));
  more.addEventListener("click", () => busy(more, () => loadJobs(true), jobsErrors));
  const refresh = h("button", { class: "btn secondary small", type: "button", "data-testid": "admin-queue-refresh" }, "Refresh");
  refresh.addEventListener("click", () => busy(refresh, () => Promise.all([loadQueue(), loadJobs(false)]), jobsErrors));
  panels.get("jobs").append(
    h("div", { class: "card" },
      h("div", { class: "heading small" }, h("h2", {}, "Queue"), h("div", { class: "actions" }, queueWhen, refresh)),
      queueErrors, queueBox),
    h("div", { class: "card" },
      h("div", { class: "heading small" }, h("h2", {}, "Everyone's jobs"), h("div", { class: "actions" }, jobStatus)),
      jobsErrors, jobsList, h("div", { class: "more" }, more)),
  );
  loaders.jobs = () => Promise.all([loadQueue(), loadJobs(false)]);

  view.append(heading("Admin", h("span", { class: "muted" }, `signed in as ${ctx.me.name}`)), h("div", { class: "admin" }, tablist, ...panels.values()));
  const first = show(tab, false);
  // The report count on its tab, whatever tab is open.
  if (tab !== "reports") api("/api/admin/reports").then((list) => alive && drawReportCount(list.data.length)).catch(() => {});
  // Wait for the first tab's data so tests (and screen readers) see a drawn page.
  await first;

  return () => {
    alive = false;
    for (const t of timers) clearInterval(t);
    for (const stop of stops) stop();
  };
}
