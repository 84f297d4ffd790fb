import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../electron/api/schema";
import { builtPeerServer } from "../../build/scripts/peer-path";
import { testModelPath } from "../helpers/model";
import { completionBody, parseCompletion, peerModes, PeerServer, serverArgs } from "./peerServer";
import recorded from "./peerCompletion.sample.json";

/** The value following `flag` in an argument list. */
function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

describe("serverArgs", () => {
  const base = { model: "/m/model.gguf", port: 4321, threads: 2 };

  it("serves the model greedily on 127.0.0.1 with the bench's threads, context and one slot", () => {
    const args = serverArgs({ ...base, mode: "plain" });
    expect(flag(args, "--model")).toBe("/m/model.gguf");
    expect(flag(args, "--host")).toBe("127.0.0.1");
    expect(flag(args, "--port")).toBe("4321");
    expect(flag(args, "--threads")).toBe("2");
    expect(flag(args, "--ctx-size")).toBe("4096");
    expect(flag(args, "--parallel")).toBe("1");
    expect(flag(args, "--temp")).toBe("0");
    expect(flag(args, "--top-k")).toBe("1");
    expect(args).not.toContain("--spec-type");
  });

  it("gives each n-gram mode its speculation type, at its defaults or with its tuned sizes", () => {
    const of = (mode: (typeof peerModes)[number]) => serverArgs({ ...base, mode });
    expect(flag(of("ngram-simple"), "--spec-type")).toBe("ngram-simple");
    expect(of("ngram-simple").some((a) => a.startsWith("--spec-ngram"))).toBe(false);
    expect(flag(of("ngram-mod"), "--spec-type")).toBe("ngram-mod");
    expect(of("ngram-mod").some((a) => a.startsWith("--spec-ngram"))).toBe(false);
    expect(flag(of("ngram-simple-tuned"), "--spec-type")).toBe("ngram-simple");
    expect(flag(of("ngram-simple-tuned"), "--spec-ngram-simple-size-n")).toBe("3");
    expect(flag(of("ngram-mod-tuned"), "--spec-type")).toBe("ngram-mod");
    expect(flag(of("ngram-mod-tuned"), "--spec-ngram-mod-n-match")).toBe("4");
  });
});

describe("completionBody", () => {
  it("asks for a greedy reply with its token ids, from the prompt cache, stopping at the end of generation", () => {
    expect(completionBody({ prompt: "Hi", maxTokens: 50 })).toEqual({
      prompt: "Hi",
      n_predict: 50,
      temperature: 0,
      top_k: 1,
      seed: 0,
      ignore_eos: false,
      cache_prompt: true,
      return_tokens: true,
      stream: false,
    });
  });

  it("forces the length and reads the prompt again when asked", () => {
    const body = completionBody({ prompt: [1, 2, 3], maxTokens: 200, ignoreEos: true, cachePrompt: false });
    expect(body).toMatchObject({ prompt: [1, 2, 3], n_predict: 200, ignore_eos: true, cache_prompt: false });
  });
});

describe("parseCompletion", () => {
  it("reads a recorded llama-server reply, leaving out the end-of-generation token it stopped at", () => {
    const reply = parseCompletion(recorded);
    expect(recorded.stop_type).toBe("eos");
    expect(reply.text).toBe(recorded.content);
    expect(reply.tokens).toEqual(recorded.tokens.slice(0, -1));
    expect(reply.decodedTokens).toBe(recorded.tokens_predicted);
    expect(reply.promptMs).toBe(recorded.timings.prompt_ms);
    expect(reply.decodeMs).toBe(recorded.timings.predicted_ms);
    expect(reply.drafted).toBe(recorded.timings.draft_n);
    expect(reply.accepted).toBe(recorded.timings.draft_n_accepted);
  });

  it("keeps every token of a reply cut at its length, and counts no drafts where the server reports none", () => {
    const { draft_n: _drafted, draft_n_accepted: _accepted, ...timings } = recorded.timings;
    const reply = parseCompletion({ ...recorded, stop_type: "limit", timings });
    expect(reply.tokens).toEqual(recorded.tokens);
    expect(reply.drafted).toBe(0);
    expect(reply.accepted).toBe(0);
  });

  it("names the field of a reply it cannot read", () => {
    expect(() => parseCompletion({ ...recorded, tokens: "1 2 3" })).toThrow(ValidationError);
    expect(() => parseCompletion({ ...recorded, stop_type: "tired" })).toThrow(/stop_type/);
    expect(() => parseCompletion({ ...recorded, timings: undefined })).toThrow(/timings/);
  });
});

