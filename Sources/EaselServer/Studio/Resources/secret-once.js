// A new API key, shown once: the key in a read-only box, a copy button, and a plain note that it will not
// be shown again. The page drops it (and the key) when the user dismisses it or leaves.
import { h, toast } from "./ui.js";

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_) {
    // No clipboard permission (an http origin, a headless browser): select it and use the older command.
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (_) { return false; }
  }
}

/// `secretPanel(key, {title, onDone})` → the panel element.
export function secretPanel(key, {
  title = "Your new API key", onDone,
  keeping = "Easel keeps only a fingerprint of it. If you lose it, revoke it and create another.",
} = {}) {
  const input = h("input", {
    value: key, readOnly: true, spellcheck: false, class: "mono secret-value", "data-testid": "key-secret",
    "aria-label": "The new API key", onfocus: (e) => e.target.select(),
  });
  const copy = h("button", { class: "btn", type: "button", "data-testid": "key-copy" }, "Copy");
  copy.addEventListener("click", async () => {
    const ok = await copyText(key, input);
    copy.textContent = ok ? "Copied" : "Copy";
    toast(ok ? "Key copied to the clipboard." : "Select the key and copy it with Ctrl+C or ⌘C.");
  });
  const done = h("button", { class: "btn secondary", type: "button", "data-testid": "key-secret-done" }, "I have saved it");
  const panel = h("div", { class: "secret-once", role: "region", "aria-label": title },
    h("h3", {}, title),
    h("p", { class: "warning" }, h("strong", {}, "Copy it now: you will not see it again. "), keeping),
    h("div", { class: "secret-row" }, input, copy),
    h("div", {}, done),
  );
  done.addEventListener("click", () => {
    panel.remove();
    if (onDone) onDone();
  });
  return panel;
}
