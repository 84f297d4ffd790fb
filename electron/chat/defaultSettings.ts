import type { Settings } from "../api/contract";
import { chatSampling } from "../engine/sampling";

/** The settings of a new install. Browser-safe, so that the UI's tests can start from them too. */
export const defaultSettings: Settings = {
  maxTokens: 512,
  samplingPreset: "model",
  temperature: chatSampling.temperature,
  topK: chatSampling.topK,
  topP: chatSampling.topP,
  minP: chatSampling.minP,
  repeatPenalty: 1,
  drafting: "reference",
  systemPrompt: "",
  similarAnswers: 4,
  contextSize: 4096,
  threads: 0,
};
