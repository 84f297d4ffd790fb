import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import { isStreamOperation, operationNames, type OperationName, type StreamEnd, type StreamEvent } from "./api/contract";
import {
  abortStreamChannel,
  apiChannelPrefix,
  menuCommandChannel,
  menuCommands,
  pickModelFileChannel,
  streamEventChannel,
  type IpcResult,
  type MenuCommand,
  type RepriseBridge,
} from "./shell/channels";

// The page gets named functions, never ipcRenderer itself: a compromised page
// can then reach only these channels, and main validates every argument again.
const known = new Set<string>(operationNames);

function checkName(name: OperationName, streaming: boolean): void {
  if (!known.has(name) || isStreamOperation(name) !== streaming) throw new Error(`Unknown operation ${String(name)}`);
}

const bridge: RepriseBridge = {
  invoke(name, request) {
    checkName(name, false);
    return ipcRenderer.invoke(apiChannelPrefix + name, request) as Promise<IpcResult<unknown>>;
  },
  async stream(name, request, streamId, onEvent) {
    checkName(name, true);
    const listener = (_event: IpcRendererEvent, id: unknown, streamEvent: StreamEvent): void => {
      if (id === streamId) onEvent(streamEvent);
    };
    ipcRenderer.on(streamEventChannel, listener);
    try {
      return (await ipcRenderer.invoke(apiChannelPrefix + name, request, streamId)) as IpcResult<StreamEnd>;
    } finally {
      ipcRenderer.removeListener(streamEventChannel, listener);
    }
  },
  abortStream(streamId) {
    ipcRenderer.send(abortStreamChannel, streamId);
  },
  pickModelFile() {
    return ipcRenderer.invoke(pickModelFileChannel) as Promise<string | null>;
  },
  onMenuCommand(listener) {
    const handler = (_event: IpcRendererEvent, command: MenuCommand): void => {
      if ((menuCommands as readonly string[]).includes(command)) listener(command);
    };
    ipcRenderer.on(menuCommandChannel, handler);
    return () => ipcRenderer.removeListener(menuCommandChannel, handler);
  },
};

contextBridge.exposeInMainWorld("reprise", bridge);
