/**
 * One llama-server process (llama.cpp's own server, built by `npm run peer:build`) in one decoding
 * mode, on 127.0.0.1, and the requests the bench sends it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { array, number, object, oneOf, optional, string } from "../../electron/api/schema";

export const peerModes = ["plain", "ngram-simple", "ngram-mod", "ngram-simple-tuned", "ngram-mod-tuned"] as const;
export type PeerMode = (typeof peerModes)[number];

/**
 * The flags of each mode beyond the common ones. The n-gram modes come at their documented defaults
 * (docs/speculative.md and common/common.h of the llama.cpp tree: ngram-simple looks up the last 12
 * tokens and drafts the 48 that followed them, ngram-mod looks up 24 and drafts 48 to 64), and once
 * tuned for the short replies of a small dense model, where such long lookups rarely match: shorter
 * lookups and drafts, as the docs advise for dense models.
 */
export const modeFlags: Record<PeerMode, readonly string[]> = {
  plain: [],
  "ngram-simple": ["--spec-type", "ngram-simple"],
  "ngram-mod": ["--spec-type", "ngram-mod"],
  "ngram-simple-tuned": ["--spec-type", "ngram-simple", "--spec-ngram-simple-size-n", "3", "--spec-ngram-simple-size-m", "16"],
  "ngram-mod-tuned": [
    "--spec-type",
    "ngram-mod",
    "--spec-ngram-mod-n-match",
    "4",
    "--spec-ngram-mod-n-min",
    "2",
    "--spec-ngram-mod-n-max",
    "16",
  ],
};

/** The bench's own context size, so both engines hold the same conversations. */
const contextTokens = 4096;

export interface ServerOptions {
  model: string;
  port: number;
  threads: number;
  mode: PeerMode;
}

/** llama-server's command line: greedy, one slot (one request at a time, as the bench sends them). */
export function serverArgs({ model, port, threads, mode }: ServerOptions): string[] {
  return [
    "--model", model,
    "--host", "127.0.0.1",
    "--port", String(port),
    "--threads", String(threads),
    "--ctx-size", String(contextTokens),
    "--parallel", "1",
    "--temp", "0",
    "--top-k", "1",
    // The bench warms every mode up itself, with a request like the measured ones.
    "--no-warmup",
    ...modeFlags[mode],
  ];
}

export interface CompletionRequest {
  /** Text (parsed for special tokens, as llama-server's chat endpoint does with its template's output) or token ids. */
  prompt: string | readonly number[];
  maxTokens: number;
  /** Generate exactly `maxTokens`: llama-server bans the end-of-generation tokens. */
  ignoreEos?: boolean;
  /** Reuse the slot's cached prefix of the prompt (llama-server's default, what a chat client gets). */
  cachePrompt?: boolean;
}

/** The body of a /completion request: greedy, and asking for the token ids so outputs compare token for token. */
export function completionBody({ prompt, maxTokens, ignoreEos = false, cachePrompt = true }: CompletionRequest) {
  return {
    prompt,
    n_predict: maxTokens,
    temperature: 0,
    top_k: 1,
    seed: 0,
    ignore_eos: ignoreEos,
    cache_prompt: cachePrompt,
    return_tokens: true,
    stream: false,
  };
}

const count = number({ integer: true, min: 0 });
const duration = number({ min: 0 });
const completionSchema = object(
  {
    content: string(),
    tokens: array(count),
    tokens_predicted: count,
    stop_type: oneOf(["none", "eos", "limit", "word"]),
    timings: object(
      {
        prompt_ms: duration,
        predicted_ms: duration,
        // Present only when the mode drafted something.
        draft_n: optional(count),
        draft_n_accepted: optional(count),
      },
      { unknownFields: "ignore" },
    ),
  },
  { unknownFields: "ignore" },
);

/** What one /completion reply says, in the bench's terms. */
export interface PeerCompletion {
  text: string;
  /** The reply's token ids, without the end-of-generation token it stopped at. */
  tokens: number[];
  stop: "none" | "eos" | "limit" | "word";
  /** The server's own count of evaluated reply tokens, the end-of-generation token included. */
  decodedTokens: number;
  /** The server's time for the prompt pass. */
  promptMs: number;
  /** The server's time from the end of the prompt pass to the last token. */
  decodeMs: number;
  drafted: number;
  accepted: number;
}

