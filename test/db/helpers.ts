import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { Store } from "../../db/store.js";
import type { StoreOptions } from "../../db/store.js";
import type { MessageStats } from "../../db/types.js";

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) {
    try {
      s.close();
    } catch {
      // Already closed by the test.
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "reprise-db-test-"));
  dirs.push(dir);
  return dir;
}

export function tempDbPath(): string {
  return join(tempDir(), "reprise.db");
}

/** Opens a store that is closed after the test if the test did not close it. */
export function openStore(path = tempDbPath(), options?: StoreOptions): Store {
  const store = Store.open(path, options);
  stores.push(store);
  return store;
}

/** A clock that advances one second per reading, so every write has its own time. */
export function steppingClock(start = Date.UTC(2026, 0, 1)): () => number {
  let t = start;
  return () => (t += 1000);
}

export function sha256(path: string): string | null {
  return existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : null;
}

export function stats(overrides: Partial<MessageStats> = {}): MessageStats {
  return {
    tokens: 42,
    forwardPasses: 20,
    drafted: 30,
    accepted: 22,
    ms: 700,
    tokensPerSecond: 60,
    copiedSpans: [{ sourceId: "ref-1", replyStartChar: 3, replyEndChar: 17 }],
    ...overrides,
  };
}
