/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureUiBuilt, launchChromium, serve, type Served } from "./harness";
import { exportFileOf } from "./seed";

/**
 * Known XSS payloads, written as a model might write them. Each would set
 * `window.__xss` (or open a dialog, or fetch from evil.invalid) if it ran.
 */
const payloads: [string, string][] = [
  ["script tag", "<script>window.__xss = 1</script>"],
  ["img onerror", '<img src=x onerror="window.__xss = 2">'],
  ["svg onload", '<svg onload="window.__xss = 3"></svg>'],
  ["javascript: Markdown link", "[click me](javascript:window.__xss=4)"],
  ["iframe srcdoc", '<iframe srcdoc="<script>parent.__xss = 5</script>"></iframe>'],
  ["style url(javascript:)", '<div style="background:url(javascript:window.__xss=6)">styled</div>'],
  ["data: HTML link", "[data link](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3M9Nzwvc2NyaXB0Pg==)"],
  ["mXSS math/mglyph/style", '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss = 8">'],
  ["mXSS svg style", '<svg><style><img src=x onerror="window.__xss = 9"></style></svg>'],
  ["mXSS noscript title", '<noscript><p title="</noscript><img src=x onerror=window.__xss=10>">'],
  ["Markdown image attribute break-out", '![img](x" onerror="window.__xss=11)'],
  ["Markdown link title break-out", '[t](https://evil.invalid/t "a\\" onmouseover=\\"window.__xss=12")'],
  ["details ontoggle", '<details open ontoggle="window.__xss = 13"><summary>s</summary></details>'],
  ["object data", '<object data="javascript:window.__xss=14"></object>'],
  ["embed data: URL", '<embed src="data:text/html,<script>parent.__xss=15</script>">'],
  ["form action", '<form action="javascript:window.__xss=16"><button>go</button></form>'],
  ["input autofocus onfocus", '<input autofocus onfocus="window.__xss = 17">'],
  ["video source onerror", '<video><source onerror="window.__xss = 18"></video>'],
  ["body onload", '<body onload="window.__xss = 19">'],
  ["base href hijack", '<base href="javascript:window.__xss=20//">\n\n[relative](/x)'],
  ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=21">'],
  ["remote stylesheet", '<link rel="stylesheet" href="http://evil.invalid/x.css">'],
  ["tracking pixel (Markdown image)", "![pixel](http://evil.invalid/pixel.png)"],
  ["remote img tag", '<img src="http://evil.invalid/a.png">'],
  ["script in a code block", "```html\n<script>window.__xss = 25</script>\n```"],
  ["entity-obfuscated javascript: link", '<a href="jav&#x09;ascript:window.__xss=26">tab</a> and [x](jav&#x09;ascript:window.__xss=26)'],
  ["svg xlink:href", '<svg><a xlink:href="javascript:window.__xss=27"><text x="20" y="20">svg link</text></a></svg>'],
  ["nested script tags", "<<script>script>window.__xss = 28<</script>/script>"],
  ["img eval(src)", "<img src=x:window.__xss=29 onerror=eval(src) alt=0>"],
  ["@import in style", '<style>@import "http://evil.invalid/x.css"; body { background: red }</style>'],
  ["custom element onclick", '<x-widget onclick="window.__xss = 31">click</x-widget>'],
  ["Markdown autolink javascript:", "<javascript:window.__xss=32>"],
  ["vbscript: link", "[vb](vbscript:msgbox(33))"],
  ["template script", "<template><script>window.__xss = 34</script></template>"],
  ["dialog via alert", "<img src=x onerror=alert(35)>"],
];

