/**
 * The bench's peer (`npm run bench -- --peer PATH`): llama.cpp's own llama-server, what a user who
 * wants a fast local model would run instead, on the same model file and threads. One server per
 * mode (plain and its n-gram modes, see peerServer.ts); every workload turn goes to each of them
 * right after Reprise's modes, and each mode continues its own conversation with its own earlier
 * replies, as a chat client of llama-server would. Then a forced-length comparison of plain decoding.
 */
import fs from "node:fs";
import path from "node:path";
import type { Token } from "node-llama-cpp";
import type { ChatTurn, Engine } from "../../electron/engine/engine";
import {
  commonPrefix,
  formatPeerReport,
  sameTokens,
  summarizeForced,
  summarizeKinds,
  type ForcedRun,
  type ForcedSummary,
  type PeerKindSummary,
  type PeerModeResult,
  type PeerTurnRow,
  repriseModes,
  type RepriseMode,
  type Timed,
} from "./peerReport";
import { modeFlags, peerModes, PeerServer, type ChatMessage, type PeerCompletion, type PeerMode } from "./peerServer";
import type { Workload, WorkloadKind } from "./workloads";

/** A prompt the model answers at length, so that the forced tokens are mostly ones it would write anyway. */
const forcedPrompt = "Write a long story about a lighthouse keeper who finds a message in a bottle.";
const forcedTokens = 200;
const forcedRepetitions = 3;

/** Whether both engines' chat templates turn a case's first question into the same prompt tokens. */
export interface PromptCheck {
  id: string;
  identical: boolean;
  commonPrefixTokens: number;
  repriseTokens: number;
  peerTokens: number;
}

export interface PeerResults {
  binary: string;
  /** Each mode's own flags, beyond the common ones (peerServer.ts). */
  modeFlags: Record<PeerMode, readonly string[]>;
  cases: PeerTurnRow[];
  kinds: Partial<Record<WorkloadKind, PeerKindSummary>>;
  prompts: PromptCheck[];
  forcedLength: ForcedSummary;
}

/** The `--peer` argument: an executable file, or a clear error saying how to get one. */
export function checkPeerBinary(file: string): string {
  const resolved = path.resolve(file);
  const executable = (() => {
    try {
      fs.accessSync(resolved, fs.constants.X_OK);
      return fs.statSync(resolved).isFile();
    } catch {
      return false;
    }
  })();
  if (!executable) throw new Error(`--peer ${file}: not an executable file (npm run peer:build builds llama-server and prints its path)`);
  return resolved;
}

interface Reply {
  completion: PeerCompletion;
  ms: number;
}

export class PeerBench {
  private readonly rows: PeerTurnRow[] = [];
  private readonly prompts: PromptCheck[] = [];
  private conversations = {} as Record<PeerMode, ChatMessage[]>;
  private rotation = 0;

  private constructor(
    private readonly binary: string,
    private readonly servers: Record<PeerMode, PeerServer>,
    private readonly engine: Engine,
    private readonly systemPrompt: string,
  ) {}

  /** One server per mode on the engine's model file and thread count; their logs go to `logDir`. */
  static async start(binary: string, engine: Engine, systemPrompt: string, logDir: string): Promise<PeerBench> {
    const servers = {} as Record<PeerMode, PeerServer>;
    try {
      for (const mode of peerModes) {
        const log = path.join(logDir, `llama-server-${mode}.log`);
        servers[mode] = await PeerServer.start(binary, { model: engine.modelPath, threads: engine.threads, mode }, log);
      }
    } catch (error) {
      await Promise.all(Object.values(servers).map((server) => server.close()));
      throw error;
    }
    console.log(`llama-server ${binary}: ${peerModes.join(", ")}`);
    return new PeerBench(binary, servers, engine, systemPrompt);
  }

  private messages(conversation: readonly ChatMessage[]): ChatMessage[] {
    return this.systemPrompt ? [{ role: "system", content: this.systemPrompt }, ...conversation] : [...conversation];
  }

