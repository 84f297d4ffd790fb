const CITATION = /\[(\d{1,3})\]/g;

/**
 * Turns the citations [n] of a rendered reply (1 ≤ n ≤ `sources`) into buttons that open source n.
 * Text inside code is left alone: there "[1]" is an index, not a citation. Works on text nodes, so
 * the reply's own markup is never re-parsed.
 */
export function linkCitations(root: HTMLElement, sources: number): void {
  if (sources === 0) return;
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement?.closest("code, pre") && CITATION.test((node as Text).data)) nodes.push(node as Text);
    CITATION.lastIndex = 0;
  }
  for (const node of nodes) {
    const fragment = root.ownerDocument.createDocumentFragment();
    let at = 0;
    for (const match of node.data.matchAll(CITATION)) {
      const n = Number(match[1]);
      if (n < 1 || n > sources) continue;
      fragment.append(node.data.slice(at, match.index));
      const button = root.ownerDocument.createElement("button");
      button.type = "button";
      button.className = "cite";
      button.dataset.cite = String(n);
      button.setAttribute("aria-label", `Open source ${n}`);
      button.textContent = match[0];
      fragment.append(button);
      at = match.index + match[0].length;
    }
    fragment.append(node.data.slice(at));
    node.replaceWith(fragment);
  }
}
