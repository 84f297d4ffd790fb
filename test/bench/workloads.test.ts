import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseWorkloads } from "./workloads";

describe("parseWorkloads", () => {
  it("reads the shipped workloads, with the defaults for what a line leaves out", () => {
    const workloads = parseWorkloads(fs.readFileSync(path.join(import.meta.dirname, "workloads.jsonl"), "utf8"));
    expect(workloads.length).toBeGreaterThan(10);
    expect(new Set(workloads.map((w) => w.kind))).toEqual(new Set(["multi-turn", "cache", "rag", "none"]));
    expect(parseWorkloads('{"id": "a", "kind": "none", "turns": ["Hi."]}')).toEqual([
      { id: "a", kind: "none", seed: [], turns: ["Hi."], maxTokens: 200, documents: [] },
    ]);
  });

  it("names the line and the field of a bad workload", () => {
    const good = '{"id": "a", "kind": "none", "turns": ["Hi."]}';
    const cases: [string, RegExp][] = [
      ['{"id": "b", "kind": "other", "turns": ["Hi."]}', /^workload line 2: workload\.kind: expected one of/],
      ['{"id": "b", "kind": "rag", "turns": []}', /^workload line 2: workload\.turns: expected a list of at least 1 item/],
      ['{"id": "b", "kind": "rag", "turns": ["Hi."], "seed": [["a", 1]]}', /^workload line 2: workload\.seed\[0\]\[1\]: expected a string/],
      ['{"id": "b", "kind": "rag", "turns": ["Hi."], "maxTokens": 1.5}', /^workload line 2: workload\.maxTokens: expected an integer/],
      ['{"id": "b", "kind": "rag", "turns": ["Hi."], "max_tokens": 9}', /^workload line 2: workload\.max_tokens: unknown field/],
      ["{oops", /^workload line 2: /],
    ];
    for (const [line, message] of cases) expect(() => parseWorkloads(`${good}\n${line}`)).toThrow(message);
  });
});
