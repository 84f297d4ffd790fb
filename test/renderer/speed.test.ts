import { describe, expect, it } from "vitest";
import { summarizeSpeed } from "../../renderer/src/lib/speed";

const base = { tokens: 120, forwardPasses: 40, drafted: 100, accepted: 80, ms: 2000, tokensPerSecond: 60 };

describe("summarizeSpeed", () => {
  it("shows the time ratio as the speed-up, and gives tokens per pass apart in the tooltip", () => {
    const s = summarizeSpeed({ ...base, drafting: { on: true }, speedup: 2.14 });
    expect(s.rate).toBe("60.0 tok/s");
    expect(s.speedup).toBe("2.1× faster");
    expect(s.drafted).toBe("67% drafted from references");
    expect(s.explanation).toContain("2.1× faster in time than plain decoding");
    expect(s.explanation).toContain("3.0 tokens per forward pass");
    expect(s.explanation).toContain("80 of 100 drafted tokens were kept; the text is exactly what plain decoding writes");
  });

  it("never shows tokens per pass as the speed-up: without a measured time ratio it claims none", () => {
    const s = summarizeSpeed({ ...base, drafting: { on: true } });
    expect(s.speedup).toBeNull();
    expect(s.drafted).toBe("67% drafted from references");
    expect(s.explanation).toContain("3.0 tokens per forward pass");
  });

  it("claims no speed-up when the time ratio shows none, though drafts were kept", () => {
    const s = summarizeSpeed({ ...base, drafting: { on: true }, speedup: 0.96 });
    expect(s.speedup).toBeNull();
    expect(s.explanation).toContain("In time, 1.0× plain decoding's speed: no faster.");
  });

  it("says a sampled reply keeps the model's distribution", () => {
    const sampling = { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 };
    const s = summarizeSpeed({ ...base, drafting: { on: true }, speedup: 1.8, sampling });
    expect(s.explanation).toContain("sampled at temperature 0.7: drafting keeps the model's distribution");
  });

  it("claims no speedup when no drafted token was kept", () => {
    const s = summarizeSpeed({ ...base, forwardPasses: 120, accepted: 0, speedup: 1 });
    expect(s.speedup).toBeNull();
    expect(s.drafted).toBeNull();
    expect(s.explanation).toContain("No drafted token was kept");
  });

  it("tells why drafting was off", () => {
    const s = summarizeSpeed({ ...base, drafting: { on: false, reason: "a repeat penalty is set" } });
    expect(s.speedup).toBeNull();
    expect(s.explanation).toContain("off: a repeat penalty is set");
  });
});
