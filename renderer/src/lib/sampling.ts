import type { SamplingPreset } from "../../../electron/api/contract";

/** The sampling presets as Settings and a conversation's header offer them. */
export const samplingChoices: { value: SamplingPreset; label: string; why: string }[] = [
  {
    value: "model",
    label: "Balanced (the model's recommendation)",
    why: "The sampling the model file recommends, or llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05) when it recommends none.",
  },
  {
    value: "precise",
    label: "Precise (always the most likely word)",
    why: "Greedy decoding: the same question gets the same answer, and drafted text is token for token what plain decoding writes.",
  },
  { value: "custom", label: "Custom", why: "The four values below." },
];