export function parseCompletion(body: unknown): PeerCompletion {
  const reply = completionSchema.parse(body, { path: "llama-server's completion" });
  // llama-server lists the end-of-generation token it stopped at (it renders to no text); node-llama-cpp
  // leaves it out of a reply's tokens, and so does this, so the two engines' replies compare directly.
  const tokens = reply.stop_type === "eos" ? reply.tokens.slice(0, -1) : reply.tokens;
  return {
    text: reply.content,
    tokens,
    stop: reply.stop_type,
    decodedTokens: reply.tokens_predicted,
    promptMs: reply.timings.prompt_ms,
    decodeMs: reply.timings.predicted_ms,
    drafted: reply.timings.draft_n ?? 0,
    accepted: reply.timings.draft_n_accepted ?? 0,
  };
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

const templateSchema = object({ prompt: string() }, { unknownFields: "ignore" });
const tokenizeSchema = object({ tokens: array(count) }, { unknownFields: "ignore" });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Servers still running; a bench that stops on an error, or is stopped by a signal, must not leave them behind. */
const running = new Set<ChildProcess>();
let stopsWithProcess = false;

/**
 * Has `child` stopped when this process ends: a server left running would load the machine under the
 * next benchmark. A signal ends the process without its "exit" event, so each is handled once, then
 * raised again. The handlers are installed with the first server, not by importing this module.
 */
function stopWithProcess(child: ChildProcess): void {
  running.add(child);
  if (stopsWithProcess) return;
  stopsWithProcess = true;
  const stopAll = () => {
    for (const server of running) server.kill("SIGTERM");
  };
  process.on("exit", stopAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      stopAll();
      process.kill(process.pid, signal);
    });
  }
}

/** Loading a model takes a second or two; on a machine loaded by other work, much longer. */
const startTimeoutMs = 180_000;

export class PeerServer {
  private constructor(
    readonly mode: PeerMode,
    readonly port: number,
    readonly logFile: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts llama-server and waits until its model is loaded; its output goes to `logFile`. */
  static async start(binary: string, options: Omit<ServerOptions, "port">, logFile: string): Promise<PeerServer> {
    const port = await freePort();
    const log = fs.openSync(logFile, "w", 0o600);
    const child = spawn(binary, serverArgs({ ...options, port }), { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    stopWithProcess(child);
    let failure: Error | undefined;
    const exited = new Promise<void>((resolve) => {
      child.on("error", (error) => {
        failure = error;
        resolve();
      });
      child.on("exit", (code, signal) => {
        running.delete(child);
        failure ??= new Error(`llama-server (${options.mode}) exited (${signal ?? `code ${code}`}); see ${logFile}`);
        resolve();
      });
    });
    const server = new PeerServer(options.mode, port, logFile, child, exited);
    const deadline = performance.now() + startTimeoutMs;
    while (performance.now() < deadline) {
      if (failure) throw failure;
      // 503 while the model loads, 200 once it serves.
      const healthy = await fetch(`${server.url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (healthy) return server;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await server.close();
    throw new Error(`llama-server (${options.mode}) did not come up within ${startTimeoutMs / 1000} s; see ${logFile}`);
  }

  private get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async post(route: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const text = await response.text();
      throw new Error(`llama-server (${this.mode}) ${route}: HTTP ${response.status}: ${text.slice(0, 300)}`);
    }
    return response.json();
  }

  /** The conversation through the model's chat template, as llama-server's chat endpoint renders it. */
  async applyTemplate(messages: readonly ChatMessage[]): Promise<string> {
    return templateSchema.parse(await this.post("/apply-template", { messages }), { path: "llama-server's template" }).prompt;
  }

  /** Text as a /completion prompt is read: special tokens parsed, the model's start token added if it wants one. */
  async tokenize(text: string): Promise<number[]> {
    const body = await this.post("/tokenize", { content: text, add_special: true, parse_special: true });
    return tokenizeSchema.parse(body, { path: "llama-server's tokens" }).tokens;
  }

  /** One completion, with the request's wall time. */
  async complete(request: CompletionRequest): Promise<{ completion: PeerCompletion; ms: number }> {
    const started = performance.now();
    const body = await this.post("/completion", completionBody(request));
    const ms = performance.now() - started;
    return { completion: parseCompletion(body), ms };
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }
}
