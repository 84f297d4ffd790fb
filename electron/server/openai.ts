import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "../api/errors";
import { anyOf, array, boolean, number, object, oneOf, optional, string, ValidationError } from "../api/schema";
import type { ChatService } from "../chat/chatService";
import { toApiError } from "../chat/apiError";
import type { ChatTurn, Reply } from "../engine/engine";
import { readJsonBody } from "./body";
import { baseHeaders, sendJson, sendOpenAiError } from "./respond";

/**
 * OpenAI-compatible endpoints (POST /v1/chat/completions, streaming or not, and GET /v1/models) on
 * the app's engine, queue and references, so local tools that speak this protocol get the same
 * speed-up. Messages sent here are not stored. Fields of the protocol that Reprise does not
 * implement (stop sequences, tools, logprobs, n > 1, ...) are ignored, as most local servers do.
 */

const textPart = object({ type: oneOf(["text"]), text: string() }, { unknownFields: "ignore" });
const message = object(
  {
    role: oneOf(["system", "developer", "user", "assistant"]),
    content: anyOf(string(), array(textPart)),
  },
  { unknownFields: "ignore" },
);
const completionRequest = object(
  {
    model: optional(string({ max: 1000 })),
    messages: array(message, { max: 10_000 }),
    stream: optional(boolean()),
    // Any length is accepted; the reply runner holds every reply to the app's hard cap.
    max_tokens: optional(number({ min: 1, integer: true })),
    max_completion_tokens: optional(number({ min: 1, integer: true })),
    temperature: optional(number({ min: 0, max: 2 })),
  },
  { unknownFields: "ignore" },
);

/** The endpoints and the one method each answers. */
const endpoints = new Map<string, "GET" | "POST">([
  ["/v1/models", "GET"],
  ["/v1/chat/completions", "POST"],
]);

/** "length" for a reply cut at its token limit, or cut short to give way to the app (see ChatService.complete). */
function finishReason(reply: Reply, cutShort: boolean): "stop" | "length" {
  return reply.stopReason === "maxTokens" || cutShort ? "length" : "stop";
}

export async function handleOpenAi(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  service: ChatService,
): Promise<void> {
  try {
    const method = endpoints.get(pathname);
    if (!method) throw new ApiError("not_found", `No OpenAI-compatible endpoint ${req.method} ${pathname}`);
    if (req.method !== method) {
      sendOpenAiError(res, new ApiError("method_not_allowed", `${req.method} is not allowed on ${pathname}.`), { allow: method });
      return;
    }
    if (pathname === "/v1/models") {
      const status = await service.modelStatus({});
      const data = status.name ? [{ id: status.name, object: "model", created: 0, owned_by: "reprise" }] : [];
      sendJson(res, 200, { object: "list", data });
      return;
    }
    await completions(req, res, service);
  } catch (error) {
    sendOpenAiError(res, error instanceof ValidationError ? new ApiError("bad_request", `Invalid ${error.message}`) : toApiError(error));
  }
}

async function completions(req: IncomingMessage, res: ServerResponse, service: ChatService): Promise<void> {
  const request = completionRequest.parse(await readJsonBody(req), { path: "body" });
  const messages: ChatTurn[] = request.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    text: typeof m.content === "string" ? m.content : m.content.map((part) => part.text).join(""),
  }));
  if (messages.at(-1)?.role !== "user") throw new ApiError("bad_request", "Invalid body.messages: the last message must be the user's.");
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const options = {
    messages,
    maxTokens: request.max_completion_tokens ?? request.max_tokens,
    temperature: request.temperature,
    signal: controller.signal,
  };

  if (!request.stream) {
    const { reply, stats, model, cutShort } = await service.complete(options);
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: reply.text }, finish_reason: finishReason(reply, cutShort) }],
      usage: { prompt_tokens: stats.promptTokens, completion_tokens: stats.tokens, total_tokens: (stats.promptTokens ?? 0) + stats.tokens },
      reprise: { stats },
    });
    return;
  }

  let model = "";
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const open = () => {
    if (res.headersSent) return;
    res.writeHead(200, { ...baseHeaders, "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" });
    res.write(chunk({ role: "assistant", content: "" }, null));
  };
  model = (await service.modelStatus({})).name ?? "";
  try {
    const { reply, cutShort } = await service.complete({
      ...options,
      onText: (piece) => {
        open();
        res.write(chunk({ content: piece }, null));
      },
    });
    open();
    res.write(chunk({}, finishReason(reply, cutShort)));
    res.end("data: [DONE]\n\n");
  } catch (error) {
    if (!res.headersSent) throw error;
    res.end(`data: ${JSON.stringify({ error: { message: toApiError(error).message, type: "server_error" } })}\n\n`);
  }
}
