import type { IncomingMessage } from "node:http";
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../api/contract";
import { ApiError } from "../api/errors";
import { JsonTooDeepError, parseJson } from "../api/json";

/**
 * The request's JSON body (an empty body is `{}`), read up to the contract's cap: a declared or
 * actual size over it is refused with 413 before it is buffered.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const tooLarge = () =>
    new ApiError("payload_too_large", `The request body is larger than the limit of ${limit} bytes.`);
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError("bad_request", `The request body must be JSON (Content-Type: application/json), not "${type}".`);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return parseJson(text, MAX_JSON_DEPTH);
  } catch (error) {
    if (error instanceof JsonTooDeepError) throw new ApiError("bad_request", `The request body is refused: ${error.message}.`);
    throw new ApiError("bad_request", `The request body is not valid JSON: ${(error as Error).message}`);
  }
}
