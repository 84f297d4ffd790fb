import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Store } from "../../db/store.js";
import { streamedText } from "./fixtures/streamedText.js";
import { tempDbPath } from "./helpers.js";

const STREAMER = fileURLToPath(new URL("./fixtures/streamer.ts", import.meta.url));
const RUNS = 50;

// Deterministic "random" kill moments, so that a failure can be replayed.
let seed = 20261127;
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}

interface Run {
  ready: { conversationId: string; questionId: string; answerId: string } | null;
  lastUpdate: number;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Starts a streaming child and SIGKILLs it `delayMs` after its first committed update
 * (or, with delayMs < 0, as soon as it is ready, before any update).
 */
function streamAndKill(path: string, label: string, delayMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", STREAMER, path, label], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const run: Run = { ready: null, lastUpdate: 0, signal: null, stderr: "" };
    let buffered = "";
    let killScheduled = false;
    const scheduleKill = (ms: number) => {
      if (killScheduled) return;
      killScheduled = true;
      setTimeout(() => child.kill("SIGKILL"), ms);
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [kind, a, b, c] = line.split(" ");
        if (kind === "ready" && a && b && c) {
          run.ready = { conversationId: a, questionId: b, answerId: c };
          if (delayMs < 0) scheduleKill(0);
        } else if (kind === "u") {
          run.lastUpdate = Number(a);
          scheduleKill(Math.max(0, delayMs));
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (run.stderr += chunk.toString()));
    // A child that never gets going must not hang the test.
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      clearTimeout(guard);
      run.signal = signal;
      resolve(run);
    });
  });
}

describe("crash safety", () => {
  it(`keeps the question and the answer up to its last update through ${RUNS} SIGKILLs mid-stream`, async () => {
    const path = tempDbPath();
    const seenUpdates: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Mostly a few ms to a few hundred ms into the stream; sometimes before the first update.
      const delayMs = i % 10 === 9 ? -1 : Math.floor(random() ** 2 * 300);
      const run = await streamAndKill(path, `run-${i}`, delayMs);
      expect(run.stderr).toBe("");
      expect(run.signal).toBe("SIGKILL");
      expect(run.ready).not.toBeNull();
      const ready = run.ready as NonNullable<Run["ready"]>;

      const store = Store.open(path);
      try {
        expect(store.checkIntegrity()).toEqual([]);
        expect(store.recoveredMessageIds).toEqual([ready.answerId]);
        expect(store.getMessage(ready.questionId)).toMatchObject({ role: "user", content: `question run-${i}` });
        const answer = store.getMessage(ready.answerId);
        expect(answer.status).toBe("interrupted");
        // The last reported update is committed; the child may have committed one more before it died.
        const candidates = [streamedText(run.lastUpdate), streamedText(run.lastUpdate + 1)];
        expect(candidates).toContain(answer.content);
        expect(store.getActivePath(ready.conversationId).map((m) => m.id)).toEqual([ready.questionId, ready.answerId]);
        expect(store.listConversations({ limit: 100 }).items).toHaveLength(i + 1);
      } finally {
        store.close();
      }
      seenUpdates.push(run.lastUpdate);
    }
    // The kills landed at many different moments, some right at the start of the stream.
    expect(new Set(seenUpdates).size).toBeGreaterThan(RUNS / 2);
    expect(Math.min(...seenUpdates)).toBeLessThan(50);
  }, 120_000);
});
