import fs from "node:fs/promises";
import { TokenPredictor, type LlamaModel, type Token } from "node-llama-cpp";
import { nullable, number, object, string } from "../api/schema";

/** Bumped whenever what the check does changes, so older results are checked again. */
const checkVersion = 1;

/**
 * Prose for the model to continue: plain text, so that base and chat models alike write on for
 * a few hundred tokens, and varied, so that near ties between candidates come up.
 */
const checkText =
  "The lighthouse keeper kept a logbook of every ship that passed the point. On the first page, in a careful hand, " +
  "he had written the rules he meant to keep: light the lamp at dusk, trim the wick at midnight, and";

/** One deliberate draft: `length` tokens, of which the first `right` are what plain decoding writes next. */
export interface DraftPlan {
  length: number;
  right: number;
}

/**
 * Every draft length up to `maxDraftTokens`, each refuted halfway (the tokens after the wrong one
 * are right again, so verification must stop at the first wrong one, not at the first token it
 * rejects on sight), then one refuted at once and one accepted whole, both of the longest length:
 * each way a draft is cut short and rolled back runs at least once.
 */
export function draftPlans(maxDraftTokens: number): DraftPlan[] {
  if (maxDraftTokens <= 0) return [];
  const halfway = Array.from({ length: maxDraftTokens }, (_, i) => ({ length: i + 1, right: Math.floor((i + 1) / 2) }));
  return [...halfway, { length: maxDraftTokens, right: 0 }, { length: maxDraftTokens, right: maxDraftTokens }];
}

/**
 * Drafts by a script from the tokens plain decoding wrote: plan by plan, one per forward pass,
 * and never on the pass that reads the prompt (as Reprise's predictor does not). A plan is only
 * drafted where the plain tokens it copies exist.
 */
class ScriptedPredictor extends TokenPredictor {
  /** Tokens generated since the prompt: the index in `plain` of the next token to write. */
  private written = 0;
  private promptPass = false;
  private nextPlan = 0;

  constructor(
    private readonly plain: readonly Token[],
    private readonly plans: readonly DraftPlan[],
    /** A token other than the one given, for the wrong position of a draft. */
    private readonly other: (token: Token) => Token,
  ) {
    super();
  }

  reset(): void {
    this.written = 0;
    this.promptPass = true;
    this.nextPlan = 0;
  }

  pushTokens(tokens: Token[]): void {
    this.written += tokens.length;
  }

  predictTokens(): Token[] {
    if (this.promptPass) {
      this.promptPass = false;
      return [];
    }
    const plan = this.plans[this.nextPlan];
    if (!plan || this.written + plan.length > this.plain.length) return [];
    this.nextPlan++;
    const draft = this.plain.slice(this.written, this.written + plan.length);
    if (plan.right < plan.length) draft[plan.right] = this.other(draft[plan.right]!);
    return draft;
  }
}

/** What the self-check found. */
export interface DraftingCheckResult {
  /** The longest draft checked: every length up to it was drafted and cut short. 0: nothing to check. */
  checkedDraftTokens: number;
  /** Tokens of plain greedy decoding the drafted run was compared with. */
  comparedTokens: number;
  /** Drafted tokens verification kept, and those it refuted and rolled back. */
  acceptedDraftTokens: number;
  refutedDraftTokens: number;
  /** Why drafting must stay off, for the user; null when the drafted run wrote what plain decoding did. */
  failure: string | null;
}

/** Tokens plain decoding must write for every plan to be drafted, with the token each pass adds. */
export function tokensFor(plans: readonly DraftPlan[]): number {
  return plans.reduce((sum, plan) => sum + plan.right + 1, 1);
}

/**
 * Greedy-decodes `count` tokens after `prompt` on a fresh context like a chat's (the sliding-window
 * layers' cache kept full, so that a refuted draft is removed by position), drafting with
 * `predictor` where one is given.
 */
async function greedy(
  model: LlamaModel,
  threads: number,
  prompt: Token[],
  count: number,
  predictor?: TokenPredictor,
): Promise<{ tokens: Token[]; accepted: number; refuted: number }> {
  const context = await model.createContext({ contextSize: 1024, threads, swaFullCache: true });
  try {
    const sequence = context.getSequence({ tokenPredictor: predictor });
    const tokens: Token[] = [];
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
      tokens.push(token);
      if (tokens.length >= count) break;
    }
    const { validated, refuted } = sequence.tokenPredictions;
    return { tokens, accepted: validated, refuted };
  } finally {
    await context.dispose();
  }
}

