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
