import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateFiles } from "../../electron/chat/stateFiles";
import type { Engine, EngineChat } from "../../electron/engine/engine";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-states-"));
  dirs.push(dir);
  return dir;
}

/**
 * Only what StateFiles touches: the model file names the state's model, the chat's sequence writes
 * the state (here a few bytes), and the chat fails to read one, as node-llama-cpp does with a file
 * that is not a state.
 */
function fakes(modelPath: string) {
  const engine = { modelPath } as Engine;
  const chat = {
    sequence: {
      contextTokens: [1, 2, 3],
      saveStateToFile: async (file: string) => fs.writeFileSync(file, "evaluated state"),
    },
    loadState: async () => {
      throw new Error("not a state file");
    },
  } as unknown as EngineChat;
  return { engine, chat };
}

describe("state files", () => {
  it("never builds a path from a conversation id: a traversal id stays inside the state folder", async () => {
    const root = tempDir();
    const stateDir = path.join(root, "data", "state");
    const outside = path.join(root, "elsewhere");
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "victim.state"), "not Reprise's");
    const model = path.join(root, "model.gguf");
    fs.writeFileSync(model, "GGUF");
    const { engine, chat } = fakes(model);
    const states = new StateFiles(stateDir);
    const id = `${"/..".repeat(12)}${outside}/victim`;

    expect(await states.load(engine, id, chat)).toBe(false);
    await states.save(engine, id, chat);
    expect(fs.readdirSync(stateDir)).toHaveLength(1);
    expect(fs.statSync(path.join(stateDir, fs.readdirSync(stateDir)[0]!)).mode & 0o777).toBe(0o600);
    states.delete(id);

    expect(fs.readdirSync(stateDir)).toEqual([]);
    expect(fs.readdirSync(outside)).toEqual(["victim.state"]);
    expect(fs.readFileSync(path.join(outside, "victim.state"), "utf8")).toBe("not Reprise's");
  });

  it("deletes every state of a conversation, a half-written one too, and no other conversation's", async () => {
    const root = tempDir();
    const stateDir = path.join(root, "state");
    const model = path.join(root, "model.gguf");
    fs.writeFileSync(model, "GGUF");
    const { engine, chat } = fakes(model);
    const states = new StateFiles(stateDir);
    await states.save(engine, "conversation-a", chat);
    await states.save(engine, "conversation-b", chat);
    expect(fs.readdirSync(stateDir)).toHaveLength(2);
    // A save cut short by a crash leaves its .partial file behind.
    const partials = fs.readdirSync(stateDir).map((name) => `${name}.partial`);
    for (const name of partials) fs.writeFileSync(path.join(stateDir, name), "half");
    states.delete("conversation-a");
    // b's state and its half-written save are left.
    expect(fs.readdirSync(stateDir)).toHaveLength(2);
    states.delete("conversation-b");
    expect(fs.readdirSync(stateDir)).toEqual([]);
  });
});

describe("state files of an earlier version", () => {
  it("are removed at start: named by the id, they could be neither found nor deleted with their conversation", () => {
    const stateDir = tempDir();
    const own = `${"a".repeat(16)}-${"b".repeat(32)}.state`;
    const byId = `${"a".repeat(16)}-0b8e7c52-5f0e-4c1e-9f3a-2d7c1b9e6a11.state`;
    for (const name of [own, byId, `${own}.partial`, "notes.txt"]) fs.writeFileSync(path.join(stateDir, name), "x");
    new StateFiles(stateDir);
    expect(fs.readdirSync(stateDir).sort()).toEqual([own, "notes.txt"]);
  });
});
