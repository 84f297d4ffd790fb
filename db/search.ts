import type Database from "better-sqlite3";
import {
  SNIPPET_CLOSE,
  SNIPPET_OPEN,
  anyOf,
  distinctiveTerms,
  normalizeQuestion,
  questionHash,
  searchQuery,
  snippetSegments,
  term,
} from "./text.js";
import type { ReferenceCandidate, Role, SearchHit } from "./types.js";

export interface SearchOptions {
  limit?: number;
  offset?: number;
}

export interface SimilarOptions {
  /** The conversation the new message belongs to: its own turns are references already. */
  excludeConversationId?: string | null;
  limit?: number;
}

interface HitRow {
  id: string;
  conversation_id: string;
  title: string;
  role: Role;
  created_at: number;
  snippet: string;
  rank: number;
}

interface QuestionRow {
  seq: number;
  id: string;
  conversation_id: string;
  content: string;
  active_child_id: string | null;
  rank: number;
}

// How many full-text candidates to fetch per wanted result: some are dropped afterwards (no completed
// answer, same answer as a better candidate, exact repeats already listed).
const OVERFETCH = 4;

// FTS5 computes bm25 for every row that matches before it can sort, about 1 µs a row on a 2-core
// machine, so a word found in a third of a million messages would cost 300 ms. Ranking is therefore limited to the
// newest WINDOW matches: every query under that many matches is ranked in full, and a very broad one
// is ranked among the most recent, which in a chat history are also the likeliest to be wanted.
// The bound is cast because better-sqlite3 binds JS numbers as REAL, and FTS5 ignores a rowid
// constraint that is not an INTEGER (it then ranks every match, or with "=" returns every match).
export const SEARCH_WINDOW = 10_000;
const SIMILAR_WINDOW = 5_000;

// A term in fewer questions than this is distinctive. Counting stops there, so a probe costs at most
// that many index entries.
const RARE_TERM_DOCS = 1_000;
// bm25 runs on the rarest terms only: they carry almost all of the score.
const MAX_QUERY_TERMS = 6;
const MIN_QUERY_TERMS = 2;

