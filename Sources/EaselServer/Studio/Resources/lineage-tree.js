// The lineage tree of an image (`GET /api/assets/{id}/lineage`): the root and every image made from it, nested,
// each a thumbnail linking to its own page, the one on screen marked.
import { h, empty, plural } from "./ui.js";

/// `lineageTree(lineage, currentID)` → an element (`data-testid="lineage"` is the caller's container).
export function lineageTree(lineage, currentID) {
  if (!lineage || !lineage.tree) return empty("No lineage for this image.");
  let count = 0;
  const list = h("ul", { class: "lineage-tree" }, branch(lineage.tree, 0));
  function branch(node, depth) {
    count += 1;
    const current = node.id === currentID;
    const label = node.prompt ? (node.prompt.length > 48 ? node.prompt.slice(0, 47) + "…" : node.prompt) : node.id;
    const link = h("a", {
      class: "lineage-node" + (current ? " current" : ""), href: `/images/${encodeURIComponent(node.id)}`,
      "data-testid": "lineage-node", "data-id": node.id, "aria-current": current ? "page" : null,
      title: node.prompt || node.id,
    },
      h("img", {
        src: node.signed_thumbnail_url || node.thumbnail_url, alt: "", width: 48, height: 48, loading: "lazy", class: "lineage-thumb",
      }),
      h("span", { class: "lineage-text" },
        h("span", { class: "lineage-label" }, depth === 0 ? "Original · " : "", label),
        h("span", { class: "muted lineage-sub" }, `${node.width}×${node.height}`,
          node.draft ? h("span", { class: "draft" }, "DRAFT") : null,
          node.favorite ? h("span", { "aria-label": "favorite" }, "★") : null,
          current ? h("strong", { class: "lineage-here" }, "this image") : null),
      ),
    );
    const children = node.children || [];
    return h("li", {}, link, children.length ? h("ul", {}, children.map((child) => branch(child, depth + 1))) : null);
  }
  return h("div", { class: "lineage-wrap" },
    h("p", { class: "muted small-print" }, plural(count, "image"), " in this family", count === 1 ? ": edits, variations and upscales will show here." : "."),
    list);
}
