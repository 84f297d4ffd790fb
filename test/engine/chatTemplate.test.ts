import { getLlama, JinjaTemplateChatWrapper, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatWrapperFor } from "../../electron/engine/chatTemplate";
import { defaultModel, secondArchitectureModel } from "../../electron/engine/modelCatalog";
import { testModelPath } from "../helpers/model";

let smol: LlamaModel;
let gemma: LlamaModel;

beforeAll(async () => {
  const llama = await getLlama({ gpu: false, build: "never" });
  smol = await llama.loadModel({ modelPath: await testModelPath(defaultModel) });
  gemma = await llama.loadModel({ modelPath: await testModelPath(secondArchitectureModel) });
});
afterAll(async () => {
  await smol?.dispose();
  await gemma?.dispose();
});

const question = [{ type: "user" as const, text: "Hi" }, { type: "model" as const, response: [] }];

describe("the chat template a conversation is rendered with", () => {
  it("is SmolLM2's own template: one <|im_start|> to open, and its default system prompt", () => {
    const wrapper = chatWrapperFor(smol);
    expect(wrapper).toBeInstanceOf(JinjaTemplateChatWrapper);
    const { contextText } = wrapper.generateContextState({ chatHistory: question });
    expect(smol.detokenize(contextText.tokenize(smol.tokenizer), true)).toBe(
      "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  it("is node-llama-cpp's pick for a file without a template", () => {
    expect(chatWrapperFor(gemma)).not.toBeInstanceOf(JinjaTemplateChatWrapper);
  });
});
