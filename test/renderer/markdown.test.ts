// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../renderer/src/lib/markdown";

function render(source: string): HTMLElement {
  const element = document.createElement("div");
  element.innerHTML = renderMarkdown(source);
  return element;
}

describe("renderMarkdown", () => {
  it("renders Markdown structure", () => {
    const html = render("# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(html.querySelector("h1")?.textContent).toBe("Title");
    expect(html.querySelector("strong")?.textContent).toBe("bold");
    expect(html.querySelectorAll("li")).toHaveLength(2);
    expect(html.querySelector("td")?.textContent).toBe("1");
  });

  it("highlights fenced code in a known language and labels the block", () => {
    const html = render("```python\ndef f(x):\n    return x + 1\n```");
    const pre = html.querySelector("pre")!;
    expect(pre.dataset.lang).toBe("python");
    expect(pre.querySelector("code")?.className).toBe("hljs language-python");
    expect(pre.querySelector(".hljs-keyword")?.textContent).toBe("def");
    expect(pre.textContent).toBe("def f(x):\n    return x + 1");
  });

  it("escapes code in an unknown language instead of guessing", () => {
    const html = render("```nosuchlang\n<b>x</b>\n```");
    expect(html.querySelector("pre code")?.textContent).toBe("<b>x</b>");
    expect(html.querySelector("pre b")).toBeNull();
    expect(html.querySelector("pre")?.dataset.lang).toBe("nosuchlang");
  });

  it("shows raw HTML from the model as text", () => {
    const html = render('Hello <b onclick="x()">there</b>\n\n<div style="color:red">block</div>');
    expect(html.querySelector("b")).toBeNull();
    expect(html.querySelector("div")).toBeNull();
    expect(html.textContent).toContain('<b onclick="x()">there</b>');
  });

  it("keeps web links, opening outside, and drops script and data links", () => {
    const html = render("[ok](https://example.com) [bad](javascript:alert(1)) [data](data:text/html,x) [rel](/api/conversations)");
    const links = [...html.querySelectorAll("a")];
    const ok = links.find((a) => a.textContent === "ok")!;
    expect(ok.getAttribute("href")).toBe("https://example.com");
    expect(ok.getAttribute("target")).toBe("_blank");
    expect(ok.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    for (const text of ["bad", "data", "rel"]) expect(links.find((a) => a.textContent === text)?.hasAttribute("href")).toBe(false);
  });

  it("turns images into links, so nothing is fetched while rendering", () => {
    const html = render("![a cat](https://example.com/cat.png)");
    expect(html.querySelector("img")).toBeNull();
    expect(html.querySelector("a")?.getAttribute("href")).toBe("https://example.com/cat.png");
    expect(html.querySelector("a")?.textContent).toBe("a cat");
  });

  it("keeps only highlight.js classes", () => {
    const html = render("```js\nlet a = 1;\n```");
    for (const element of html.querySelectorAll("[class]")) {
      for (const name of element.classList) expect(name).toMatch(/^(hljs|language-)/);
    }
  });
});
