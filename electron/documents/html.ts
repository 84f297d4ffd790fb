import { parse, type DefaultTreeAdapterMap } from "parse5";

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

// Never shown as text by a browser.
const HIDDEN = new Set(["head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas"]);
// Elements that begin a new block: their text is kept apart from the text around them.
const BLOCKS = new Set([
  "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure",
  "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
  "section", "summary", "table", "tr", "ul", "caption", "title", "body",
]);

const isElement = (node: Node): node is Element => "tagName" in node;

/**
 * The text of an HTML document as a reader sees it, parsed by parse5 (the WHATWG algorithm, so any
 * HTML a browser opens parses the same): hidden elements left out, one blank line between blocks,
 * whitespace collapsed except in <pre>. The <title>, which a browser shows in its tab, comes first.
 */
export function htmlToText(html: string): string {
  const document = parse(html);
  const blocks: string[] = [];
  let line = "";
  const endBlock = () => {
    const text = line.replace(/[ \t]+\n/g, "\n").trim();
    if (text !== "") blocks.push(text);
    line = "";
  };
  const walk = (node: Node, pre: boolean) => {
    if (node.nodeName === "#text") {
      const value = (node as DefaultTreeAdapterMap["textNode"]).value;
      line += pre ? value : value.replace(/\s+/g, " ");
      return;
    }
    if (!isElement(node) && node.nodeName !== "#document") return;
    if (isElement(node)) {
      if (HIDDEN.has(node.tagName)) return;
      if (node.tagName === "br") {
        line += "\n";
        return;
      }
    }
    const block = isElement(node) && BLOCKS.has(node.tagName);
    if (block) endBlock();
    const inPre = pre || (isElement(node) && node.tagName === "pre");
    for (const child of (node as Element).childNodes ?? []) walk(child, inPre);
    if (block) endBlock();
    else if (isElement(node) && (node.tagName === "td" || node.tagName === "th")) line += " ";
  };
  const head = document.childNodes.find(isElement)?.childNodes.find((n): n is Element => isElement(n) && n.tagName === "head");
  const title = head?.childNodes.find((n): n is Element => isElement(n) && n.tagName === "title");
  if (title) {
    for (const child of title.childNodes) walk(child, false);
    endBlock();
  }
  walk(document, false);
  endBlock();
  return blocks.join("\n\n");
}
