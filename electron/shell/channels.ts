/**
 * The IPC vocabulary between main and the preload, and the shape of what the
 * preload exposes to the page. No imports with side effects: main, the preload
 * and the renderer (types only) all read this file.
 */
import type { ErrorBody, OperationName, StreamEnd, StreamEvent } from "../api/contract";

/** One invoke channel per contract operation: `reprise:api:<operation>`. */
export const apiChannelPrefix = "reprise:api:";
/** main → page: (streamId, StreamEvent) while a streaming operation runs. */
export const streamEventChannel = "reprise:stream-event";
/** page → main: (streamId) stops that stream. */
export const abortStreamChannel = "reprise:abort-stream";

export const pickModelFileChannel = "reprise:shell:pick-model-file";
/** main → page: a MenuCommand chosen from the app menu or its shortcut. */
export const menuCommandChannel = "reprise:shell:menu-command";

export const menuCommands = ["new-conversation", "search", "settings", "export", "import", "focus-composer"] as const;
export type MenuCommand = (typeof menuCommands)[number];

/** Every reply crosses IPC as a result, not a rejection: Electron keeps only an Error's message, and the page needs the code. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

/** What the preload puts on `window.reprise`. */
export interface RepriseBridge {
  /** Calls by operation name; streaming operations take the stream's id third so the page can abort it. */
  invoke(name: OperationName, request: unknown): Promise<IpcResult<unknown>>;
  stream(
    name: OperationName,
    request: unknown,
    streamId: string,
    onEvent: (event: StreamEvent) => void,
  ): Promise<IpcResult<StreamEnd>>;
  abortStream(streamId: string): void;
  /** Shows the system's file picker for a .gguf file; the chosen path, or null if cancelled. */
  pickModelFile(): Promise<string | null>;
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
}
