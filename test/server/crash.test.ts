import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../../db/index";
import type { ConversationDetail, Health, StreamEvent } from "../../electron/api/contract";
import { readEvents } from "../../electron/api/sse";
import { spawnServe, type ServeProcess } from "./serveProcess";

const dirs: string[] = [];
const processes: ServeProcess[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-serve-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const p of processes.splice(0)) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, args: string[] = []): Promise<ServeProcess> {
  const p = await spawnServe(dataDir, args);
  processes.push(p);
  return p;
}

/** Starts a long reply and returns once `tokens` tokens and `afterMs` ms of streaming have gone by. */
async function replyUnderway(p: ServeProcess, tokens: number, afterMs: number) {
  expect((await p.api("/api/settings", { method: "PATCH", body: JSON.stringify({ maxTokens: 2000 }) })).status).toBe(200);
  const { id } = (await (await p.api("/api/conversations", { method: "POST", body: "{}" })).json()) as { id: string };
  const res = await p.api(`/api/conversations/${id}/messages`, {
    method: "POST",
    body: JSON.stringify({ text: "Tell me a very long story about the sea." }),
  });
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const events = readEvents(res.body!);
  let streamed = "";
  let count = 0;
  let firstAt = 0;
  for await (const event of events as AsyncGenerator<StreamEvent>) {
    if (event.type === "token") {
      streamed += event.text;
      firstAt ||= Date.now();
      if (++count >= tokens && Date.now() - firstAt >= afterMs) break;
    }
    if (event.type === "done" || event.type === "error") throw new Error(`The reply ended too early: ${JSON.stringify(event)}`);
  }
  return { id, streamed };
}

describe("serve process", () => {
  it("after kill -9 mid-reply and a restart, keeps the question and the partial answer, interrupted; the database is intact", async () => {
    const dir = tempDir();
    const first = await start(dir);
    // Well past the 200 ms between writes of the partial text.
    const { id, streamed } = await replyUnderway(first, 10, 700);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();

    const second = await start(dir);
    expect(second.output()).toMatch(/1 reply\(s\) were cut off/);
    const health = (await (await second.api("/api/health")).json()) as Health;
    expect(health.database.recoveredMessages).toBe(1);
    const detail = (await (await second.api(`/api/conversations/${id}`)).json()) as ConversationDetail;
    expect(detail.messages.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "interrupted"],
    ]);
    expect(detail.messages[0]!.content).toBe("Tell me a very long story about the sea.");
    const partial = detail.messages[1]!.content;
    expect(partial.length).toBeGreaterThan(0);
    // What was stored is what had streamed, up to the last write before the kill.
    expect(streamed.startsWith(partial)).toBe(true);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const store = Store.open(path.join(dir, "reprise.db"));
    try {
      expect(store.checkIntegrity()).toEqual([]);
      expect(store.recoveredMessageIds).toEqual([]);
      expect(store.getActivePath(id).map((m) => m.status)).toEqual(["complete", "interrupted"]);
    } finally {
      store.close();
    }
  });

  it("on SIGTERM mid-reply, stores the partial answer as interrupted and exits cleanly", async () => {
    const dir = tempDir();
    const p = await start(dir);
    const { id, streamed } = await replyUnderway(p, 5, 0);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    const store = Store.open(path.join(dir, "reprise.db"));
    try {
      // Finished by the server itself, not recovered at the next open.
      expect(store.recoveredMessageIds).toEqual([]);
      const answer = store.getActivePath(id)[1]!;
      expect(answer.status).toBe("interrupted");
      expect(answer.content.length).toBeGreaterThanOrEqual(streamed.length);
      expect(answer.stats?.tokens).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });

  it("refuses a damaged database with a clear message, and keeps it aside only with --fresh-db", async () => {
    const dir = tempDir();
    const file = path.join(dir, "reprise.db");
    fs.writeFileSync(file, Buffer.alloc(8192, 7));
    const noModel = ["--model", path.join(dir, "no-model.gguf")];
    await expect(start(dir, noModel)).rejects.toThrow(/not a SQLite database[\s\S]*--fresh-db/);
    expect(fs.readFileSync(file)).toEqual(Buffer.alloc(8192, 7));

    const p = await start(dir, [...noModel, "--fresh-db"]);
    expect(p.output()).toMatch(/kept at .*reprise\.db\.broken-/);
    const health = (await (await p.api("/api/health")).json()) as Health;
    expect(health.ok).toBe(false);
    expect(health.model.state).toBe("error");
    expect(health.model.message).toContain("no-model.gguf");
    expect(fs.readdirSync(dir).some((f) => f.startsWith("reprise.db.broken-"))).toBe(true);
  });
});
