import { describe, expect, it } from "vitest";
import { linkCitations } from "../../renderer/src/lib/citations";

function rendered(html: string, sources: number): HTMLElement {
  const root = document.createElement("div");
  root.innerHTML = html;
  linkCitations(root, sources);
  return root;
}

describe("citations in a rendered reply", () => {
  it("turns [n] for each of the reply's sources into a button, and leaves the rest as text", () => {
    const root = rendered("<p>Put them in /usr/local [1], then run it [2][3].</p>", 2);
    const buttons = [...root.querySelectorAll<HTMLButtonElement>("button.cite")];
    expect(buttons.map((b) => [b.textContent, b.dataset.cite, b.getAttribute("aria-label")])).toEqual([
      ["[1]", "1", "Open source 1"],
      ["[2]", "2", "Open source 2"],
    ]);
    expect(root.textContent).toBe("Put them in /usr/local [1], then run it [2][3].");
  });

  it("leaves code alone and does nothing when the reply had no sources", () => {
    const root = rendered("<p>See <code>list[1]</code></p><pre><code>a[2]</code></pre><p>and [1]</p>", 2);
    expect([...root.querySelectorAll("button.cite")].map((b) => b.closest("p")?.textContent)).toEqual(["and [1]"]);
    expect(rendered("<p>Cited [1].</p>", 0).querySelector("button")).toBeNull();
  });
});
