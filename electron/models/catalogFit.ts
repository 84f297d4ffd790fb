import { GgufInsights, type GgufFileInfo, type Llama } from "node-llama-cpp";
import type { FitLevel, Machine, ModelFit, ModelKind } from "../api/contract";

/** A chat template in the GGUF is what makes a model answer turns; without one it only continues text. */
export function modelKind(info: GgufFileInfo): ModelKind {
  const template = info.metadata.tokenizer?.chat_template;
  return typeof template === "string" && template.trim() !== "" ? "chat" : "base";
}

/** The bands node-llama-cpp's own CLI colours its compatibility score by (100/95 green, 85/75 yellow, below red). */
function level(score: number): FitLevel {
  if (score >= 0.95) return "good";
  if (score >= 0.75) return "fair";
  if (score > 0) return "poor";
  return "none";
}

/**
 * How well the model of `info` fits this machine with a context of `contextSize` tokens: node-llama-cpp's
 * configuration scoring (GPU layers it can offload, whether model and context fit in VRAM and RAM,
 * and on a CPU alone how small the model is, since that is its speed).
 */
export async function modelFit(info: GgufFileInfo, llama: Llama, contextSize: number): Promise<ModelFit> {
  const insights = await GgufInsights.from(info, llama);
  const scored = await insights.configurationResolver.scoreModelConfigurationCompatibility({ contextSize, forceStrictContextSize: true });
  const score = scored.compatibilityScore;
  return {
    level: level(score),
    score,
    ramBytes: scored.resolvedValues.totalRamUsage,
    vramBytes: scored.resolvedValues.totalVramUsage,
    contextSize: scored.resolvedValues.contextSize,
  };
}

export async function machine(llama: Llama): Promise<Machine> {
  const [ram, vram] = await Promise.all([llama.getRamState(), llama.getVramState()]);
  return {
    ramBytes: ram.total,
    freeRamBytes: ram.free,
    vramBytes: vram.total,
    gpu: llama.gpu === false ? null : llama.gpu,
  };
}

/**
 * The recommended model: among chat models whose fit is known, the best score, and among equal
 * scores the largest, which answers best. Base models are never recommended.
 */
export function recommend<T extends { id: string; kind: ModelKind; fit: ModelFit | null; downloadBytes: number }>(models: readonly T[]): string | null {
  let best: T | null = null;
  for (const model of models) {
    if (model.kind !== "chat" || !model.fit || model.fit.level === "none") continue;
    if (!best?.fit || model.fit.score > best.fit.score || (model.fit.score === best.fit.score && model.downloadBytes > best.downloadBytes)) best = model;
  }
  return best?.id ?? null;
}
