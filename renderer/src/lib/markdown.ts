import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { Marked, type Tokens } from "marked";

const languages = { bash, c, cpp, css, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh"], { languageName: "bash" });
hljs.registerAliases(["js", "jsx", "mjs"], { languageName: "javascript" });
hljs.registerAliases(["ts", "tsx"], { languageName: "typescript" });
hljs.registerAliases(["py"], { languageName: "python" });
hljs.registerAliases(["html", "svg"], { languageName: "xml" });
hljs.registerAliases(["yml"], { languageName: "yaml" });
hljs.registerAliases(["rs"], { languageName: "rust" });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Only a known language name survives into a class attribute. */
function languageOf(info: string | undefined): string | undefined {
  const name = info?.trim().split(/\s+/)[0]?.toLowerCase();
  return name && hljs.getLanguage(name) ? name : undefined;
}

function highlight(code: string, language: string | undefined): string {
  // Auto-detection is skipped on purpose: on a long streaming reply it runs every
  // grammar on every chunk, and a wrong guess looks worse than plain text.
  return language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : escapeHtml(code);
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = languageOf(lang);
      const label = language ?? lang?.trim().split(/\s+/)[0] ?? "";
      return (
        `<pre data-lang="${escapeHtml(label)}"><code class="hljs${language ? ` language-${language}` : ""}">` +
        `${highlight(text.replace(/\n$/, ""), language)}</code></pre>\n`
      );
    },
    // Model output is untrusted: raw HTML is shown as the text it is, never parsed.
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    // An image would be fetched as soon as it renders; a link only when the user asks.
    image({ href, text }: Tokens.Image): string {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
  },
});

const allowedTags = [
  "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
  "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
];

const purifier = DOMPurify();
purifier.addHook("uponSanitizeAttribute", (_node, data) => {
  // The code block's language label; data attributes are otherwise refused.
  if (data.attrName === "data-lang") data.forceKeepAttr = true;
  // Classes come from highlight.js; anything else could dress model text up as app UI.
  if (data.attrName === "class") {
    data.attrValue = data.attrValue
      .split(/\s+/)
      .filter((name) => /^(hljs(-[\w-]+)?|language-[\w-]+)$/.test(name))
      .join(" ");
  }
});
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

const sanitizeOptions = {
  ALLOWED_TAGS: allowedTags,
  ALLOWED_ATTR: ["href", "title", "class", "target", "rel", "colspan", "rowspan", "align"],
  // Web links only: no javascript:, data:, file:, or relative URLs that point into the app.
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
};

/** Sanitized HTML for Markdown written by the model (or the user). */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false });
  return purifier.sanitize(html, sanitizeOptions);
}

/** HTML is cached per text: a virtualized list re-mounts rows while scrolling. */
const cache = new Map<string, string>();
const cacheLimit = 500;

export function renderMarkdownCached(source: string): string {
  const hit = cache.get(source);
  if (hit !== undefined) {
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const html = renderMarkdown(source);
  cache.set(source, html);
  if (cache.size > cacheLimit) cache.delete(cache.keys().next().value as string);
  return html;
}
