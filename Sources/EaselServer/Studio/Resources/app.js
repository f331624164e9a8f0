// The studio shell: a small router over real URLs (each page can be bookmarked and reloaded), the account
// line in the header, and the context every page receives.
import { api } from "./api.js";
import { h, money, plural } from "./ui.js";

const routes = [
  ["/signin", "page-signin.js"],
  ["/create", "page-create.js"],
  ["/images/:id", "page-image.js"],
  ["/compare", "page-compare.js"],
  ["/gallery", "page-gallery.js"],
  ["/batches", "page-batches.js"],
  ["/batches/:id", "page-batches.js"],
  ["/review", "page-review.js"],
  ["/templates", "page-templates.js"],
  ["/templates/:id", "page-templates.js"],
  ["/account", "page-account.js"],
  ["/admin", "page-admin.js"],
];

const view = document.getElementById("view");
let me = null;
let cleanup = null;
let modelsPromise = null;

function match(path) {
  for (const [pattern, module] of routes) {
    const names = [];
    const regex = new RegExp("^" + pattern.replace(/:(\w+)/g, (_, name) => (names.push(name), "([^/]+)")) + "/?$");
    const found = path.match(regex);
    if (found) return { module, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])])) };
  }
  return null;
}

/// The signed-in user (`GET /api/me`), or null; redraws the header's account line.
async function refreshMe() {
  try {
    // Asks whether there is a session first, so a first visit makes no failing request.
    const session = me ? { signed_in: true } : await api("/api/auth/session");
    me = session.signed_in ? await api("/api/me") : null;
  } catch (_) {
    me = null;
  }
  drawHeader();
  return me;
}

function drawHeader() {
  const who = document.getElementById("who");
  document.getElementById("nav").hidden = !me;
  document.getElementById("signout").hidden = !me;
  document.querySelector('[data-testid="nav-admin"]').hidden = !(me && me.role === "admin");
  if (!me) return who.replaceChildren();
  const left = me.today.images_remaining === null ? "no daily limit" : plural(me.today.images_remaining, "image") + " left today";
  who.replaceChildren(
    h("span", { class: "name", title: me.name }, me.name),
    h("span", { class: "chip" }, me.plan.name),
    h("span", { "data-testid": "images-left" }, left),
    h("span", { "data-testid": "balance" }, money(me.balance_usd)),
  );
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("current", location.pathname.startsWith(link.getAttribute("href")));
    if (link.classList.contains("current")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/// The models this user can pick (`GET /v1/models`), fetched once per page load.
function models() {
  if (!modelsPromise) modelsPromise = api("/v1/models").then((body) => body.data).catch((e) => { modelsPromise = null; throw e; });
  return modelsPromise;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

async function render() {
  if (cleanup) {
    try { cleanup(); } catch (_) { /* a page's cleanup must not stop the next page */ }
    cleanup = null;
  }
  const path = location.pathname;
  if (!me && path !== "/signin") {
    const next = path === "/" ? "" : "?next=" + encodeURIComponent(path + location.search);
    return navigate("/signin" + next, { replace: true });
  }
  if (path === "/" || (me && path === "/signin")) return navigate("/create", { replace: true });
  const found = match(path);
  drawHeader();
  view.replaceChildren();
  if (!found) {
    view.append(h("div", { class: "empty" }, h("h1", {}, "Not found"), h("p", {}, "There is no such page. "), h("a", { href: "/create" }, "Go to Create")));
    return;
  }
  const page = await import("./" + found.module);
  document.title = "Easel studio";
  const context = { me, params: found.params, query: new URLSearchParams(location.search), navigate, refreshMe, models, signedIn };
  document.body.removeAttribute("data-page");
  const result = await page.render(view, context);
  if (typeof result === "function") cleanup = result;
  // Tests (and screen readers) can tell the page has drawn.
  document.body.dataset.page = found.module.replace(/^page-|\.js$/g, "");
}

/// After a sign-in: load the account, then go where the user was headed.
async function signedIn(next) {
  modelsPromise = null;
  await refreshMe();
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/create", { replace: true });
}

// Same-origin links move within the studio without a reload; downloads, new tabs and other paths do not.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  if (link.target || link.hasAttribute("download") || link.origin !== location.origin) return;
  if (!match(link.pathname) && link.pathname !== "/") return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});
window.addEventListener("popstate", render);
window.addEventListener("easel:signed-out", () => {
  if (!me) return;
  me = null;
  render();
});
// Pages announce finished work (generated, deleted, credited) so the account line stays current.
window.addEventListener("easel:changed", refreshMe);
document.getElementById("signout").addEventListener("click", async () => {
  await api("/api/auth/logout", { method: "POST" }).catch(() => {});
  me = null;
  navigate("/signin", { replace: true });
});

await refreshMe();
render();
