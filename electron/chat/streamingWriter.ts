import type { Store } from "../../db/index";

/**
 * Writes a reply's text to the store while it streams, at most every `intervalMs`: a crash then loses
 * at most that much text, and the database sees a few small writes a second however fast tokens come.
 */
export class StreamingWriter {
  private text = "";
  private written = "";
  private lastWrite = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly messageId: string,
    private readonly intervalMs = 200,
  ) {}

  update(text: string): void {
    this.text = text;
    const wait = this.lastWrite + this.intervalMs - performance.now();
    if (wait <= 0) this.write();
    // The text of a pause in the stream is written too, not only the text before the next token.
    else this.timer ??= setTimeout(() => this.write(), wait);
  }

  /** Stops writing; the caller finishes the message with its final text. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private write(): void {
    this.close();
    if (this.text === this.written) return;
    this.store.updateStreamingContent(this.messageId, this.text);
    this.written = this.text;
    this.lastWrite = performance.now();
  }
}
