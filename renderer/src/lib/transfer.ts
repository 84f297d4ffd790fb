import type { ExportRequest, RepriseApi } from "../../../electron/api/contract";

/** Saves an export through the browser's download (the desktop app shows a save dialog for it). */
export async function exportToFile(api: RepriseApi, request: ExportRequest, page: Document): Promise<string> {
  const result = await api.exportConversations(request);
  const url = URL.createObjectURL(new Blob([result.content], { type: result.mimeType }));
  try {
    const link = page.createElement("a");
    link.href = url;
    link.download = result.fileName;
    link.click();
  } finally {
    // The click has started the download synchronously; the URL is not needed after it.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
  return result.fileName;
}

/** Lets the user pick an export file and imports it; a sentence for the user, or null if nothing was picked. */
export function importFromFile(api: RepriseApi, page: Document): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const input = page.createElement("input");
    input.type = "file";
    input.accept = ".json,application/json";
    input.addEventListener("cancel", () => resolve(null));
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      if (!file) return resolve(null);
      file
        .text()
        .then((content) => api.importConversations({ content }))
        .then(({ conversationIds, skipped }) => {
          const n = conversationIds.length;
          resolve(`Imported ${n} conversation${n === 1 ? "" : "s"}${skipped ? `, ${skipped} already here` : ""}.`);
        }, reject);
    });
    input.click();
  });
}
