/**
 * `RepriseApi` over HTTP, for the renderer in a browser (headless mode) and for tests. Every
 * operation is generated from the route table in the contract, so none is written twice.
 * Browser-safe: fetch, streams and TextDecoder only.
 */
import {
  ApiError,
  isStreamOperation,
  operationNames,
  operations,
  pathFor,
  pathParams,
  type OperationName,
  type RepriseApi,
  type StreamEnd,
  type StreamEvent,
} from "./contract";
import { readEvents } from "./sse";

export interface HttpClientOptions {
  /** The server's origin ("http://127.0.0.1:8123"); "" (the default) for the page's own origin. */
  baseUrl?: string;
  /** The access token the server printed; read on every call, so it may change. */
  token: () => string | null;
  fetch?: typeof fetch;
}

type Fields = { [key: string]: unknown };

export function createHttpClient(options: HttpClientOptions): RepriseApi {
  const baseUrl = options.baseUrl ?? "";
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function send(name: OperationName, request: Fields, signal?: AbortSignal): Promise<Response> {
    const { method } = operations[name];
    const inPath = new Set(pathParams(name));
    const rest = Object.entries(request).filter(([key, value]) => !inPath.has(key) && value !== undefined);
    let url = baseUrl + pathFor(name, request);
    const headers: Record<string, string> = {};
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (method === "GET") {
      const query = new URLSearchParams(rest.map(([key, value]): [string, string] => [key, String(value)]));
      if (rest.length > 0) url += `?${query.toString()}`;
    } else {
      headers["content-type"] = "application/json";
      body = JSON.stringify(Object.fromEntries(rest));
    }
    const response = await doFetch(url, { method, headers, body, signal });
    if (!response.ok) {
      const errorBody: unknown = await response.json().catch(() => null);
      throw ApiError.fromBody(errorBody, response.status);
    }
    return response;
  }

  async function call(name: OperationName, request: Fields): Promise<unknown> {
    return (await send(name, request)).json();
  }

  async function stream(
    name: OperationName,
    request: Fields,
    onEvent: (event: StreamEvent) => void,
    signal?: AbortSignal,
  ): Promise<StreamEnd> {
    const response = await send(name, request, signal);
    if (!response.body) throw new ApiError("internal", "The server sent no event stream");
    let messageId: string | null = null;
    for await (const event of readEvents(response.body)) {
      onEvent(event);
      if (event.type === "start") messageId = event.message.id;
      if (event.type === "done" || event.type === "error") return event;
    }
    const lost: StreamEnd = {
      type: "error",
      message: "The connection to Reprise closed before the reply finished.",
      messageId,
    };
    onEvent(lost);
    return lost;
  }

  const api: { [name: string]: unknown } = {};
  for (const name of operationNames) {
    api[name] = isStreamOperation(name)
      ? (request: Fields, onEvent: (event: StreamEvent) => void, signal?: AbortSignal) =>
          stream(name, request, onEvent, signal)
      : (request: Fields = {}) => call(name, request);
  }
  return api as unknown as RepriseApi;
}

/** What `takeTokenFromPage` needs of `window`; structural, so this module needs no DOM types. */
export interface PageLike {
  location: { hash: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url?: string): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

const tokenKey = "reprise.token";

/**
 * The browser UI's access token. `npm run serve` prints a URL ending in `#token=…` (a fragment is
 * never sent to the server nor put in logs); the token moves to sessionStorage, so it survives
 * reloads of the tab but not the tab itself, and leaves the address bar.
 */
export function takeTokenFromPage(page: PageLike): string | null {
  const fromHash = new URLSearchParams(page.location.hash.replace(/^#/, "")).get("token");
  if (fromHash) {
    page.sessionStorage.setItem(tokenKey, fromHash);
    page.history.replaceState(null, "", page.location.pathname + page.location.search);
    return fromHash;
  }
  return page.sessionStorage.getItem(tokenKey);
}
