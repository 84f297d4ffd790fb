import type { RepriseApi } from "../../../../electron/api/contract";

/** A passage of a document as shown: the part to mark, with some text around it. */
export interface PassageView {
  documentName: string;
  /** "Source [2]" for a citation, "Copied text" for a span of a reply. */
  label: string;
  before: string;
  passage: string;
  after: string;
}

/** Characters of the document shown on each side of a copied span. */
const contextChars = 400;

/** The passage panel: opened from a citation [n], a copied span's source, or a search hit. */
export class PassageViewer {
  view = $state.raw<PassageView | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly api: RepriseApi) {}

  /** Source [n] of the reply `messageId`. */
  async openCitation(messageId: string, n: number): Promise<void> {
    await this.show(async () => {
      const { sources } = await this.api.messageSources({ messageId });
      const source = sources.find((s) => s.n === n);
      if (!source) throw new Error(`Source [${n}] is not there any more: its document was removed.`);
      return { documentName: source.documentName, label: `Source [${n}]`, before: "", passage: source.text, after: "" };
    });
  }

  /** [startChar, endChar) of a document, with the text around it. */
  async openRange(documentId: string, startChar: number, endChar: number, label: string): Promise<void> {
    await this.show(async () => {
      const from = Math.max(0, startChar - contextChars);
      const { document, text } = await this.api.documentText({ documentId, startChar: from, endChar: endChar + contextChars });
      return {
        documentName: document.name,
        label,
        before: text.slice(0, startChar - from),
        passage: text.slice(startChar - from, endChar - from),
        after: text.slice(endChar - from),
      };
    });
  }

  close(): void {
    this.view = null;
    this.error = null;
  }

  private async show(load: () => Promise<PassageView>): Promise<void> {
    this.error = null;
    try {
      this.view = await load();
    } catch (error) {
      this.view = null;
      this.error = (error as Error).message;
    }
  }
}
