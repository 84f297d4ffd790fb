import type { Drafting, Engine, EngineChat } from "../engine/engine";

/**
 * The evaluated state of the most recently used conversations, each in its own llama context: a
 * conversation found here continues where it stopped and only its new turn is evaluated. A context
 * of this app's size costs a few tens of MB, so only a handful are kept; a conversation evicted
 * from here re-reads its history on its next reply.
 */
export class ChatCache {
  /** Most recently used last. */
  private readonly chats = new Map<string, EngineChat>();

  constructor(private readonly capacity: number) {}

  async acquire(engine: Engine, key: string, drafting: Drafting): Promise<EngineChat> {
    // Drafting is fixed when a chat is opened, so each mode has its own state.
    const id = `${drafting}:${key}`;
    const found = this.chats.get(id);
    if (found && found.engine === engine) {
      this.chats.delete(id);
      this.chats.set(id, found);
      return found;
    }
    if (found) await this.evict(id);
    while (this.chats.size >= this.capacity) {
      const oldest = this.chats.keys().next().value as string;
      await this.evict(oldest);
    }
    const chat = await engine.openChat({ drafting });
    this.chats.set(id, chat);
    return chat;
  }

  has(key: string, drafting: Drafting): boolean {
    return this.chats.has(`${drafting}:${key}`);
  }

  /** Forgets a conversation's state: after an error its context may not be what the chat believes. */
  async forget(key: string): Promise<void> {
    for (const id of [...this.chats.keys()]) {
      if (id.slice(id.indexOf(":") + 1) === key) await this.evict(id);
    }
  }

  async clear(): Promise<void> {
    for (const id of [...this.chats.keys()]) await this.evict(id);
  }

  private async evict(id: string): Promise<void> {
    const chat = this.chats.get(id);
    this.chats.delete(id);
    await chat?.dispose();
  }
}
