import { ChatMLChatWrapper, resolveChatWrapper, type ChatWrapper, type LlamaModel } from "node-llama-cpp";

/**
 * The chat template a model's conversations are rendered with: node-llama-cpp's pick for the file.
 * Its specialized wrappers know a model family's segments (Qwen's thoughts, a family's tool calls)
 * and are kept. Its generic ChatML wrapper knows nothing of the file's own template: for
 * SmolLM2-135M-Instruct it puts the BOS token (`<|im_start|>` there) before the first `<|im_start|>`,
 * which the file says not to add, and leaves out the default system prompt the template gives, so
 * the model reads a prompt unlike the ones it was tuned on. Where node-llama-cpp settles on generic
 * ChatML and the file carries its template, the file's own Jinja template renders instead.
 */
export function chatWrapperFor(model: LlamaModel): ChatWrapper {
  const picked = resolveChatWrapper(model);
  if (!(picked instanceof ChatMLChatWrapper) || !model.fileInfo.metadata.tokenizer?.chat_template) return picked;
  return resolveChatWrapper(model, { type: "jinjaTemplate", fallbackToOtherWrappersOnJinjaError: true });
}
