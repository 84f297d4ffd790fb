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

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** Parses a JSON Lines workload file; a bad line is reported with its number. */
export function parseWorkloads(text: string): Workload[] {
  const workloads: Workload[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const fail = (why: string): never => {
      throw new Error(`workload line ${i + 1}: ${why}`);
    };
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      return fail(`not JSON (${(error as Error).message})`);
    }
    if (typeof raw.id !== "string" || raw.id === "") fail("needs an id");
    if (!kinds.includes(raw.kind as WorkloadKind)) fail(`kind must be one of ${kinds.join(", ")}`);
    const seed = raw.seed ?? [];
    if (!Array.isArray(seed) || !seed.every(isStrings)) fail("seed must be a list of lists of user messages");
    if (!isStrings(raw.turns) || raw.turns.length === 0) fail("turns must be a non-empty list of user messages");
    const documents = raw.documents ?? [];
    const isDocument = (d: unknown): d is WorkloadDocument =>
      typeof d === "object" && d !== null && typeof (d as WorkloadDocument).name === "string" && typeof (d as WorkloadDocument).text === "string";
    if (!Array.isArray(documents) || !documents.every(isDocument)) fail('documents must be a list of {"name", "text"}');
    const maxTokens = raw.maxTokens ?? 200;
    if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1) fail("maxTokens must be a positive integer");
    workloads.push({
      id: raw.id as string,
      kind: raw.kind as WorkloadKind,
      seed: seed as string[][],
      turns: raw.turns as string[],
      maxTokens: maxTokens as number,
      documents: documents as WorkloadDocument[],
    });
  }
  return workloads;
}
