import type { Store } from "../../db/index";

/**
 * Writes a reply's text (and a thinking model's thought) to the store while it streams, at most every
 * `intervalMs`: a crash then loses at most that much text, and the database sees a few small writes a
 * second however fast tokens come.
 */
export class StreamingWriter {
  private text = "";
  private thought = "";
  private written = "";
  private writtenThought = "";
  private lastWrite = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly messageId: string,
    private readonly intervalMs = 200,
  ) {}

  update(text: string): void {
    this.text = text;
    this.schedule();
  }

  updateThought(thought: string): void {
    this.thought = thought;
    this.schedule();
  }

  private schedule(): void {
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
    if (this.text === this.written && this.thought === this.writtenThought) return;
    this.store.updateStreamingContent(this.messageId, this.text, this.thought);
    this.written = this.text;
    this.writtenThought = this.thought;
    this.lastWrite = performance.now();
  }
}
