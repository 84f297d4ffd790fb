import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  isStreamOperation,
  operations,
  parseRequest,
  type CallOperationName,
  type StreamCall,
  type StreamEvent,
} from "../api/contract";
import { ApiError } from "../api/errors";
import { encodeEvent, keepAlive } from "../api/sse";
import type { ChatService } from "../chat/chatService";
import { toApiError } from "../chat/apiError";
import { readJsonBody } from "./body";
import { handleOpenAi } from "./openai";
import { baseHeaders, sendError, sendJson, sendOpenAiError } from "./respond";
import { matchRoute } from "./router";
import { hostAllowed, originAllowed, tokenAllowed } from "./security";
import { serveStatic } from "./staticFiles";

export interface ServerOptions {
  service: ChatService;
  /** The access token every /api and /v1 request must bear. */
  token: string;
  /** 0 picks a free port. */
  port: number;
  /** The built UI (out/renderer). */
  uiDir: string;
}

export interface RunningServer {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

/** Loopback only: the API holds every conversation and must not be reachable from the network. */
export const host = "127.0.0.1";

/** A stream waiting in the queue says it is alive this often, so idle timeouts do not cut it. */
const keepAliveMs = 15_000;

/**
 * The API over HTTP on 127.0.0.1, with the built UI. Every request must name this server in Host
 * and, from a browser, come from its own origin; every API request must bear the access token.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let port = options.port;
  const server = http.createServer((req, res) => {
    handle(req, res, port, options).catch((error: unknown) =>
      (isOpenAiPath(req.url ?? "/") ? sendOpenAiError : sendError)(res, toApiError(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The OpenAI-compatible endpoints, whose clients expect every error in OpenAI's shape. */
function isOpenAiPath(url: string): boolean {
  return url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?");
}

async function handle(req: IncomingMessage, res: ServerResponse, port: number, options: ServerOptions): Promise<void> {
  if (!hostAllowed(req, port)) {
    throw new ApiError("forbidden", `Host "${req.headers.host ?? ""}" is not this server: use http://127.0.0.1:${port}.`);
  }
  if (!originAllowed(req, port)) {
    throw new ApiError("forbidden", `Requests from origin ${req.headers.origin} are not allowed.`);
  }
  const url = new URL(req.url ?? "/", `http://${host}:${port}`);
  const { pathname } = url;
  const isApi = pathname === "/api" || pathname.startsWith("/api/");
  const isOpenAi = isOpenAiPath(pathname);

  if (!isApi && !isOpenAi) {
    if (req.method !== "GET" && req.method !== "HEAD") throw new ApiError("method_not_allowed", `${req.method} is not allowed here.`);
    await serveStatic(res, options.uiDir, pathname, req.method === "HEAD");
    return;
  }
  if (!tokenAllowed(req, options.token)) {
    (isOpenAi ? sendOpenAiError : sendError)(
      res,
      new ApiError("unauthorized", "Missing or wrong access token (Authorization: Bearer <token>)."),
      { "www-authenticate": 'Bearer realm="reprise"' },
    );
    return;
  }
  if (isOpenAi) {
    await handleOpenAi(req, res, pathname, options.service);
    return;
  }

  const route = matchRoute(req.method ?? "", pathname);
  if (route.kind === "none") throw new ApiError("not_found", `No API endpoint ${req.method} ${pathname}.`);
  if (route.kind === "method") {
    sendError(res, new ApiError("method_not_allowed", `${req.method} is not allowed on ${pathname}.`), {
      allow: route.allowed.join(", "),
    });
    return;
  }
  const fromQuery = req.method === "GET";
  const operation = operations[route.name];
  const maxBodyBytes = "maxBodyBytes" in operation ? operation.maxBodyBytes : undefined;
  const fields = fromQuery ? Object.fromEntries(url.searchParams) : await readJsonBody(req, maxBodyBytes);
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new ApiError("bad_request", "The request body must be a JSON object.");
  }
  const request = parseRequest(route.name, { ...fields, ...route.params }, { fromQuery });
  const service = options.service;
  if (isStreamOperation(route.name)) {
    await stream(res, (service[route.name] as StreamCall<unknown>).bind(service), request);
    return;
  }
  const call = service[route.name as CallOperationName] as (request: unknown) => Promise<unknown>;
  sendJson(res, 200, await call.call(service, request));
}

/**
 * A reply as server-sent events. The headers go out with the first event: until then a refused
 * request (unknown conversation, no model) is still an ordinary JSON error with its status. A client
 * that disconnects stops the reply, which is then kept as interrupted.
 */
async function stream(res: ServerResponse, run: StreamCall<unknown>, request: unknown): Promise<void> {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const send = (event: StreamEvent) => {
    if (!res.headersSent) {
      res.writeHead(200, {
        ...baseHeaders,
        "content-type": "text/event-stream; charset=utf-8",
        "x-accel-buffering": "no",
      });
    }
    if (!res.destroyed) res.write(encodeEvent(event));
  };
  const timer = setInterval(() => {
    if (res.headersSent && !res.destroyed) res.write(keepAlive);
  }, keepAliveMs);
  try {
    await run(request, send, controller.signal);
    res.end();
  } catch (error) {
    if (!res.headersSent) throw error;
    send({ type: "error", message: toApiError(error).message, messageId: null });
    res.end();
  } finally {
    clearInterval(timer);
  }
}
