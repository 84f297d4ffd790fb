import { getContext, setContext } from "svelte";
import type { Host } from "../host";
import type { SourceRange } from "../sourceMap";
import { ChatSession } from "./chat.svelte";
import { ConversationList } from "./conversations.svelte";
import { ModelState } from "./model.svelte";
import { PassageViewer } from "./passage.svelte";
import { Search } from "./search.svelte";
import { Theme } from "./theme.svelte";

export interface FocusRequest {
  messageId: string;
  /** A new request for the same message scrolls again. */
  nonce: number;
}

/** Copied spans of one reply, shown while its speed badge is hovered or focused. */
export interface SpanHighlight {
  messageId: string;
  ranges: SourceRange[];
}

/** The whole UI's state, shared through Svelte context. */
export class AppState {
  readonly conversations: ConversationList;
  readonly search: Search;
  readonly model: ModelState;
  readonly theme: Theme;
  readonly passage: PassageViewer;
  chat = $state.raw<ChatSession | null>(null);
  settingsOpen = $state(false);
  focus = $state.raw<FocusRequest | null>(null);
  highlight = $state.raw<SpanHighlight | null>(null);
  /** Bumped to ask the composer or the search box to take focus. */
  composerFocus = $state(0);
  searchFocus = $state(0);
  private nonce = 0;

  constructor(
    readonly host: Host,
    root: HTMLElement,
    storage: Storage | null,
  ) {
    this.conversations = new ConversationList(host.api);
    this.search = new Search(host.api);
    this.model = new ModelState(host.api);
    this.theme = new Theme(root, storage);
    this.passage = new PassageViewer(host.api);
  }

  async start(): Promise<void> {
    await Promise.all([this.conversations.load(), this.model.refresh()]);
    const first = this.conversations.items[0];
    if (first) await this.open(first.id);
  }

  /** Opens a conversation, and scrolls to one of its messages if asked. */
  async open(conversationId: string, messageId?: string): Promise<void> {
    if (this.chat?.conversationId !== conversationId) {
      this.chat?.close();
      this.highlight = null;
      this.passage.close();
      const session = new ChatSession(this.host.api, conversationId, () => void this.conversations.load());
      this.chat = session;
      await session.load();
    }
    if (!messageId) return;
    await this.chat?.reveal(messageId);
    this.focus = { messageId, nonce: ++this.nonce };
  }

  async newConversation(): Promise<void> {
    const id = await this.conversations.create();
    await this.open(id);
    this.composerFocus++;
  }

  /** After the open conversation is deleted, another one (or none) takes its place. */
  async afterRemove(conversationId: string): Promise<void> {
    if (this.chat?.conversationId !== conversationId) return;
    this.chat.close();
    this.chat = null;
    const next = this.conversations.items[0];
    if (next) await this.open(next.id);
  }
}

const key = Symbol("app");

export function provideApp(app: AppState): void {
  setContext(key, app);
}

export function useApp(): AppState {
  return getContext<AppState>(key);
}
