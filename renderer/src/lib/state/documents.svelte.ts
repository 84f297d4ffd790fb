import { MAX_DOCUMENT_BYTES, type DocumentInfo, type RepriseApi } from "../../../../electron/api/contract";

/** A file on its way in, or refused: shown as a chip until it is stored or dismissed. */
export interface PendingFile {
  key: number;
  name: string;
  bytes: number;
  state: "reading" | "error";
  error: string | null;
}

/** The file's bytes as base64, for the API (which is JSON over every transport). */
async function toBase64(file: Blob): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error("The file could not be read."));
    reader.readAsDataURL(file);
  });
  return url.slice(url.indexOf(",") + 1);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The documents attached to one conversation, and the files being attached. */
export class Attachments {
  documents = $state.raw<DocumentInfo[]>([]);
  pending = $state<PendingFile[]>([]);
  error = $state<string | null>(null);
  private nextKey = 0;

  constructor(
    private readonly api: RepriseApi,
    private readonly conversationId: string,
  ) {}

  async load(): Promise<void> {
    try {
      this.documents = (await this.api.listDocuments({ conversationId: this.conversationId })).documents;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /** Attaches each file in turn; a refused one stays as a chip that says why. */
  async attach(files: readonly File[]): Promise<void> {
    const entries = files.map((file) => {
      const entry: PendingFile = { key: this.nextKey++, name: file.name, bytes: file.size, state: "reading", error: null };
      this.pending.push(entry);
      return { file, key: entry.key };
    });
    for (const { file, key } of entries) {
      try {
        // Refused here without reading it: the service would refuse it too, after a long upload.
        if (file.size > MAX_DOCUMENT_BYTES) {
          throw new Error(`"${file.name}" is ${formatBytes(file.size)}: a document may have at most ${formatBytes(MAX_DOCUMENT_BYTES)}.`);
        }
        const document = await this.api.attachDocument({
          conversationId: this.conversationId,
          name: file.name,
          mediaType: file.type,
          contentBase64: await toBase64(file),
        });
        this.documents = [...this.documents, document];
        this.pending = this.pending.filter((p) => p.key !== key);
      } catch (error) {
        const entry = this.pending.find((p) => p.key === key);
        if (entry) {
          entry.state = "error";
          entry.error = (error as Error).message;
        }
      }
    }
  }

  dismiss(key: number): void {
    this.pending = this.pending.filter((p) => p.key !== key);
  }

  async remove(documentId: string): Promise<void> {
    try {
      await this.api.deleteDocument({ documentId });
      this.documents = this.documents.filter((d) => d.id !== documentId);
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  name(documentId: string): string | undefined {
    return this.documents.find((d) => d.id === documentId)?.name;
  }
}
