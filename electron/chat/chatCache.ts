import type { ChatTurn, Drafting, Engine, EngineChat } from "../engine/engine";
import type { StateFiles } from "./stateFiles";

interface Entry {
  key: string;
  chat: EngineChat;
  /** Whether the state may be written to disk (stored conversations only). */
  persist: boolean;
}

/**
 * The fewest prompt tokens worth starting from another conversation's state: below this the
 * template's own opening is about all two conversations share, and re-reading it costs little more
 * than copying the state.
 */
const minSharedTokens = 32;

/**
 * The evaluated state of the most recently used conversations, each in its own llama context: a
 * conversation found here continues where it stopped and only its new turn is evaluated. A context
 * costs tens of MB, so only a few are kept in memory; an evicted conversation's state goes to disk
 * (`StateFiles`) and is loaded back on its next reply instead of its history being re-read, and its
 * context goes back to the engine for the conversation that comes in.
 *
 * A conversation with no state of its own starts from the state of the kept one whose context opens
 * like its prompt (a long system prompt, a question asked before, a pasted text), as llama-server's
 * prompt cache does, and evaluates only the rest. Unlike that cache it takes only what keeps the
 * reply bit for bit the one a prompt read from scratch gets (`EngineChat.sharedPrefix`): a question
 * asked again gets its earlier answer again, which the predictor can then copy whole.
 */
export class ChatCache {
  /** By drafting mode and key; most recently used last. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity: number,
    private readonly states: StateFiles | null,
  ) {}

  /** The chat of conversation `key`, whose next prompt renders `turns`. */
  async acquire(engine: Engine, key: string, drafting: Drafting, persist: boolean, turns: readonly ChatTurn[]): Promise<EngineChat> {
    // Drafting is fixed when a chat is opened, so each mode has its own chat.
    const id = `${drafting}:${key}`;
    const found = this.entries.get(id);
    if (found && found.chat.engine === engine) {
      this.entries.delete(id);
      this.entries.set(id, found);
      return found.chat;
    }
    if (found) await this.evict(id, false);
    const states = this.states;
    const own = persist && states !== null && states.has(engine, key);
    // Copied before any eviction: the best donor may be the conversation about to leave memory.
    const donor = states && !own ? this.donorFor(engine, turns) : null;
    const copy = states && donor ? { file: await states.saveCopy(donor.chat), sharedTokens: donor.sharedTokens } : null;
    while (this.entries.size >= this.capacity) await this.evict(this.entries.keys().next().value as string, true);
    const chat = await engine.openChat({ drafting });
    if (states && own) await states.load(engine, key, chat);
    else if (states && copy?.file) await states.loadCopy(copy.file, chat, copy.sharedTokens);
    this.entries.set(id, { key, chat, persist });
    return chat;
  }

  /**
   * The kept chat whose context shares the longest opening with the prompt of `turns`, if one shares
   * enough; of those sharing as much, the one holding fewest tokens, whose whole state the copy writes.
   */
  private donorFor(engine: Engine, turns: readonly ChatTurn[]): { chat: EngineChat; sharedTokens: number } | null {
    if (this.entries.size === 0) return null;
    const prompt = engine.renderTurns(turns);
    let best: { chat: EngineChat; sharedTokens: number } | null = null;
    for (const { chat } of this.entries.values()) {
      if (chat.engine !== engine) continue;
      const shared = chat.sharedPrefix(prompt);
      if (shared < minSharedTokens || (best && shared < best.sharedTokens)) continue;
      if (!best || shared > best.sharedTokens || chat.sequence.nextTokenIndex < best.chat.sequence.nextTokenIndex) {
        best = { chat, sharedTokens: shared };
      }
    }
    return best;
  }

  /** Drops a conversation's state from memory unsaved: after an engine error it may not be what the chat believes. */
  async forget(key: string): Promise<void> {
    for (const [id, entry] of [...this.entries]) if (entry.key === key) await this.evict(id, false);
  }

  /** Drops a deleted conversation's state from memory and from disk. */
  async delete(key: string): Promise<void> {
    await this.forget(key);
    this.states?.delete(key);
  }

  /** Saves and releases every state (before the model changes or the app stops). */
  async clear(): Promise<void> {
    for (const id of [...this.entries.keys()]) await this.evict(id, true);
  }

  private async evict(id: string, save: boolean): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    // A chat whose model went first (services sharing a model, closed in turn) has no state left to save.
    if (save && entry.persist && !entry.chat.disposed) await this.states?.save(entry.chat.engine, entry.key, entry.chat);
    // A chat dropped unsaved may hold a state its engine call left broken: its context goes too.
    await (save ? entry.chat.release() : entry.chat.dispose());
  }
}
