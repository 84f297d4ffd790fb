/** A character range [startChar, endChar) in a message's Markdown source. */
export interface SourceRange {
  startChar: number;
  endChar: number;
}

/**
 * How far ahead a rendered character is looked for in the source. Markdown
 * syntax between two visible characters (a link's URL, a fence line) is rarely
 * longer; past it the character is taken to be one the renderer made up.
 */
const lookahead = 256;

/**
 * Maps each character of the rendered text back to its offset in the Markdown
 * source. Rendered text is, almost always, the source with the syntax taken out,
 * so walking both in order and skipping source characters that do not match
 * recovers the mapping without the parser having to keep positions.
 * Characters the renderer added (list numbers, entity decodings) get -1.
 */
export function mapRenderedToSource(rendered: string, source: string): Int32Array {
  const map = new Int32Array(rendered.length);
  let at = 0;
  for (let i = 0; i < rendered.length; i++) {
    const ch = rendered[i];
    const limit = Math.min(source.length, at + lookahead);
    let found = -1;
    for (let p = at; p < limit; p++) {
      if (source[p] === ch) {
        found = p;
        break;
      }
    }
    map[i] = found;
    if (found >= 0) at = found + 1;
  }
  return map;
}

function textNodes(root: Node): Text[] {
  const walker = root.ownerDocument!.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text);
  return nodes;
}

/**
 * Wraps the rendered text that came from the given source ranges in
 * `<mark class="copied" data-span="i">`. Works on text nodes one by one, so a
 * range that crosses paragraphs or code blocks never unbalances the markup.
 */
export function markSourceRanges(root: HTMLElement, source: string, ranges: readonly SourceRange[]): void {
  if (ranges.length === 0) return;
  const nodes = textNodes(root);
  const rendered = nodes.map((node) => node.data).join("");
  const map = mapRenderedToSource(rendered, source);
  const rangeAt = (sourceOffset: number): number =>
    sourceOffset < 0 ? -1 : ranges.findIndex((r) => sourceOffset >= r.startChar && sourceOffset < r.endChar);

  let offset = 0;
  for (const node of nodes) {
    const text = node.data;
    const runs: { range: number; text: string }[] = [];
    for (let i = 0; i < text.length; i++) {
      const range = rangeAt(map[offset + i]!);
      const last = runs.at(-1);
      if (last && last.range === range) last.text += text[i];
      else runs.push({ range, text: text[i]! });
    }
    offset += text.length;
    if (runs.every((run) => run.range < 0)) continue;
    const fragment = root.ownerDocument.createDocumentFragment();
    for (const run of runs) {
      if (run.range < 0) {
        fragment.append(run.text);
        continue;
      }
      const mark = root.ownerDocument.createElement("mark");
      mark.className = "copied";
      mark.dataset.span = String(run.range);
      mark.title = "Copied from a reference: click to open it";
      mark.textContent = run.text;
      fragment.append(mark);
    }
    node.replaceWith(fragment);
  }
}
