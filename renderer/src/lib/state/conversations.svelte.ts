import type { ConversationSummary, RepriseApi } from "../../../../electron/api/contract";

/** How long a deleted conversation can be brought back. */
export const undoWindowMs = 6000;

interface PendingDelete {
  summary: ConversationSummary;
  index: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The sidebar's list of conversations. Deleting is deferred for the undo
 * window: the contract deletes for good, so "undo" means not sending the
 * delete yet. A pending delete is sent at once when the page goes away.
 */
export class ConversationList {
  items = $state<ConversationSummary[]>([]);
  nextCursor = $state<string | null>(null);
  pendingDelete = $state<PendingDelete | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly api: RepriseApi) {}

  async load(): Promise<void> {
    try {
      const page = await this.api.listConversations({ limit: 200 });
      const hidden = this.pendingDelete?.summary.id;
      this.items = page.items.filter((item) => item.id !== hidden);
      this.nextCursor = page.nextCursor;
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  async loadMore(): Promise<void> {
    if (!this.nextCursor) return;
    const page = await this.api.listConversations({ limit: 200, cursor: this.nextCursor });
    const known = new Set(this.items.map((item) => item.id));
    this.items = [...this.items, ...page.items.filter((item) => !known.has(item.id))];
    this.nextCursor = page.nextCursor;
  }

  async create(): Promise<string> {
    const conversation = await this.api.createConversation({});
    await this.load();
    return conversation.id;
  }

  async rename(id: string, title: string): Promise<void> {
    const trimmed = title.trim();
    if (!trimmed) return;
    await this.api.renameConversation({ conversationId: id, title: trimmed });
    this.items = this.items.map((item) => (item.id === id ? { ...item, title: trimmed } : item));
  }

  async togglePin(id: string): Promise<void> {
    const item = this.items.find((entry) => entry.id === id);
    if (!item) return;
    await this.api.pinConversation({ conversationId: id, pinned: !item.pinned });
    await this.load();
  }

  /** Hides the conversation now and deletes it when the undo window closes. */
  remove(id: string): void {
    void this.flush();
    const index = this.items.findIndex((item) => item.id === id);
    const summary = this.items[index];
    if (!summary) return;
    this.items = this.items.filter((item) => item.id !== id);
    this.pendingDelete = { summary, index, timer: setTimeout(() => void this.flush(), undoWindowMs) };
  }

  undo(): void {
    const pending = this.pendingDelete;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingDelete = null;
    const items = [...this.items];
    items.splice(Math.min(pending.index, items.length), 0, pending.summary);
    this.items = items;
  }

  /** Sends the pending delete, if any. */
  async flush(): Promise<void> {
    const pending = this.pendingDelete;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingDelete = null;
    try {
      await this.api.deleteConversation({ conversationId: pending.summary.id });
    } catch (error) {
      this.error = `Could not delete “${pending.summary.title}”: ${(error as Error).message}`;
      await this.load();
    }
  }
}