  /** `text` as the user's next turn of `conversation`, the reply appended to it. */
  private async say(mode: PeerMode, conversation: ChatMessage[], text: string, maxTokens: number): Promise<Reply> {
    const server = this.servers[mode];
    conversation.push({ role: "user", content: text });
    // The chat endpoint's own rendering, then a completion of it: the same prompt as /v1/chat/completions
    // reads, with the reply's token ids, which only /completion returns.
    const prompt = await server.applyTemplate(this.messages(conversation));
    const reply = await server.complete({ prompt, maxTokens });
    conversation.push({ role: "assistant", content: reply.completion.text });
    return reply;
  }

  /** Every mode once, so no mode pays for first-use costs inside the measurement. */
  async warmUp(): Promise<void> {
    for (const mode of peerModes) await this.say(mode, [], "Say hello.", 16);
  }

  /**
   * A workload's seed conversations in every mode, interleaved; their replies only fill what a server
   * keeps across requests (ngram-mod's hash pool, which every request shares: llama.cpp's nearest thing
   * to Reprise's past answers). Then a new conversation per mode.
   */
  async startCase(workload: Workload): Promise<void> {
    for (const seed of workload.seed) {
      const conversations = Object.fromEntries(peerModes.map((mode) => [mode, [] as ChatMessage[]])) as Record<PeerMode, ChatMessage[]>;
      for (const text of seed) for (const mode of peerModes) await this.say(mode, conversations[mode], text, workload.maxTokens);
    }
    this.conversations = Object.fromEntries(peerModes.map((mode) => [mode, [] as ChatMessage[]])) as Record<PeerMode, ChatMessage[]>;
  }

  private async checkPrompt(id: string, question: string): Promise<void> {
    const reprise = this.engine.renderTurns([...this.systemTurns(), { role: "user", text: question }, { role: "assistant", text: "" }]);
    const plain = this.servers.plain;
    const peer = await plain.tokenize(await plain.applyTemplate(this.messages([{ role: "user", content: question }])));
    this.prompts.push({
      id,
      identical: sameTokens(reprise, peer),
      commonPrefixTokens: commonPrefix(reprise, peer),
      repriseTokens: reprise.length,
      peerTokens: peer.length,
    });
  }

  private systemTurns(): ChatTurn[] {
    return this.systemPrompt ? [{ role: "system", text: this.systemPrompt }] : [];
  }

  /**
   * One workload turn in every mode, in an order that rotates from turn to turn; `row` carries
   * Reprise's figures for the same turn and `baselineTokens` its baseline reply. `question` is the
   * user's turn as Reprise's prompt holds it (with the passages retrieved from the case's documents),
   * so both engines read the same text.
   */
  async turn(row: Omit<PeerTurnRow, "peer" | "baselineVsPlain">, question: string, maxTokens: number, baselineTokens: readonly Token[]): Promise<void> {
    if (row.turn === 0) await this.checkPrompt(row.id, question);
    const order = peerModes.map((_, i) => peerModes[(i + this.rotation) % peerModes.length]!);
    this.rotation++;
    const replies = {} as Record<PeerMode, Reply>;
    for (const mode of order) replies[mode] = await this.say(mode, this.conversations[mode], question, maxTokens);
    const plain = replies.plain.completion.tokens;
    const peer = {} as Record<PeerMode, PeerModeResult>;
    for (const mode of peerModes) {
      const { completion, ms } = replies[mode];
      peer[mode] = {
        tokens: completion.tokens.length,
        ms,
        tokensPerSecond: completion.tokens.length / (ms / 1000),
        drafted: completion.drafted,
        accepted: completion.accepted,
        identicalToPlain: sameTokens(completion.tokens, plain),
      };
    }
    const baselineVsPlain = { identical: sameTokens(baselineTokens, plain), commonPrefixTokens: commonPrefix(baselineTokens, plain) };
    const reprise = Object.fromEntries(repriseModes.map((mode) => [mode, { tokens: row.reprise[mode].tokens, ms: row.reprise[mode].ms }]));
    this.rows.push({ ...row, reprise: reprise as Record<RepriseMode, Timed>, peer, baselineVsPlain });
    console.log(
      `${"".padEnd(20)} llama-server ` +
        peerModes.map((mode) => `${mode} ${peer[mode].tokensPerSecond.toFixed(1)}/s${peer[mode].identicalToPlain ? "" : " (differs)"}`).join("  ") +
        (baselineVsPlain.identical ? "" : `  baseline differs after ${baselineVsPlain.commonPrefixTokens} tokens`),
    );
  }