/**
 * Checks that drafting leaves greedy output as plain decoding writes it on this model and binary:
 * the batch numerics are the calibration's to check (`exactBatch`), this checks the rest, that
 * the state is exactly what it was after a refuted draft is rolled back. A model whose state
 * cannot be rolled back by position (recurrent and hybrid layers) goes through node-llama-cpp's
 * checkpoints or re-evaluation instead, and any fault there shows here as another token.
 */
export async function checkDrafting(model: LlamaModel, threads: number, maxDraftTokens: number): Promise<DraftingCheckResult> {
  const plans = draftPlans(maxDraftTokens);
  const empty = { comparedTokens: 0, acceptedDraftTokens: 0, refutedDraftTokens: 0 };
  if (plans.length === 0) return { checkedDraftTokens: 0, ...empty, failure: null };
  const prompt = model.tokenize(checkText);
  const { tokens: plain } = await greedy(model, threads, prompt, tokensFor(plans));
  const other = (token: Token) => prompt.find((candidate) => candidate !== token)!;
  const checked = { checkedDraftTokens: maxDraftTokens, ...empty, comparedTokens: plain.length };
  let drafted: Awaited<ReturnType<typeof greedy>>;
  try {
    drafted = await greedy(model, threads, prompt, plain.length, new ScriptedPredictor(plain, plans, other));
  } catch (error) {
    return { ...checked, failure: `evaluation failed after a draft was rolled back (${(error as Error).message})` };
  }
  const counts = { acceptedDraftTokens: drafted.accepted, refutedDraftTokens: drafted.refuted };
  const at = firstDifference(plain, drafted.tokens);
  if (at !== null) {
    const failure = `with drafts rolled back, greedy decoding wrote another token than plain decoding at token ${at + 1} of ${plain.length}`;
    return { ...checked, ...counts, failure };
  }
  // A check whose drafts were never verified and cut short would pass whatever rollback does.
  if (drafted.accepted === 0 || drafted.refuted === 0) {
    return { ...checked, ...counts, failure: "the self-check's drafts were not verified as drafted, so rollback went unchecked" };
  }
  return { ...checked, ...counts, failure: null };
}

/** Where `drafted` first parts from `plain` (a missing or extra token counts), or null where they are the same. */
export function firstDifference(plain: readonly Token[], drafted: readonly Token[]): number | null {
  const length = Math.max(plain.length, drafted.length);
  for (let i = 0; i < length; i++) if (plain[i] !== drafted[i]) return i;
  return null;
}

const resultFile = object({
  checkedDraftTokens: number({ min: 0, integer: true }),
  comparedTokens: number({ min: 0, integer: true }),
  acceptedDraftTokens: number({ min: 0, integer: true }),
  refutedDraftTokens: number({ min: 0, integer: true }),
  failure: nullable(string()),
});

/** A kept result, or undefined for a damaged one or one of another shape: it is checked again. */
function parseDraftingCheck(text: string): DraftingCheckResult | undefined {
  try {
    return resultFile.parse(JSON.parse(text), { path: "drafting check" });
  } catch {
    return undefined;
  }
}

/** Where the check of the cost curve kept in `costCurveFile` is kept: beside it, named after it. */
export function draftingCheckFile(costCurveFile: string): string {
  return costCurveFile.replace(/\.json$/, `.check-v${checkVersion}.json`);
}

/**
 * The self-check's result for drafts of up to `maxDraftTokens`, run once and kept in `file`: like
 * the cost curve, it depends only on the model, the binary and the thread count. A kept result of
 * another draft length, or a damaged one, is checked again.
 */
export async function loadDraftingCheck(
  model: LlamaModel,
  threads: number,
  maxDraftTokens: number,
  file: string,
): Promise<DraftingCheckResult> {
  const kept = await fs.readFile(file, "utf8").then(parseDraftingCheck, () => undefined);
  if (kept && kept.checkedDraftTokens === maxDraftTokens) return kept;
  const result = await checkDrafting(model, threads, maxDraftTokens);
  await fs.writeFile(file, JSON.stringify(result));
  return result;
}
