// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../renderer/src/lib/markdown";
import { mapRenderedToSource, markSourceRanges, type SourceRange } from "../../renderer/src/lib/sourceMap";

describe("mapRenderedToSource", () => {
  it("skips Markdown syntax that the rendered text does not have", () => {
    const source = "Some **bold** text";
    const rendered = "Some bold text";
    const map = mapRenderedToSource(rendered, source);
    expect([...map].map((at) => source[at]).join("")).toBe(rendered);
    expect(map[5]).toBe(source.indexOf("bold"));
  });

  it("gives -1 to characters the renderer made up", () => {
    const map = mapRenderedToSource("a&b", "a&amp;b".replace("&amp;", "x"));
    expect(map[1]).toBe(-1);
    expect(map[2]).toBe(2);
  });
});

describe("markSourceRanges", () => {
  function marked(source: string, ranges: SourceRange[]): HTMLElement {
    const element = document.createElement("div");
    element.innerHTML = renderMarkdown(source);
    markSourceRanges(element, source, ranges);
    return element;
  }

  it("marks the rendered text of a source range", () => {
    const source = "The answer is **forty-two**, as before.";
    const start = source.indexOf("forty");
    const html = marked(source, [{ startChar: start, endChar: start + "forty-two".length }]);
    const marks = [...html.querySelectorAll("mark.copied")];
    expect(marks.map((m) => m.textContent).join("")).toBe("forty-two");
    expect(marks[0]?.parentElement?.tagName).toBe("STRONG");
  });

  it("splits a range that crosses blocks into one mark per text node, never unbalancing the markup", () => {
    const source = "First paragraph ends here.\n\n```js\nconst x = 1;\n```\n\nAfter.";
    const start = source.indexOf("ends");
    const end = source.indexOf("= 1") + 3;
    const html = marked(source, [{ startChar: start, endChar: end }]);
    const text = [...html.querySelectorAll("mark.copied")].map((m) => m.textContent).join("");
    expect(text).toContain("ends here.");
    expect(text).toContain("const x = 1");
    expect(html.querySelector("p:last-child")?.textContent).toBe("After.");
    expect(html.querySelector("p:last-child mark")).toBeNull();
  });

  it("numbers each mark by its range", () => {
    const source = "alpha beta gamma";
    const html = marked(source, [
      { startChar: 0, endChar: 5 },
      { startChar: 11, endChar: 16 },
    ]);
    expect([...html.querySelectorAll<HTMLElement>("mark")].map((m) => [m.dataset.span, m.textContent])).toEqual([
      ["0", "alpha"],
      ["1", "gamma"],
    ]);
  });

  it("leaves the content alone when there is nothing to mark", () => {
    const html = marked("plain *text*", []);
    expect(html.querySelector("mark")).toBeNull();
    expect(html.innerHTML).toBe(renderMarkdown("plain *text*"));
  });
});
