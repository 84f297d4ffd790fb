import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from "electron";
import {
  ApiError,
  isStreamOperation,
  operationNames,
  parseRequest,
  ValidationError,
  type ErrorBody,
  type OperationName,
  type RepriseApi,
  type StreamEvent,
} from "../api/contract";
import { string } from "../api/schema";
import { abortStreamChannel, apiChannelPrefix, streamEventChannel, type IpcResult } from "./channels";

const streamIdSchema = string({ min: 1, max: 100 });

/** Which pages may call the API: in practice, the app's own document in the main frame. */
export type SenderCheck = (event: IpcMainInvokeEvent | IpcMainEvent) => boolean;

export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof ApiError) return error.toBody();
  if (error instanceof ValidationError) return { code: "bad_request", error: error.message };
  return { code: "internal", error: error instanceof Error ? error.message : String(error) };
}

type Call = (request: unknown) => Promise<unknown>;
type Stream = (request: unknown, onEvent: (event: StreamEvent) => void, signal: AbortSignal) => Promise<unknown>;

/**
 * Registers one invoke handler per contract operation, generated from the
 * contract's operation table, so an operation added there reaches the page
 * with no change here. Every argument is validated before the service sees
 * it: the sender, the argument count, the request (the contract's own
 * validators) and, for streams, the stream id. Returns an unregister function.
 */
export function registerApiHandlers(ipcMain: IpcMain, api: RepriseApi, isTrustedSender: SenderCheck): () => void {
  const streams = new Map<string, AbortController>();
  const streamKey = (sender: WebContents, streamId: string): string => `${sender.id}:${streamId}`;

  async function handle(name: OperationName, event: IpcMainInvokeEvent, args: unknown[]): Promise<IpcResult<unknown>> {
    try {
      if (!isTrustedSender(event)) throw new ApiError("forbidden", "This page may not use the Reprise API");
      const streaming = isStreamOperation(name);
      const expected = streaming ? 2 : 1;
      if (args.length !== expected) {
        throw new ValidationError("arguments", `expected ${expected} argument${expected > 1 ? "s" : ""}, got ${args.length}`);
      }
      const request = parseRequest(name, args[0]);
      const method = api[name].bind(api) as unknown;
      if (!streaming) return { ok: true, value: await (method as Call)(request) };

      const streamId = streamIdSchema.parse(args[1], { path: "streamId" });
      const key = streamKey(event.sender, streamId);
      if (streams.has(key)) throw new ValidationError("streamId", "already in use");
      const controller = new AbortController();
      streams.set(key, controller);
      // A closed or reloaded window cannot see the rest of the reply; stop it rather than generate for no one.
      const abandon = (): void => controller.abort();
      event.sender.once("destroyed", abandon);
      try {
        const send = (streamEvent: StreamEvent): void => {
          if (!event.sender.isDestroyed()) event.sender.send(streamEventChannel, streamId, streamEvent);
        };
        return { ok: true, value: await (method as Stream)(request, send, controller.signal) };
      } finally {
        streams.delete(key);
        if (!event.sender.isDestroyed()) event.sender.removeListener("destroyed", abandon);
      }
    } catch (error) {
      return { ok: false, error: toErrorBody(error) };
    }
  }

  for (const name of operationNames) {
    ipcMain.handle(apiChannelPrefix + name, (event, ...args: unknown[]) => handle(name, event, args));
  }
  const onAbort = (event: IpcMainEvent, ...args: unknown[]): void => {
    if (!isTrustedSender(event) || args.length !== 1) return;
    try {
      streams.get(streamKey(event.sender, streamIdSchema.parse(args[0])))?.abort();
    } catch {
      // A malformed id names no stream: nothing to stop.
    }
  };
  ipcMain.on(abortStreamChannel, onAbort);

  return () => {
    for (const name of operationNames) ipcMain.removeHandler(apiChannelPrefix + name);
    ipcMain.removeListener(abortStreamChannel, onAbort);
    for (const controller of streams.values()) controller.abort();
  };
}
