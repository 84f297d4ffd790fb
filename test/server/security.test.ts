import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../electron/api/contract";
import { createAccessToken } from "../../electron/server/accessToken";
import { rawRequest, startTestServer, type TestServer } from "./helpers";

let t: TestServer;

// No model: every check here happens before a reply would be generated.
beforeAll(async () => {
  t = await startTestServer({ model: false });
  fs.writeFileSync(path.join(t.uiDir, "index.html"), "<!doctype html><title>Reprise</title>");
});
afterAll(() => t?.close());

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("HTTP server security", () => {
  it("answers 401 without the token, or with a wrong one, on the API and the OpenAI endpoints", async () => {
    for (const pathname of ["/api/health", "/api/conversations", "/v1/models"]) {
      const none = await fetch(t.server.url + pathname);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
      // /v1 answers in OpenAI's error shape, which its clients parse.
      const body = (await none.json()) as { code?: string; error?: { code: string } };
      expect(pathname.startsWith("/v1/") ? body.error?.code : body.code).toBe("unauthorized");
      const wrong = await t.api(pathname, { headers: { authorization: "Bearer not-the-token" } });
      expect(wrong.status).toBe(401);
    }
    const right = await t.api("/api/health");
    expect(right.status).toBe(200);
  });

  it("answers 403 to a foreign Host (DNS rebinding), before looking at anything else", async () => {
    for (const host of ["evil.example:80", `evil.example:${t.server.port}`, "127.0.0.1", `127.0.0.2:${t.server.port}`]) {
      const res = await rawRequest(t.server.port, {
        path: "/api/health",
        headers: { host, authorization: `Bearer ${t.token}` },
      });
      expect(res.status, host).toBe(403);
    }
    // The UI is guarded the same way: a rebinding page must not even load it under its own name.
    expect((await rawRequest(t.server.port, { path: "/", headers: { host: "evil.example" } })).status).toBe(403);
    const ok = await rawRequest(t.server.port, {
      path: "/api/health",
      headers: { host: `localhost:${t.server.port}`, authorization: `Bearer ${t.token}` },
    });
    expect(ok.status).toBe(200);
  });

  it("answers 403 to a foreign Origin (cross-site calls), and accepts its own", async () => {
    for (const origin of ["https://evil.example", "null", `http://127.0.0.1:${t.server.port + 1}`, `https://127.0.0.1:${t.server.port}`]) {
      const res = await t.api("/api/conversations", { ...json({}), headers: { ...json({}).headers, origin } });
      expect(res.status, origin).toBe(403);
    }
    expect((await t.api("/api/conversations?limit=1")).status).toBe(200);
    const own = await t.api("/api/conversations", { ...json({}), headers: { ...json({}).headers, origin: t.server.url } });
    expect(own.status).toBe(200);
  });

  it("listens on the loopback address only", async () => {
    expect(t.server.server.address()).toMatchObject({ address: "127.0.0.1" });
    const others = Object.values(os.networkInterfaces())
      .flat()
      // Link-local IPv6 needs a scope to be dialled at all, so it proves nothing either way.
      .filter((i) => i && !i.internal && !i.address.startsWith("fe80"))
      .map((i) => i!.address);
    for (const address of [...others, "::1"]) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const socket = net.connect({ host: address, port: t.server.port, timeout: 2000 });
        socket.on("connect", () => {
          socket.destroy();
          resolve(null);
        });
        socket.on("timeout", () => {
          socket.destroy();
          resolve(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }));
        });
        socket.on("error", (e) => resolve(e));
      });
      expect(error?.code, address).toBe("ECONNREFUSED");
    }
  });

  it("answers 413 to a body over 2 MB, declared or not", async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, "a");
    const declared = await rawRequest(t.server.port, {
      method: "POST",
      path: "/api/conversations",
      headers: {
        host: `127.0.0.1:${t.server.port}`,
        authorization: `Bearer ${t.token}`,
        "content-type": "application/json",
        "content-length": String(big.length),
      },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ code: "payload_too_large" });
    const chunked = await rawRequest(t.server.port, {
      method: "POST",
      path: "/api/conversations",
      headers: { host: `127.0.0.1:${t.server.port}`, authorization: `Bearer ${t.token}`, "content-type": "application/json" },
      body: big,
      chunked: true,
    });
    expect(chunked.status).toBe(413);
    // Just under the cap is read (and then judged on its content).
    const fits = await t.api("/api/import", json({ content: "x".repeat(MAX_BODY_BYTES - 100) }));
    expect(fits.status).toBe(400);
  });

  it("answers 400 with a clear message to malformed JSON and to invalid fields", async () => {
    const malformed = await t.api("/api/conversations", { ...json({}), body: '{"title": "x",' });
    expect(malformed.status).toBe(400);
    const body = (await malformed.json()) as { error: string; code: string };
    expect(body.code).toBe("bad_request");
    expect(body.error).toMatch(/not valid JSON/);

    const badField = await t.api("/api/conversations", json({ title: 42 }));
    expect(badField.status).toBe(400);
    expect(((await badField.json()) as { error: string }).error).toMatch(/request\.title: expected a string/);

    const unknownField = await t.api("/api/conversations", json({ titel: "typo" }));
    expect(((await unknownField.json()) as { error: string }).error).toMatch(/request\.titel: unknown field/);

    const notObject = await t.api("/api/conversations", json([1, 2]));
    expect(notObject.status).toBe(400);
    const badQuery = await t.api("/api/conversations?limit=many");
    expect(badQuery.status).toBe(400);
  });

  it("answers 404 to unknown conversations, messages and routes, and 405 to a wrong method", async () => {
    const missing = "00000000-0000-0000-0000-000000000000";
    for (const [method, pathname, body] of [
      ["GET", `/api/conversations/${missing}`, undefined],
      ["DELETE", `/api/conversations/${missing}`, undefined],
      ["POST", `/api/conversations/${missing}/messages`, { text: "hello" }],
      ["POST", `/api/conversations/${missing}/rename`, { title: "x" }],
      ["GET", `/api/messages/${missing}`, undefined],
      ["GET", "/api/nothing-here", undefined],
    ] as const) {
      const res = await t.api(pathname, body ? json(body) : { method });
      expect(res.status, `${method} ${pathname}`).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("not_found");
    }
    const wrongMethod = await t.api("/api/health", { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
  });

  it("serves the UI with a strict CSP and nothing outside its folder", async () => {
    const page = await fetch(`${t.server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Reprise</title>");
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    for (const pathname of ["/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"]) {
      const res = await rawRequest(t.server.port, { path: pathname, headers: { host: `127.0.0.1:${t.server.port}` } });
      expect(res.status, pathname).toBe(404);
      expect(res.body).not.toContain("root:");
    }
  });

  it("says clearly when the UI is not built", async () => {
    fs.rmSync(path.join(t.uiDir, "index.html"));
    const page = await fetch(`${t.server.url}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/npm run build/);
  });

  it("writes a new random access token, readable by its owner only", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-token-"));
    try {
      fs.writeFileSync(path.join(dir, "access-token"), "old", { mode: 0o644 });
      const first = createAccessToken(dir);
      const second = createAccessToken(dir);
      expect(first.token).not.toBe(second.token);
      expect(first.token.length).toBeGreaterThanOrEqual(40);
      expect(fs.readFileSync(second.file, "utf8").trim()).toBe(second.token);
      expect(fs.statSync(second.file).mode & 0o777).toBe(0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A minimal export file with one conversation, for the import checks below. */
function exportFile(conversation: { id: string; title?: string; settings?: unknown }): string {
  return JSON.stringify({
    format: "reprise.conversations",
    version: 1,
    exportedAt: 0,
    conversations: [
      { title: "Imported", createdAt: 0, updatedAt: 0, model: null, settings: {}, pinned: false, activeRootId: null, messages: [], ...conversation },
    ],
  });
}

function nested(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

describe("what a hostile probe of the server found (issue 15)", () => {
  it("refuses to import a conversation whose id is empty, too long or a path", async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-outside-"));
    try {
      fs.writeFileSync(path.join(outside, "victim.state"), "keep me");
      for (const id of ["", "x".repeat(101), `/../../../../../../..${outside}/victim`]) {
        const res = await t.api("/api/import", json({ content: exportFile({ id }) }));
        expect(res.status, JSON.stringify(id)).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(/conversations\[0\]\.id/);
      }
      expect((await t.service.listConversations({})).items.filter((c) => c.title === "Imported")).toEqual([]);
      expect(fs.readFileSync(path.join(outside, "victim.state"), "utf8")).toBe("keep me");
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it("answers 400, not 500, to JSON nested thousands deep: in a body, and in an imported file's settings", async () => {
    const body = await t.api("/api/conversations", { ...json({}), body: `{"title": ${nested(5000)}}` });
    expect(body.status).toBe(400);
    expect(((await body.json()) as { error: string }).error).toMatch(/nested deeper than/);
    const openAi = await t.api("/v1/chat/completions", { ...json({}), body: `{"messages": ${nested(5000)}}` });
    expect(openAi.status).toBe(400);
    const deepSettings = `{"a":`.repeat(3000) + "1" + "}".repeat(3000);
    const content = exportFile({ id: "deep-settings" }).replace(`"settings":{}`, `"settings":${deepSettings}`);
    const imported = await t.api("/api/import", json({ content }));
    expect(imported.status).toBe(400);
    expect(((await imported.json()) as { error: string }).error).toMatch(/nested deeper than/);
  });

  it("refuses lone surrogates in text instead of storing them changed", async () => {
    const res = await t.api("/api/conversations", { ...json({}), body: '{"title": "half \\ud800 a pair"}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/request\.title/);
    const imported = await t.api("/api/import", json({ content: exportFile({ id: "surrogate", title: "half \ud800 a pair" }) }));
    expect(imported.status).toBe(400);
  });

  it("answers 400 to a malformed cursor", async () => {
    const res = await t.api("/api/conversations?cursor=garbage");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("bad_request");
  });

  it("answers /v1 in OpenAI's error shape, 401 included, and 405 to a wrong method", async () => {
    const unauthorized = await fetch(`${t.server.url}/v1/chat/completions`, { ...json({ messages: [] }) });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ error: { type: "invalid_request_error", code: "unauthorized" } });
    const wrongMethod = await t.api("/v1/chat/completions");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(await wrongMethod.json()).toMatchObject({ error: { code: "method_not_allowed" } });
    expect((await t.api("/v1/models", { method: "POST" })).status).toBe(405);
  });

  it("does not follow a symlink out of the UI folder", async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-outside-"));
    try {
      fs.writeFileSync(path.join(outside, "secret.txt"), "root:secret");
      fs.symlinkSync(path.join(outside, "secret.txt"), path.join(t.uiDir, "linked.txt"));
      fs.symlinkSync(outside, path.join(t.uiDir, "linked-dir"));
      for (const pathname of ["/linked.txt", "/linked-dir/secret.txt"]) {
        const res = await fetch(`${t.server.url}${pathname}`);
        expect(res.status, pathname).toBe(404);
        expect(await res.text()).not.toContain("root:secret");
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