let served: Served;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  ensureUiBuilt();
  served = await serve({ model: null });
  await served.api.importConversations({
    content: exportFileOf([
      {
        title: "Untrusted model output",
        messages: payloads.flatMap(([name, payload]) => [
          { role: "user" as const, content: `Payload: ${name}\n${payload}` },
          { role: "assistant" as const, content: `Here it is:\n\n${payload}\n\nEnd of ${name}.` },
        ]),
      },
    ]),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("popup", (popup) => foreignRequests.push(`popup ${popup.url()}`));
  page.on("request", (request: Request) => {
    if (!request.url().startsWith(`${served.origin}/`)) foreignRequests.push(request.url());
  });
  await page.addInitScript(() => {
    // Each blocked inline script or style is a payload that got past the sanitizer and only the CSP stopped.
    const violations: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = violations;
    document.addEventListener("securitypolicyviolation", (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  await page.goto(served.pageUrl);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe("model output is untrusted", () => {
  it(`renders ${payloads.length} known XSS payloads as inert content: no script runs, no request leaves`, async () => {
    expect(payloads.length).toBeGreaterThanOrEqual(20);
    await page.getByRole("heading", { name: "Untrusted model output" }).waitFor();
    // The heading comes with the conversation list; the messages come after the conversation loads.
    await page.locator("article[data-message-id]").first().waitFor();
    // The list is virtualized: scroll from the top to the bottom so that every message is rendered at least once.
    const { rendered, codeTexts } = await page.evaluate(async () => {
      const seen = new Set<string>();
      const code = new Set<string>();
      const viewport = document.querySelector<HTMLElement>(".viewport")!;
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      viewport.scrollTop = 0;
      for (let step = 0; step < 400; step++) {
        await frame();
        for (const article of document.querySelectorAll<HTMLElement>("article[data-message-id]")) {
          seen.add(article.dataset.messageId!);
          for (const block of article.querySelectorAll(".markdown pre code")) code.add(block.textContent ?? "");
          // Pointer and focus events are how event-handler payloads fire.
          for (const element of article.querySelectorAll<HTMLElement>(".body *")) {
            element.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
            element.focus?.({ preventScroll: true });
          }
          // Links that survived have no dangerous href; following one must do nothing.
          for (const link of article.querySelectorAll<HTMLAnchorElement>(".markdown a:not([href])")) link.click();
        }
        if (viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - 2) break;
        viewport.scrollTop += viewport.clientHeight / 2;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      return { rendered: seen.size, codeTexts: [...code] };
    });
    expect(rendered).toBe(payloads.length * 2);

    const state = await page.evaluate(() => {
      // The message list: the app's own controls (the composer's form) are outside it.
      const root = document.querySelector(".viewport")!;
      const dangerous = root.querySelectorAll("script, iframe, object, embed, form, input, style, link, meta, base, img, svg:not([aria-hidden]), math, video, template, details, noscript");
      const handlers = [...root.querySelectorAll("*")].filter((el) => [...el.attributes].some((a) => a.name.startsWith("on")));
      const hrefs = [...root.querySelectorAll<HTMLAnchorElement>(".markdown a[href]")].map((a) => a.getAttribute("href")!);
      return {
        xss: (window as unknown as { __xss?: unknown }).__xss ?? null,
        dangerous: [...dangerous].map((el) => el.outerHTML.slice(0, 80)),
        handlers: handlers.map((el) => el.outerHTML.slice(0, 80)),
        hrefs,
        cspViolations: (window as unknown as { cspViolations: string[] }).cspViolations,
      };
    });
    expect(state.xss).toBeNull();
    expect(dialogs).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(state.dangerous).toEqual([]);
    expect(state.handlers).toEqual([]);
    expect(state.cspViolations).toEqual([]);
    for (const href of state.hrefs) expect(href).toMatch(/^(https?:|mailto:)/);
    // Escaped, not dropped: the reader still sees what the model wrote.
    expect(codeTexts).toContain("<script>window.__xss = 25</script>");
    console.log(
      `XSS: ${payloads.length} payloads in ${payloads.length * 2} messages rendered; no script ran, no dialog, ` +
        `no request beyond ${served.origin}, no CSP violation.`,
    );
  });
});
