// Sign-in: continue as a guest, log in with a password, or paste an API key (exchanged for the same
// HttpOnly session cookie, so the key is not kept by the page). Nothing is red until the user acts.
import { api } from "./api.js";
import { busy, field, h } from "./ui.js";

/// A refused sign-in says what to check, not "sign in again".
async function refusedSaying(todo, work) {
  try {
    await work();
  } catch (error) {
    if (error.status === 401) error.todo = todo;
    throw error;
  }
}

export async function render(view, ctx) {
  const next = ctx.query.get("next");
  const errors = h("div", { "data-testid": "signin-error" });
  let session = { guests_allowed: true };
  try { session = await api("/api/auth/session"); } catch (_) { /* offline: the buttons still show */ }

  const guest = h("button", { class: "btn", type: "button", "data-testid": "guest" }, "Continue as guest");
  guest.addEventListener("click", () => busy(guest, async () => {
    await api("/api/auth/guest", { method: "POST" });
    await ctx.signedIn(next);
  }, errors));

  const name = h("input", { autocomplete: "username", "data-testid": "login-name", required: true });
  const password = h("input", { type: "password", autocomplete: "current-password", "data-testid": "login-password", required: true });
  const login = h("button", { class: "btn secondary", type: "submit", "data-testid": "login" }, "Log in");
  const loginForm = h("form", { class: "stack" }, field("User name", name), field("Password", password), login);
  loginForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(login, () => refusedSaying("Check the user name and password.", async () => {
      await api("/api/auth/login", { method: "POST", json: { name: name.value, password: password.value } });
      await ctx.signedIn(next);
    }), errors);
  });

  const key = h("input", { type: "password", autocomplete: "off", spellcheck: false, placeholder: "esk_…", "data-testid": "api-key" });
  const useKey = h("button", { class: "btn secondary", type: "submit", "data-testid": "key-sign-in" }, "Use this key");
  const keyForm = h("form", { class: "stack" }, field("API key", key, "Used once to start a session; the studio does not keep it."), useKey);
  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(useKey, () => refusedSaying("Paste the whole key (it starts with esk_), or create a new one.", async () => {
      await api("/api/auth/key", { method: "POST", json: { key: key.value } });
      key.value = "";
      await ctx.signedIn(next);
    }), errors);
  });

  view.append(
    h("section", { class: "signin" },
      h("h1", {}, "Sign in to the studio"),
      h("p", { class: "muted" }, "Brief, generate, compare, review and share images. The offline draft renderer works with no key."),
      errors,
      session.guests_allowed === false ? null : h("div", { class: "card" }, h("h2", {}, "Try it now"), h("p", { class: "muted" }, "A guest account on the guest plan, kept in this browser."), guest),
      h("div", { class: "card" }, h("h2", {}, "Log in"), loginForm),
      h("div", { class: "card" }, h("h2", {}, "Or paste an API key"), keyForm),
    ),
  );
  (session.guests_allowed === false ? name : guest).focus();
}
