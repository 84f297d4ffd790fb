import type { ServerResponse } from "node:http";
import type { ApiError } from "../api/errors";

/** Headers on every response: nothing is cached, sniffed, framed or given a referrer. */
export const baseHeaders = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...baseHeaders,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, error.status, error.toBody(), headers);
}

/** Errors of the OpenAI-compatible endpoints (/v1) in OpenAI's shape, which its client libraries parse. */
export function sendOpenAiError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(
    res,
    error.status,
    { error: { message: error.message, type: error.status < 500 ? "invalid_request_error" : "server_error", code: error.code } },
    headers,
  );
}
