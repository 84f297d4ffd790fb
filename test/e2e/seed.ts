import { randomUUID } from "node:crypto";
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportFile, type ExportedMessage } from "../../db/index";
import type { MessageStats, Role } from "../../electron/api/contract";

export interface SeedMessage {
  role: Role;
  content: string;
  stats?: MessageStats | null;
}

/**
 * An export file (the app's own import format) with one linear conversation per
 * entry: how end-to-end tests put known text in front of the UI.
 */
export function exportFileOf(conversations: { title: string; messages: SeedMessage[] }[]): string {
  const time = Date.now() - 3_600_000;
  const file: ExportFile = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: Date.now(),
    conversations: conversations.map(({ title, messages }, c) => {
      const ids = messages.map(() => randomUUID());
      const exported: ExportedMessage[] = messages.map((m, i) => ({
        id: ids[i]!,
        parentId: i === 0 ? null : ids[i - 1]!,
        activeChildId: ids[i + 1] ?? null,
        role: m.role,
        content: m.content,
        thought: "",
        status: "complete",
        error: null,
        createdAt: time + c * 1000 + i,
        updatedAt: time + c * 1000 + i,
        model: null,
        stats: m.stats ?? null,
      }));
      return {
        id: randomUUID(),
        title,
        createdAt: time + c * 1000,
        updatedAt: time + c * 1000 + messages.length,
        model: null,
        settings: {},
        pinned: false,
        activeRootId: ids[0] ?? null,
        messages: exported,
      };
    }),
  };
  return JSON.stringify(file);
}
