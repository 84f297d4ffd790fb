import fs from "node:fs/promises";
import { readGgufFileInfo, type GgufTensorInfo } from "node-llama-cpp";

export type ModelFileProblem = "missing" | "unreadable" | "not-gguf" | "truncated" | "damaged";

/** A model file that cannot be used; the message names the file and says what to do. */
export class ModelFileError extends Error {
  override name = "ModelFileError";
  constructor(
    readonly problem: ModelFileProblem,
    readonly filePath: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * ggml block geometry (elements per block, bytes per block) of the tensor types
 * that GGUF models ship in. A type not listed here is checked by its offset only.
 */
const ggmlBlocks: Record<number, [elements: number, bytes: number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  30: [1, 2], // BF16
};

function tensorEnd(tensor: GgufTensorInfo): number {
  const start = Number(tensor.fileOffset);
  const block = ggmlBlocks[tensor.ggmlType];
  if (block == null) return start + 1;
  const elements = tensor.dimensions.reduce<number>((n, d) => n * Number(d), 1);
  return start + Math.ceil(elements / block[0]) * block[1];
}

/**
 * Checks that a file is a complete GGUF model before it reaches llama.cpp,
 * whose own errors ("Failed to load model") name neither the file nor the cause.
 */
export async function validateModelFile(filePath: string): Promise<void> {
  let size: number;
  try {
    const stat = await fs.stat(filePath);
    if (!stat.isFile()) throw new ModelFileError("unreadable", filePath, `Model path is not a file: ${filePath}`);
    size = stat.size;
  } catch (error) {
    if (error instanceof ModelFileError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new ModelFileError("missing", filePath, `Model file not found: ${filePath}`);
    throw new ModelFileError("unreadable", filePath, `Model file cannot be read: ${filePath} (${(error as Error).message})`);
  }

  const magic = Buffer.alloc(4);
  const handle = await fs.open(filePath, "r").catch((error: Error) => {
    throw new ModelFileError("unreadable", filePath, `Model file cannot be read: ${filePath} (${error.message})`);
  });
  const { bytesRead } = await handle.read(magic, 0, 4, 0).finally(() => handle.close());
  if (bytesRead < 4 || magic.toString("latin1") !== "GGUF")
    throw new ModelFileError(
      "not-gguf",
      filePath,
      // Never the file's own bytes: the path may name any file the user can read (a key, a password file).
      `Not a GGUF model file: ${filePath} (a GGUF file begins with "GGUF"; this one, ${size} bytes, does not)`,
    );

  let tensors: GgufTensorInfo[];
  let headerBytes: number;
  try {
    const info = await readGgufFileInfo(filePath, { readTensorInfo: true, logWarnings: false });
    tensors = info.fullTensorInfo ?? [];
    headerBytes = info.totalMetadataSize + (info.totalTensorInfoSize ?? 0);
  } catch (error) {
    throw new ModelFileError(
      "damaged",
      filePath,
      `Model file is damaged: ${filePath} (its header cannot be read: ${(error as Error).message}). Download it again.`,
    );
  }
  if (tensors.length === 0)
    throw new ModelFileError("damaged", filePath, `Model file holds no tensors: ${filePath}. Download it again.`);

  // The GGUF reader pads a short read with zeros, so a header cut short still
  // parses; what it claims to need is then more than the file holds.
  const needed = Math.max(headerBytes, ...tensors.map(tensorEnd));
  if (size < needed)
    throw new ModelFileError(
      "truncated",
      filePath,
      `Model file is truncated: ${filePath} is ${size} bytes but needs ${needed}. Download it again.`,
    );
}
