import type { CatalogModelView, DraftingStatus, Machine, ModelFit, ModelKind } from "../../../electron/api/contract";

/** Bytes as people read a download or a memory size: "98 MB", "2.5 GB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(bytes >= 1e10 ? 0 : 1)} GB`;
  return `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

export function downloadText(model: Pick<CatalogModelView, "downloadBytes" | "downloadBytesExact">): string {
  return `${model.downloadBytesExact ? "" : "about "}${formatBytes(model.downloadBytes)}`;
}

export function memoryText(fit: ModelFit): string {
  const gpu = fit.vramBytes > 0 ? `, ${formatBytes(fit.vramBytes)} of it on the GPU` : "";
  return `Needs ${formatBytes(fit.ramBytes)} of memory${gpu}`;
}

const fitTexts: Record<ModelFit["level"], string> = {
  good: "Runs well on this computer",
  fair: "Runs here, but slowly or tight on memory",
  poor: "Barely runs on this computer",
  none: "Too big for this computer",
};

export function fitText(fit: ModelFit): string {
  return fitTexts[fit.level];
}

export function machineText(machine: Machine): string {
  const gpu = machine.gpu ? `, ${machine.gpu.toUpperCase()} GPU with ${formatBytes(machine.vramBytes)}` : ", no GPU";
  return `This computer: ${formatBytes(machine.ramBytes)} of memory (${formatBytes(machine.freeRamBytes)} free)${gpu}.`;
}

export const kindLabels: Record<ModelKind, string> = { chat: "Chat", base: "Base model" };

/** What the UI says about a base model wherever one is in use or offered. */
export const baseModelWarning =
  "This is a base model: it continues the text it is given rather than answering it. To chat, choose an Instruct model.";

/** The Settings line on drafting: which llama.cpp binary, where it evaluates, how long a draft may be. */
export function draftingSummary(drafting: DraftingStatus | null): string {
  if (!drafting) return "— (measured when the model is first used)";
  const binary = drafting.binary === "reprise" ? "Reprise's exact build" : "node-llama-cpp's prebuilt binary";
  const backend = drafting.backend === "cpu" ? "CPU" : `${drafting.backend.toUpperCase()} GPU`;
  const reach = drafting.maxDraftTokens === 0 ? "no drafting" : `drafts of up to ${drafting.maxDraftTokens} tokens per pass`;
  return `${binary} on the ${backend}: ${reach}`;
}

/** The Settings line on what the calibration and the drafting self-check found. */
export function draftingFindings(drafting: DraftingStatus): string {
  const { selfCheck } = drafting;
  const check = !selfCheck.passed
    ? "Self-check failed: drafting is off."
    : selfCheck.checkedDraftTokens === 0
      ? "Self-check: nothing to check without drafts."
      : `Self-check passed (drafts of 1 to ${selfCheck.checkedDraftTokens} tokens rolled back, output unchanged).`;
  const plain = `Plain decoding ${drafting.plainTokensPerSecond.toFixed(0)} tokens/s`;
  const best =
    drafting.bestBatchTokens > 1
      ? `; at best ${drafting.bestTokensPerSecond.toFixed(0)} tokens/s when a ${drafting.bestBatchTokens}-token batch is accepted whole.`
      : ".";
  return `${check} ${plain}${best}`;
}