const peerBinary = builtPeerServer();
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-peer-server-"));
afterAll(() => fs.rmSync(logDir, { recursive: true, force: true }));

describe("PeerServer", () => {
  it.runIf(peerBinary !== null)("answers a short greedy question through its chat template (needs npm run peer:build)", async () => {
    const server = await PeerServer.start(peerBinary!, { model: await testModelPath(), threads: 1, mode: "plain" }, path.join(logDir, "plain.log"));
    try {
      const prompt = await server.applyTemplate([{ role: "user", content: "What is the capital of France?" }]);
      expect(prompt).toContain("What is the capital of France?");
      const { completion } = await server.complete({ prompt, maxTokens: 12 });
      expect(completion.text.trim()).not.toBe("");
      expect(completion.tokens.length).toBeGreaterThan(0);
      expect(completion.tokens.length).toBeLessThanOrEqual(12);
    } finally {
      await server.close();
    }
  });
});

/** A stand-in for llama-server: healthy at once on the port it is given, its pid written where the environment says. */
const fakeServer = `
import fs from "node:fs";
import http from "node:http";
const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
fs.writeFileSync(process.env.REPRISE_FAKE_PEER_PID, String(process.pid));
http.createServer((request, response) => response.end("{}")).listen(port, "127.0.0.1");
`;

/** Whether process `pid` still runs: a zombie no longer does (where nothing reaps it, it keeps its pid). */
function running(pid: number): boolean {
  const status = `/proc/${pid}/status`;
  if (fs.existsSync("/proc/self/status")) return fs.existsSync(status) && !/^State:\s+Z/m.test(fs.readFileSync(status, "utf8"));
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a bench stopped by a signal", () => {
  it.each(["SIGINT", "SIGTERM"] as const)("stops the servers it started first (%s)", async (signal) => {
    const dir = fs.mkdtempSync(path.join(logDir, "signal-"));
    const server = path.join(dir, "llama-server.mjs");
    fs.writeFileSync(server, `#!${process.execPath}\n${fakeServer}`, { mode: 0o700 });
    const bench = path.join(dir, "bench.mts");
    const options = { model: "model.gguf", threads: 1, mode: "plain" };
    fs.writeFileSync(
      bench,
      `import { PeerServer } from ${JSON.stringify(path.resolve(import.meta.dirname, "peerServer.ts"))};\n` +
        `await PeerServer.start(${JSON.stringify(server)}, ${JSON.stringify(options)}, ${JSON.stringify(path.join(dir, "server.log"))});\n` +
        `console.log("up");\nsetInterval(() => {}, 1000);\n`,
    );
    const pidFile = path.join(dir, "server.pid");
    const child = spawn(process.execPath, ["--import", "tsx", bench], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: { ...process.env, REPRISE_FAKE_PEER_PID: pidFile },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.setEncoding("utf8");
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        output += chunk;
        if (output.includes("up")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`the bench exited (code ${code}) before its server came up`)));
    });
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    try {
      expect(running(pid)).toBe(true);
      const exited = once(child, "exit");
      child.kill(signal);
      expect(await exited).toEqual([null, signal]);
      // The server is sent SIGTERM before the bench goes; it takes a moment to end.
      for (let tries = 0; tries < 100 && running(pid); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(running(pid)).toBe(false);
    } finally {
      if (running(pid)) process.kill(pid, "SIGKILL");
    }
  });
});
