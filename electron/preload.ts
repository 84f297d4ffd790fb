import { contextBridge } from "electron";

contextBridge.exposeInMainWorld("reprise", { version: 1 });
