export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Role = "system" | "user" | "assistant";
export type MessageStatus = "complete" | "streaming" | "interrupted" | "error";
/** Statuses a streaming message can end in. */
export type FinalStatus = Exclude<MessageStatus, "streaming">;

export const ROLES: readonly Role[] = ["system", "user", "assistant"];
export const STATUSES: readonly MessageStatus[] = ["complete", "streaming", "interrupted", "error"];

/**
 * A run of a generated reply that was drafted from a reference and accepted by the model.
 * `start`/`end` are the names the first stats used for the text offsets; they stay required so
 * stats written then still read, and `sourceStart`/`sourceEnd` (absent in those) locate the run in
 * the source.
 */
export interface CopiedSpan {
  /**
   * The message the span was copied from: an earlier message of the same conversation, a past answer
   * in another conversation, or the reply itself (the model repeating its own words).
   */
  sourceId: string;
  /** Character offsets in the generated text, end exclusive. */
  start: number;
  end: number;
  /** Token range [sourceStart, sourceEnd) in the source as the model reads it (its chat template). */
  sourceStart?: number;
  sourceEnd?: number;
  /**
   * For a span whose source is a document: where the copied text is in the document's text, in
   * characters, end exclusive (a copy from a passage in the prompt has no token range in the document).
   */
  sourceCharStart?: number;
  sourceCharEnd?: number;
}

/** Whether drafting ran for a reply, and if not, why (e.g. a repeat penalty makes drafts inexact). */
export type DraftingInfo = { on: true } | { on: false; reason: string };

export interface MessageStats {
  tokens: number;
  forwardPasses: number;
  drafted: number;
  accepted: number;
  ms: number;
  tokensPerSecond: number;
  copiedSpans: CopiedSpan[];
  // The fields below are newer than the first stats and absent in messages written before them.
  drafting?: DraftingInfo;
  /** Time the reference predictor spent on its index and lookups. */
  predictorMs?: number;
  /** Milliseconds from the start of generation to the first text. */
  firstTokenMs?: number;
  /** Tokens of conversation the model read for this reply (after any truncation). */
  promptTokens?: number;
  /** Oldest turns left out because the conversation no longer fit the context window. */
  truncatedTurns?: number;
  /** Passages of the conversation's documents put into the question's prompt. */
  passages?: number;
  /** Passages that matched the question but were left out: they did not fit their share of the context. */
  passagesCut?: number;
}

export type ConversationSettings = { [key: string]: JsonValue };

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  /** Last activity: a message added or finished. Lists are ordered by it. */
  updatedAt: number;
  model: string | null;
  settings: ConversationSettings;
  pinned: boolean;
  /** The root message the active path starts from (several roots exist once the first message is edited). */
  activeRootId: string | null;
}

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  model: string | null;
  pinned: boolean;
  messageCount: number;
}

export interface Message {
  id: string;
  conversationId: string;
  parentId: string | null;
  /** The child that the active path continues with; null at a leaf. */
  activeChildId: string | null;
  role: Role;
  content: string;
  status: MessageStatus;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  model: string | null;
  stats: MessageStats | null;
}

/** A message on the active path, with its siblings (itself included, oldest first) for a branch switcher. */
export interface PathMessage extends Message {
  siblingIds: string[];
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  nextCursor: string | null;
}

export interface SnippetSegment {
  text: string;
  match: boolean;
}

export interface SearchHit {
  messageId: string;
  conversationId: string;
  conversationTitle: string;
  role: Role;
  createdAt: number;
  /** Plain text split into matched and unmatched parts; render each as text, never as HTML. */
  snippet: SnippetSegment[];
  /** Negated bm25: higher is more relevant. */
  score: number;
}

export interface ReferenceCandidate {
  questionMessageId: string;
  conversationId: string;
  question: string;
  answer: string;
  answerMessageId: string;
  /** The question is the same as the new one after normalization. */
  exact: boolean;
  /** In [0, 1], higher is closer: 1 for exact repeats, x / (1 + x) with x = -bm25 for full-text matches. */
  score: number;
}

/** A document attached to a conversation, as listed (its text is fetched by range). */
export interface DocumentInfo {
  id: string;
  conversationId: string;
  /** The file name it was attached under. */
  name: string;
  mediaType: string;
  /** Size of the attached file. */
  bytes: number;
  /** Length of the text taken out of it, in characters (UTF-16 code units). */
  chars: number;
  chunks: number;
  createdAt: number;
}

/** Consecutive text of one document: [startChar, endChar) of its text. */
export interface Passage {
  documentId: string;
  documentName: string;
  startChar: number;
  endChar: number;
  text: string;
}

/** A passage found for a question, best first; `score` is the negated bm25 of its best chunk. */
export interface RetrievedPassage extends Passage {
  score: number;
  /** The best-matching chunk of the passage: what is kept when the whole passage does not fit. */
  hitStartChar: number;
  hitEndChar: number;
}

/** A passage as put into a question's prompt: source [n]. */
export interface MessageSource extends Passage {
  n: number;
}

export interface DocumentSearchHit {
  documentId: string;
  documentName: string;
  conversationId: string;
  conversationTitle: string;
  /** The matching chunk's place in the document's text. */
  startChar: number;
  endChar: number;
  /** Plain text split into matched and unmatched parts; render each as text, never as HTML. */
  snippet: SnippetSegment[];
  /** Negated bm25: higher is more relevant. */
  score: number;
}
