// The mask painter: a canvas laid over the image at the image's own pixel size, where the user paints the area
// to change (brush, rectangle), takes paint away (eraser), inverts or clears it, with undo/redo per stroke.
// The overlay is drawn in one opaque colour and shown semi-transparent by CSS; the exported mask follows the
// OpenAI rule: a PNG of the image's exact size whose fully transparent pixels mark where to edit, opaque elsewhere.
import { h, field } from "./ui.js";

const PAINT = "#ff2d6f";
const TOOLS = [
  { id: "brush", label: "Brush", key: "b" },
  { id: "eraser", label: "Eraser", key: "e" },
  { id: "rect", label: "Rectangle", key: "r" },
];

/// `createMaskPainter({width, height, onChange})` → `{canvas, cursor, toolbar, hasMask(), toDataURL(),
/// loadMask(image), destroy()}`. The page puts `canvas` and `cursor` over the image, `toolbar` under it.
export function createMaskPainter({ width, height, onChange = () => {} }) {
  const canvas = h("canvas", {
    class: "mask-canvas", width, height, "data-testid": "mask-canvas",
    "aria-label": "Mask: paint over the area to change",
  });
  const cursor = h("div", { class: "mask-cursor", "aria-hidden": "true", hidden: true });
  const g = canvas.getContext("2d", { willReadFrequently: true });
  let ops = [];
  let undone = [];
  let current = null;
  let tool = "brush";

  // Toolbar
  const toolButtons = TOOLS.map((t) =>
    h("button", {
      type: "button", class: "btn secondary small", "data-testid": "mask-" + t.id, "aria-pressed": "false",
      title: `${t.label} (${t.key.toUpperCase()})`, onclick: () => setTool(t.id),
    }, t.label));
  const size = h("input", { type: "range", min: 4, max: 160, step: 1, value: 36, "data-testid": "mask-size" });
  const sizeValue = h("output", { class: "muted mono" }, "36 px");
  size.addEventListener("input", () => { sizeValue.textContent = size.value + " px"; });
  const undoButton = h("button", { type: "button", class: "btn secondary small", "data-testid": "mask-undo", title: "Undo (Ctrl+Z)", onclick: undo }, "Undo");
  const redoButton = h("button", { type: "button", class: "btn secondary small", "data-testid": "mask-redo", title: "Redo (Ctrl+Shift+Z)", onclick: redo }, "Redo");
  const invertButton = h("button", { type: "button", class: "btn secondary small", "data-testid": "mask-invert", onclick: () => commit({ tool: "invert" }) }, "Invert");
  const clearButton = h("button", { type: "button", class: "btn secondary small", "data-testid": "mask-clear", onclick: () => commit({ tool: "clear" }) }, "Clear");
  const count = h("span", { class: "muted", "data-testid": "mask-steps", "aria-live": "polite" });
  const sizeField = field("Brush size", size);
  sizeField.classList.add("mask-size");
  sizeField.querySelector("label").append(" ", sizeValue);
  const toolbar = h("div", { class: "mask-tools", role: "toolbar", "aria-label": "Mask tools" },
    h("div", { class: "mask-group", role: "group", "aria-label": "Tool" }, toolButtons),
    sizeField,
    h("div", { class: "mask-group" }, undoButton, redoButton, invertButton, clearButton),
    count,
  );

  function setTool(id) {
    tool = id;
    for (const [i, t] of TOOLS.entries()) toolButtons[i].setAttribute("aria-pressed", String(t.id === id));
    canvas.dataset.tool = id;
  }
  setTool("brush");

  // Drawing
  /** Image pixels per CSS pixel: the canvas is shown at the image's displayed size. */
  function scale() {
    const box = canvas.getBoundingClientRect();
    return box.width ? width / box.width : 1;
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    const s = width / box.width;
    return [Math.round((event.clientX - box.left) * s * 10) / 10, Math.round((event.clientY - box.top) * (height / box.height) * 10) / 10];
  }

  function segment(op, from, to) {
    g.globalCompositeOperation = op.tool === "eraser" ? "destination-out" : "source-over";
    g.strokeStyle = PAINT;
    g.fillStyle = PAINT;
    g.lineWidth = op.width;
    g.lineCap = "round";
    g.lineJoin = "round";
    if (from[0] === to[0] && from[1] === to[1]) {
      g.beginPath();
      g.arc(to[0], to[1], op.width / 2, 0, Math.PI * 2);
      g.fill();
      return;
    }
    g.beginPath();
    g.moveTo(from[0], from[1]);
    g.lineTo(to[0], to[1]);
    g.stroke();
  }

  function apply(op) {
    g.save();
    switch (op.tool) {
      case "brush":
      case "eraser":
        op.points.forEach((p, i) => segment(op, op.points[Math.max(0, i - 1)], p));
        break;
      case "rect": {
        g.globalCompositeOperation = "source-over";
        g.fillStyle = PAINT;
        const x = Math.min(op.from[0], op.to[0]), y = Math.min(op.from[1], op.to[1]);
        g.fillRect(x, y, Math.abs(op.to[0] - op.from[0]), Math.abs(op.to[1] - op.from[1]));
        break;
      }
      case "invert":
        // XOR with a full opaque rectangle: painted becomes clear, clear becomes painted (alpha 1 − a).
        g.globalCompositeOperation = "xor";
        g.fillStyle = PAINT;
        g.fillRect(0, 0, width, height);
        break;
      case "clear":
        g.clearRect(0, 0, width, height);
        break;
      case "bitmap":
        g.globalCompositeOperation = "source-over";
        g.drawImage(op.layer, 0, 0);
        break;
    }
    g.restore();
  }

  function redraw() {
    g.clearRect(0, 0, width, height);
    for (const op of ops) apply(op);
    if (current && current.tool === "rect") apply(current);
  }

  function commit(op) {
    ops.push(op);
    undone = [];
    redraw();
    changed();
  }

  function undo() {
    if (!ops.length) return;
    undone.push(ops.pop());
    redraw();
    changed();
  }

  function redo() {
    if (!undone.length) return;
    ops.push(undone.pop());
    redraw();
    changed();
  }

  function changed() {
    undoButton.disabled = ops.length === 0;
    redoButton.disabled = undone.length === 0;
    const painted = hasMask();
    count.textContent = ops.length ? `${ops.length} step${ops.length === 1 ? "" : "s"}${painted ? "" : " · nothing painted"}` : "Paint over the area to change.";
    onChange({ steps: ops.length, painted });
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    const p = point(event);
    if (tool === "rect") {
      current = { tool: "rect", from: p, to: p };
    } else {
      current = { tool, width: Math.max(1, Math.round(Number(size.value) * scale())), points: [p] };
      g.save();
      segment(current, p, p);
      g.restore();
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    moveCursor(event);
    if (!current) return;
    const p = point(event);
    if (current.tool === "rect") {
      current.to = p;
      redraw();
    } else {
      const last = current.points[current.points.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.5) return;
      current.points.push(p);
      g.save();
      segment(current, last, p);
      g.restore();
    }
  });
  const finish = (event) => {
    if (!current) return;
    if (event.type === "pointerup" && current.tool === "rect") current.to = point(event);
    const op = current;
    current = null;
    if (op.tool === "rect" && (Math.abs(op.to[0] - op.from[0]) < 1 || Math.abs(op.to[1] - op.from[1]) < 1)) return redraw();
    commit(op);
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  canvas.addEventListener("pointerleave", () => { cursor.hidden = true; });

  function moveCursor(event) {
    if (tool === "rect") { cursor.hidden = true; return; }
    const parent = (canvas.offsetParent || canvas).getBoundingClientRect();
    const d = Number(size.value);
    cursor.hidden = false;
    cursor.classList.toggle("erase", tool === "eraser");
    Object.assign(cursor.style, {
      width: d + "px", height: d + "px",
      left: event.clientX - parent.left - d / 2 + "px", top: event.clientY - parent.top - d / 2 + "px",
    });
  }

  function onKey(event) {
    if (!canvas.isConnected || canvas.closest("[hidden]")) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "z") { event.preventDefault(); return event.shiftKey ? redo() : undo(); }
    if ((event.ctrlKey || event.metaKey) && key === "y") { event.preventDefault(); return redo(); }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const picked = TOOLS.find((t) => t.key === key);
    if (picked) return setTool(picked.id);
    if (key === "[" || key === "]") {
      size.value = String(Number(size.value) + (key === "]" ? 4 : -4));
      size.dispatchEvent(new Event("input"));
    }
  }
  document.addEventListener("keydown", onKey);

  /** Whether any pixel is painted. */
  function hasMask() {
    const data = g.getImageData(0, 0, width, height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  }

  /** The OpenAI mask: opaque black everywhere except where painted (alpha 0 there). */
  function toDataURL() {
    const out = document.createElement("canvas");
    out.width = width;
    out.height = height;
    const c = out.getContext("2d");
    c.fillStyle = "#000";
    c.fillRect(0, 0, width, height);
    c.globalCompositeOperation = "destination-out";
    c.drawImage(canvas, 0, 0);
    return out.toDataURL("image/png");
  }

  /** Loads a stored mask (transparent = edit) as one undoable step. */
  function loadMask(image) {
    const layer = document.createElement("canvas");
    layer.width = width;
    layer.height = height;
    const c = layer.getContext("2d");
    c.fillStyle = PAINT;
    c.fillRect(0, 0, width, height);
    c.globalCompositeOperation = "destination-out";
    c.drawImage(image, 0, 0, width, height);
    commit({ tool: "bitmap", layer });
  }

  changed();
  return {
    canvas, cursor, toolbar, hasMask, toDataURL, loadMask,
    get steps() { return ops.length; },
    destroy() { document.removeEventListener("keydown", onKey); },
  };
}
