import { array, number, object, oneOf, optional, string, ValidationError, type Schema } from "../../electron/api/schema";

/** One benchmark case: seed conversations whose answers become cached past answers, then the measured turns. */
export type WorkloadKind = "multi-turn" | "cache" | "rag" | "none";

/** A text attached to the case's measured conversation before its turns (the `rag` kind's passages). */
export interface WorkloadDocument {
  name: string;
  text: string;
}

export interface Workload {
  id: string;
  kind: WorkloadKind;
  seed: string[][];
  turns: string[];
  maxTokens: number;
  documents: WorkloadDocument[];
}

const kinds: readonly WorkloadKind[] = ["multi-turn", "cache", "rag", "none"];

const line: Schema<{
  id: string;
  kind: WorkloadKind;
  seed?: string[][];
  turns: string[];
  maxTokens?: number;
  documents?: WorkloadDocument[];
}> = object({
  id: string({ min: 1 }),
  kind: oneOf(kinds),
  /** Where the case's text was taken from, for the reader. */
  source: optional(string()),
  seed: optional(array(array(string()))),
  turns: array(string(), { min: 1 }),
  maxTokens: optional(number({ integer: true, min: 1 })),
  documents: optional(array(object({ name: string({ min: 1 }), text: string({ min: 1 }) }))),
});

/** Parses a JSON Lines workload file; a bad line is reported with its number and field. */
export function parseWorkloads(text: string): Workload[] {
  const workloads: Workload[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    if (raw.trim() === "") continue;
    try {
      const { id, kind, seed = [], turns, maxTokens = 200, documents = [] } = line.parse(JSON.parse(raw), { path: "workload" });
      workloads.push({ id, kind, seed, turns, maxTokens, documents });
    } catch (error) {
      if (error instanceof ValidationError || error instanceof SyntaxError) {
        throw new Error(`workload line ${i + 1}: ${(error as Error).message}`);
      }
      throw error;
    }
  }
  return workloads;
}