export class SearchIndex {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      searchWindowStart: db
        .prepare<{ query: string; skip: number }, number>(
          "SELECT rowid FROM messages_fts WHERE messages_fts MATCH @query ORDER BY rowid DESC LIMIT 1 OFFSET @skip",
        )
        .pluck(),
      // The MATERIALIZED CTE keeps FTS5 in charge of ORDER BY rank LIMIT, so snippets are only built
      // for the rows returned.
      search: db.prepare<
        { query: string; from: number; limit: number; offset: number; open: string; close: string },
        HitRow
      >(
        `WITH hits AS MATERIALIZED (
           SELECT rowid AS seq, rank, snippet(messages_fts, 0, @open, @close, '…', 16) AS snippet
           FROM messages_fts WHERE messages_fts MATCH @query AND rowid >= CAST(@from AS INTEGER)
           ORDER BY rank LIMIT @limit OFFSET @offset
         )
         SELECT m.id, m.conversation_id, c.title, m.role, m.created_at, hits.snippet, hits.rank
         FROM hits JOIN messages m ON m.seq = hits.seq JOIN conversations c ON c.id = m.conversation_id
         ORDER BY hits.rank`,
      ),
      exactQuestions: db.prepare<{ hash: number; exclude: string | null; limit: number }, QuestionRow>(
        `SELECT q.seq, q.id, q.conversation_id, q.content, q.active_child_id, 0 AS rank FROM messages q
         WHERE q.question_hash = @hash AND q.role = 'user' AND q.conversation_id IS NOT @exclude
         ORDER BY q.seq DESC LIMIT @limit`,
      ),
      questionDocs: db
        .prepare<{ query: string; cap: number }, number>(
          "SELECT count(*) FROM (SELECT 1 FROM questions_fts WHERE questions_fts MATCH @query LIMIT @cap)",
        )
        .pluck(),
      questionWindowStart: db
        .prepare<{ query: string; skip: number }, number>(
          "SELECT rowid FROM questions_fts WHERE questions_fts MATCH @query ORDER BY rowid DESC LIMIT 1 OFFSET @skip",
        )
        .pluck(),
      similarQuestions: db.prepare<{ query: string; from: number; exclude: string | null; limit: number }, QuestionRow>(
        `WITH hits AS MATERIALIZED (
           SELECT rowid AS seq, rank FROM questions_fts WHERE questions_fts MATCH @query AND rowid >= CAST(@from AS INTEGER)
           ORDER BY rank LIMIT @limit
         )
         SELECT q.seq, q.id, q.conversation_id, q.content, q.active_child_id, hits.rank
         FROM hits JOIN messages q ON q.seq = hits.seq
         WHERE q.conversation_id IS NOT @exclude ORDER BY hits.rank`,
      ),
      // The answer on the question's active branch when it completed, else its newest completed one.
      answer: db.prepare<{ question: string; active: string | null }, { id: string; content: string }>(
        `SELECT id, content FROM messages
         WHERE parent_id = @question AND role = 'assistant' AND status = 'complete'
         ORDER BY id IS @active DESC, seq DESC LIMIT 1`,
      ),
    };
  }

  /**
   * Full-text search over every message that is not streaming, best bm25 first. Any input is
   * accepted: it is reduced to words (and quoted phrases), never passed to FTS5 as syntax.
   */
  search(input: string, options: SearchOptions = {}): SearchHit[] {
    const query = searchQuery(input);
    if (query === null) return [];
    const limit = Math.max(1, Math.min(options.limit ?? 20, 200));
    const offset = Math.max(0, options.offset ?? 0);
    const skip = Math.max(SEARCH_WINDOW, offset + limit) - 1;
    const from = this.s.searchWindowStart.get({ query, skip }) ?? 0;
    const markers = { open: SNIPPET_OPEN, close: SNIPPET_CLOSE };
    return this.s.search.all({ query, from, limit, offset, ...markers }).map((r) => ({
      messageId: r.id,
      conversationId: r.conversation_id,
      conversationTitle: r.title,
      role: r.role,
      createdAt: r.created_at,
      snippet: snippetSegments(r.snippet),
      score: -r.rank,
    }));
  }

  /**
   * Earlier questions from other conversations that resemble `text`, each with its completed answer:
   * exact repeats (after normalization) first, newest first, then the closest by bm25 over the
   * rarest words of `text`.
   */
  similarQuestions(text: string, options: SimilarOptions = {}): ReferenceCandidate[] {
    const limit = Math.max(1, Math.min(options.limit ?? 5, 50));
    const exclude = options.excludeConversationId ?? null;
    const normalized = normalizeQuestion(text);
    const hash = questionHash(text);

    const results: ReferenceCandidate[] = [];
    const seenQuestions = new Set<number>();
    const seenAnswers = new Set<string>();
    const consider = (rows: QuestionRow[], exact: boolean) => {
      for (const q of rows) {
        if (results.length >= limit) return;
        // A 48-bit hash can collide; the texts decide.
        if (exact && normalizeQuestion(q.content) !== normalized) continue;
        if (seenQuestions.has(q.seq)) continue;
        seenQuestions.add(q.seq);
        const answer = this.s.answer.get({ question: q.id, active: q.active_child_id });
        if (!answer || seenAnswers.has(answer.content)) continue;
        seenAnswers.add(answer.content);
        const x = -q.rank;
        results.push({
          questionMessageId: q.id,
          conversationId: q.conversation_id,
          question: q.content,
          answer: answer.content,
          answerMessageId: answer.id,
          exact,
          score: exact ? 1 : x / (1 + x),
        });
      }
    };

    if (hash !== null) consider(this.s.exactQuestions.all({ hash, exclude, limit: limit * OVERFETCH }), true);
    if (results.length < limit) {
      const query = this.similarQuery(text);
      if (query !== null) {
        const from = this.s.questionWindowStart.get({ query, skip: SIMILAR_WINDOW - 1 }) ?? 0;
        consider(this.s.similarQuestions.all({ query, from, exclude, limit: limit * OVERFETCH }), false);
      }
    }
    return results;
  }

  /** OR of the rarest terms of `text` among past questions; null when no term occurs in any. */
  private similarQuery(text: string): string | null {
    const counted = distinctiveTerms(text)
      .map((t) => ({ t, docs: this.s.questionDocs.get({ query: term(t), cap: RARE_TERM_DOCS }) ?? 0 }))
      .filter((c) => c.docs > 0)
      .sort((a, b) => a.docs - b.docs);
    const rare = counted.filter((c) => c.docs < RARE_TERM_DOCS).length;
    const chosen = counted.slice(0, Math.min(MAX_QUERY_TERMS, Math.max(rare, MIN_QUERY_TERMS)));
    return chosen.length > 0 ? anyOf(chosen.map((c) => c.t)) : null;
  }
}