  /** The forced-length comparison, the report, and the servers stopped. */
  async finish(): Promise<PeerResults> {
    try {
      const forcedLength = await this.forcedLength();
      const kinds = summarizeKinds(this.rows);
      for (const line of formatPeerReport(kinds, forcedLength)) console.log(line);
      const differing = this.prompts.filter((p) => !p.identical);
      console.log(
        `first questions rendered to the same prompt tokens by both chat templates: ${this.prompts.length - differing.length} of ${this.prompts.length}` +
          differing.map((p) => `\n  ${p.id}: Reprise ${p.repriseTokens} tokens, llama-server ${p.peerTokens}, equal for the first ${p.commonPrefixTokens}`).join(""),
      );
      return { binary: this.binary, modeFlags, cases: this.rows, kinds, prompts: this.prompts, forcedLength };
    } finally {
      await this.close();
    }
  }

  /**
   * Exactly `forcedTokens` of plain greedy decoding after one prompt, the same token ids in both
   * engines (Reprise's rendering of it), each repetition from an empty cache, alternating which engine
   * goes first.
   */
  private async forcedLength(): Promise<ForcedSummary> {
    const prompt = this.engine.renderTurns([...this.systemTurns(), { role: "user", text: forcedPrompt }, { role: "assistant", text: "" }]);
    const reprise: ForcedRun[] = [];
    const peer: ForcedRun[] = [];
    let shared = 0;
    for (let i = 0; i < forcedRepetitions; i++) {
      const runReprise = async () => {
        const out = await repriseForced(this.engine, prompt, forcedTokens);
        reprise.push(out.run);
        return out.tokens;
      };
      const runPeer = async () => {
        const out = await peerForced(this.servers.plain, prompt, forcedTokens);
        peer.push(out.run);
        return out.tokens;
      };
      const [a, b] = i % 2 === 0 ? [await runReprise(), await runPeer()] : [await runPeer(), await runReprise()];
      if (i === 0) shared = commonPrefix(a, b);
    }
    return summarizeForced(forcedTokens, reprise, peer, shared);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.servers).map((server) => server.close()));
  }
}

/**
 * Plain greedy decoding through node-llama-cpp's sequence, as Reprise's baseline decodes. It goes on
 * past an end-of-generation token (node-llama-cpp's token bias cannot ban one, as llama-server's
 * `ignore_eos` does), so both engines decode the same number of tokens; the texts may part there.
 */
async function repriseForced(engine: Engine, prompt: Token[], tokens: number): Promise<{ run: ForcedRun; tokens: Token[] }> {
  const chat = await engine.openChat({ drafting: "off" });
  try {
    const out: Token[] = [];
    const started = performance.now();
    let first = started;
    for await (const token of chat.sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
      if (out.length === 0) first = performance.now();
      out.push(token);
      if (out.length === tokens) break;
    }
    const end = performance.now();
    if (out.length !== tokens) throw new Error(`Reprise decoded ${out.length} tokens, not ${tokens}`);
    return { run: { tokensPerSecond: tokens / ((end - started) / 1000), decodeTokensPerSecond: (tokens - 1) / ((end - first) / 1000) }, tokens: out };
  } finally {
    await chat.release();
  }
}

/** The same through llama-server, its prompt cache off so that every repetition reads the prompt again. */
async function peerForced(server: PeerServer, prompt: readonly Token[], tokens: number): Promise<{ run: ForcedRun; tokens: number[] }> {
  const { completion, ms } = await server.complete({ prompt, maxTokens: tokens, ignoreEos: true, cachePrompt: false });
  if (completion.tokens.length !== tokens) throw new Error(`llama-server decoded ${completion.tokens.length} tokens, not ${tokens}`);
  return {
    // Its decoding time runs from the end of the prompt pass, which yields the first token, to the last one.
    run: { tokensPerSecond: tokens / (ms / 1000), decodeTokensPerSecond: (tokens - 1) / (completion.decodeMs / 1000) },
    tokens: completion.tokens,
  };
}
