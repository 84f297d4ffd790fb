import { LlamaModel } from "node-llama-cpp";
import { vi } from "vitest";

/**
 * A test double of a sequence whose rollback is broken: every context created until the returned
 * function is called claims to remove the KV cells of a refuted draft and leaves them in place,
 * as a model whose state cannot be taken back by position would keep what the draft wrote into it.
 * node-llama-cpp rolls a refuted draft back through this one call of its native context.
 */
export function breakRollback(): () => void {
  const create = LlamaModel.prototype.createContext;
  const spy = vi.spyOn(LlamaModel.prototype, "createContext").mockImplementation(async function (this: LlamaModel, options) {
    const context = await create.call(this, options);
    // The addon's methods are read-only on its prototype: the double is the instance's own.
    Object.defineProperty((context as unknown as { _ctx: object })._ctx, "removeTokenCellsFromSequence", { value: () => true });
    return context;
  });
  return () => spy.mockRestore();
}
