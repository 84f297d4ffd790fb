import { number } from "../api/schema";

/**
 * How the next token is picked. Temperature 0 decodes greedily: drafted text is then token for token
 * what plain decoding gives. Above 0 a drafted token is kept only where the token sampled at its
 * position equals it, each position with a fresh random draw, so the reply follows the model's
 * distribution exactly as plain sampling does (the draws differ, so the tokens do too).
 */
export interface Sampling {
  /** 0 picks the most likely token. */
  temperature: number;
  /** Only the k most likely tokens are considered; 0 considers all. */
  topK: number;
  /** Only the most likely tokens whose probabilities add up to p are considered; 1 considers all. */
  topP: number;
  /** Tokens less likely than this fraction of the most likely one are left out; 0 leaves none out. */
  minP: number;
}

/** "Precise": the most likely token every time. */
export const greedySampling: Sampling = { temperature: 0, topK: 40, topP: 0.95, minP: 0 };

/** llama.cpp's own defaults, which most local chat apps show: for a model that recommends none. */
export const chatSampling: Sampling = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };

/** The GGUF keys (llama.cpp's `general.sampling.*`) in which a model file recommends its sampling. */
const recommendedKeys = {
  temperature: "temp",
  topK: "top_k",
  topP: "top_p",
  minP: "min_p",
} as const satisfies Record<keyof Sampling, string>;

/** The valid range of each field, shared with the API's settings schema. */
const limits: Record<keyof Sampling, { min: number; max: number; integer?: true }> = {
  temperature: { min: 0, max: 2 },
  topK: { min: 0, max: 1000, integer: true },
  topP: { min: 0, max: 1 },
  minP: { min: 0, max: 1 },
};

/** Whether `value` is a valid `field` of a Sampling (file metadata is hostile too). */
function valid(field: keyof Sampling, value: unknown): value is number {
  try {
    number(limits[field]).parse(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The sampling a GGUF file recommends (its `general.sampling` metadata), with llama.cpp's defaults
 * for the fields it leaves out; null when it recommends nothing valid.
 */
export function recommendedSampling(general: unknown): Sampling | null {
  const sampling = (general as { sampling?: unknown } | undefined)?.sampling;
  if (typeof sampling !== "object" || sampling === null) return null;
  const given = sampling as Record<string, unknown>;
  const recommended: Sampling = { ...chatSampling };
  let any = false;
  for (const field of Object.keys(recommendedKeys) as (keyof Sampling)[]) {
    const value = given[recommendedKeys[field]];
    if (valid(field, value)) {
      recommended[field] = value;
      any = true;
    }
  }
  return any ? recommended : null;
}

/**
 * Which sampling a reply uses: the model's recommendation (else llama.cpp's defaults), "precise"
 * (greedy), or the user's own values.
 */
export type SamplingPreset = "model" | "precise" | "custom";

export const samplingPresets: readonly SamplingPreset[] = ["model", "precise", "custom"];

export function resolveSampling(preset: SamplingPreset, custom: Sampling, recommended: Sampling | null): Sampling {
  const { temperature, topK, topP, minP } = preset === "precise" ? greedySampling : preset === "custom" ? custom : (recommended ?? chatSampling);
  return { temperature, topK, topP, minP };
}

/** A conversation's own preset, kept in its free-form settings; absent or invalid means the app's. */
export function presetOf(settings: { [key: string]: unknown }): SamplingPreset | undefined {
  const preset = settings.samplingPreset;
  return samplingPresets.find((p) => p === preset);
}

export { limits as samplingLimits };
