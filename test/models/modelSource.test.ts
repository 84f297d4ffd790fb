import { describe, expect, it } from "vitest";
import { modelCatalog } from "../../electron/engine/modelCatalog";
import {
  cacheFileName,
  huggingFaceUri,
  MAX_SOURCE_CHARS,
  ModelSourceError,
  parseModelSource,
  resolveUrl,
} from "../../electron/models/modelSource";

const qwen = { owner: "Qwen", repo: "Qwen3-4B-GGUF", revision: "main", filePath: "Qwen3-4B-Q4_K_M.gguf" };

describe("parsing what a user pastes to name a model", () => {
  it.each([
    ["hf:Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf", qwen],
    ["  https://huggingface.co/Qwen/Qwen3-4B-GGUF/resolve/main/Qwen3-4B-Q4_K_M.gguf?download=true\n", qwen],
    ["https://huggingface.co/Qwen/Qwen3-4B-GGUF/blob/main/Qwen3-4B-Q4_K_M.gguf", qwen],
    ["https://hf.co/Qwen/Qwen3-4B-GGUF/resolve/main/Qwen3-4B-Q4_K_M.gguf", qwen],
    ["HF:Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf#v1.0", { ...qwen, revision: "v1.0" }],
    [
      "https://huggingface.co/unsloth/gemma-3-4b-it-GGUF/resolve/3f6f5d2/sub/gemma-3-4b-it-Q4_K_M.gguf",
      { owner: "unsloth", repo: "gemma-3-4b-it-GGUF", revision: "3f6f5d2", filePath: "sub/gemma-3-4b-it-Q4_K_M.gguf" },
    ],
  ])("accepts %j", (input, expected) => {
    expect(parseModelSource(input)).toEqual(expected);
  });

  it.each([
    ["", /Paste/],
    ["hf:Qwen/Qwen3-4B-GGUF:Q4_K_M", /names a repository \(Q4_K_M\), not a file/],
    ["hf:Qwen/Qwen3-4B-GGUF", /not a file/],
    ["hf:Qwen/Qwen3-4B-GGUF/README.md", /not a GGUF/],
    ["hf:../etc/passwd.gguf", /not a valid Hugging Face user/],
    ["hf:Qwen/repo/../../../../etc/x.gguf", /not a file or folder name/],
    ["hf:Qwen/repo/./x.gguf", /not a file or folder name/],
    ["hf:Qwen/repo/x.gguf#../../main", /not a valid revision/],
    ["hf:Qwen/repo/big-00001-of-00003.gguf", /split into several files/],
    ["http://huggingface.co/Qwen/Qwen3-4B-GGUF/resolve/main/Qwen3-4B-Q4_K_M.gguf", /Only https/],
    ["https://evil.example/Qwen/Qwen3-4B-GGUF/resolve/main/x.gguf", /not from evil\.example/],
    ["https://huggingface.co.evil.example/Q/r/resolve/main/x.gguf", /Hugging Face only/],
    ["https://huggingface.co:444/Q/r/resolve/main/x.gguf", /Hugging Face only/],
    ["https://user:pw@huggingface.co/Q/r/resolve/main/x.gguf", /user name or password/],
    ["https://huggingface.co/Qwen/Qwen3-4B-GGUF", /not a file's address/],
    ["https://huggingface.co/Qwen/Qwen3-4B-GGUF/tree/main", /not a file's address/],
    ["https://huggingface.co/Q/r/resolve/main/a%2F..%2F..%2Fx.gguf", /not a file or folder name/],
    ["https://huggingface.co/Q/r/resolve/main/%E0%A4%A.gguf", /broken %-escape/],
    ["https://huggingface.co/Q/r/resolve/main/x%00.gguf", /not a file or folder name/],
    ["hf:Qwen/repo/my model.gguf", /spaces or control characters/],
    ["hf:Qwen/repo/x\u2028y.gguf", /spaces or control characters/],
    ["javascript:alert(1)//.gguf", /Only https/],
    ["file:///etc/passwd.gguf", /Only https/],
    ["not a url", /spaces/],
    ["huggingface.co/Q/r/resolve/main/x.gguf", /not a web address/],
  ])("refuses %j with a reason", (input, reason) => {
    expect(() => parseModelSource(input)).toThrow(ModelSourceError);
    expect(() => parseModelSource(input)).toThrow(reason);
  });

  it("refuses an input longer than any real address before looking at it", () => {
    expect(() => parseModelSource(`hf:Qwen/repo/${"a".repeat(MAX_SOURCE_CHARS)}.gguf`)).toThrow(/too long/);
  });

  it("gives the download address, the hf: URI and a cache name that round-trip", () => {
    const file = parseModelSource("hf:unsloth/Qwen3-1.7B-GGUF/q/Qwen3-1.7B-Q4_K_M.gguf#dev");
    expect(resolveUrl(file)).toBe("https://huggingface.co/unsloth/Qwen3-1.7B-GGUF/resolve/dev/q/Qwen3-1.7B-Q4_K_M.gguf");
    expect(parseModelSource(resolveUrl(file))).toEqual(file);
    expect(parseModelSource(huggingFaceUri(file))).toEqual(file);
    expect(cacheFileName(file)).toBe("Qwen3-1.7B-Q4_K_M.gguf");
  });

  it("every catalog entry is a valid hf: URI whose cache name is the entry's file name", () => {
    for (const entry of modelCatalog) {
      expect(cacheFileName(parseModelSource(entry.huggingFaceUri))).toBe(entry.fileName);
    }
  });
});
