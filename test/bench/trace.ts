import type { CostCurve } from "../../electron/engine/draftPolicy";
import type { WorkloadKind } from "./workloads";

/** What a reference-mode reply could draw on, as the bench's copy oracle saw it, all in tokens. */
export interface TraceSources {
  /** The conversation so far in the chat template, as the model read it before the reply. */
  prompt: number[];
  /** Past answers and attached documents, in the order the chat service hands them to the predictor. */
  references: { id: string; tokens: number[] }[];
}

/** One measured turn: its sources and the reply every mode wrote (baseline's tokens). */
export interface TracedTurn extends TraceSources {
  id: string;
  kind: WorkloadKind;
  turn: number;
  /** The reference mode's conversation: turns of one conversation share a predictor. */
  conversation: string;
  /** The reply's token limit. */
  maxTokens: number;
  reply: number[];
}

/** What `npm run bench -- --trace FILE` writes: every turn in the order the bench ran them. */
export interface Trace {
  costCurve: CostCurve;
  turns: TracedTurn[];
}
