import type { JsonValue } from "../electron/api/schema.js";
import type { Sampling } from "../electron/engine/sampling";

export type { JsonValue };

export type Role = "system" | "user" | "assistant";
export type MessageStatus = "complete" | "streaming" | "interrupted" | "error";
/** Statuses a streaming message can end in. */
export type FinalStatus = Exclude<MessageStatus, "streaming">;

export const ROLES: readonly Role[] = ["system", "user", "assistant"];
export const STATUSES: readonly MessageStatus[] = ["complete", "streaming", "interrupted", "error"];

/** A run of a generated reply that was drafted from a source and accepted by the model. */
export interface CopiedSpan {
  /**
   * The message the span was copied from: an earlier message of the same conversation, a past answer
   * in another conversation, or the reply itself (the model repeating its own words).
   */
  sourceId: string;
  /** Character range [replyStartChar, replyEndChar) in the reply's text. */
  replyStartChar: number;
  replyEndChar: number;
  /**
   * Token range [sourceStartToken, sourceEndToken) in the source as the model reads it (its chat
   * template); absent in stats stored before it was recorded.
   */
  sourceStartToken?: number;
  sourceEndToken?: number;
  /**
   * For a span whose source is a document: where the copied text is in the document's text, in
   * characters, end exclusive (a copy from a passage in the prompt has no token range in the document).
   */
  sourceStartChar?: number;
  sourceEndChar?: number;
}

/** Whether drafting ran for a reply, and if not, why (e.g. a repeat penalty makes drafts inexact). */
export type DraftingInfo = { on: true } | { on: false; reason: string };

/**
 * What is stored with a finished reply (as JSON in SQLite, and in export files): the engine's
 * measurements of the generation (`ReplyStats` in electron/engine/engine.ts) with its copied spans
 * credited to messages, and what the chat path adds around it.
 */
export interface MessageStats {
  tokens: number;
  forwardPasses: number;
  drafted: number;
  accepted: number;
  ms: number;
  tokensPerSecond: number;
  copiedSpans: CopiedSpan[];
  // Optional: stats stored by versions that did not record them lack these.
  drafting?: DraftingInfo;
  /** Time the reference predictor spent on its index and lookups. */
  predictorMs?: number;
  /** Milliseconds from the start of generation to the first text. */
  firstTokenMs?: number;
  /** Tokens of conversation the model read for this reply (after any truncation). */
  promptTokens?: number;
  /** Oldest turns left out because the conversation no longer fit the context window. */
  truncatedTurns?: number;
  /**
   * Time plain decoding of this model on this machine would have taken over the time the reply took
   * (see the engine's `ReplyStats.speedup`); null when it was not drafted.
   */
  speedup?: number | null;
  /** How its tokens were picked: temperature 0 is greedy. */
  sampling?: Sampling;
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
  /** What a thinking model wrote before its answer, shown apart from it; "" for every other message. */
  thought: string;
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
