import { expect, vi } from "vitest";
import { EngineChat } from "../../electron/engine/engine";
import { expectDone, type TestService } from "./helpers";

/** What one reply cost its chat: tokens held before it, tokens it evaluated, tokens held after it, tokens it drafted. */
export interface Evaluation {
  heldBefore: number;
  evaluated: number;
  heldAfter: number;
  drafted: number;
}

/** Records what every reply of every chat evaluates, from now until the mocks are restored. */
export function meterReplies(): Evaluation[] {
  const evaluations: Evaluation[] = [];
  const reply = EngineChat.prototype.reply;
  vi.spyOn(EngineChat.prototype, "reply").mockImplementation(async function (this: EngineChat, turns, options) {
    const meter = this.sequence.tokenMeter;
    const used = () => meter.usedInputTokens + meter.usedOutputTokens;
    const heldBefore = this.sequence.nextTokenIndex;
    const before = used();
    const result = await reply.call(this, turns, options);
    evaluations.push({ heldBefore, evaluated: used() - before, heldAfter: this.sequence.nextTokenIndex, drafted: result.stats.drafted });
    return result;
  });
  return evaluations;
}

/** Sends a message through the service and returns what its reply evaluated. */
export async function sendMetered(t: TestService, evaluations: Evaluation[], conversationId: string, text: string): Promise<Evaluation> {
  const count = evaluations.length;
  expectDone(await t.service.sendMessage({ conversationId, text }, () => {}));
  expect(evaluations).toHaveLength(count + 1);
  return evaluations.at(-1)!;
}
