import {
  ApiError,
  isStreamOperation,
  operationNames,
  type RepriseApi,
  type StreamEvent,
} from "../../../electron/api/contract";
import type { IpcResult, RepriseBridge } from "../../../electron/shell/channels";

function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.error.code, result.error.error);
}

let streams = 0;

/**
 * `RepriseApi` over the preload bridge, generated from the contract's operation
 * list like the HTTP client. An AbortSignal cannot cross the context bridge, so
 * each stream gets an id here and aborting sends that id to main.
 */
export function createIpcClient(bridge: RepriseBridge): RepriseApi {
  const api: { [name: string]: unknown } = {};
  for (const name of operationNames) {
    api[name] = isStreamOperation(name)
      ? async (request: unknown, onEvent: (event: StreamEvent) => void, signal?: AbortSignal) => {
          const streamId = `s${++streams}-${Date.now().toString(36)}`;
          const abort = (): void => bridge.abortStream(streamId);
          signal?.addEventListener("abort", abort, { once: true });
          try {
            return unwrap(await bridge.stream(name, request, streamId, onEvent));
          } finally {
            signal?.removeEventListener("abort", abort);
          }
        }
      : async (request: unknown = {}) => unwrap(await bridge.invoke(name, request));
  }
  return api as unknown as RepriseApi;
}
