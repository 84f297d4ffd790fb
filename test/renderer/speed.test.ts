import { describe, expect, it } from "vitest";
import { summarizeSpeed } from "../../renderer/src/lib/speed";

const base = { tokens: 120, forwardPasses: 40, drafted: 100, accepted: 80, ms: 2000, tokensPerSecond: 60 };

describe("summarizeSpeed", () => {
  it("says how much faster and how much was drafted, and how that was estimated", () => {
    const s = summarizeSpeed({ ...base, drafting: { on: true } });
    expect(s.rate).toBe("60.0 tok/s");
    expect(s.speedup).toBe("3.0× faster");
    expect(s.drafted).toBe("67% drafted from references");
    expect(s.explanation).toContain("≈ passes saved");
    expect(s.explanation).toContain("80 of 100 drafted tokens were kept");
  });

  it("claims no speedup when no drafted token was kept", () => {
    const s = summarizeSpeed({ ...base, forwardPasses: 120, accepted: 0 });
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
