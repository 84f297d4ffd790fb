import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { chunkText } from "./chunks.js";
import { NotFoundError } from "./errors.js";
// Document search ranks among the newest matches only, as message search does.
import { SEARCH_WINDOW } from "./search.js";
import { SNIPPET_CLOSE, SNIPPET_OPEN, anyOf, distinctiveTerms, searchQuery, snippetSegments, term } from "./text.js";
import type { DocumentInfo, DocumentSearchHit, MessageSource, RetrievedPassage } from "./types.js";

export interface NewDocument {
  conversationId: string;
  name: string;
  mediaType: string;
  bytes: number;
  /** The text taken out of the file; it is split into chunks and indexed. */
  text: string;
  /** Given by an import that keeps ids; a new one otherwise. */
  id?: string;
  createdAt: number;
}

/** Where a question's source [n] is: `n` is its place in the list, from 1. */
export interface SourceRange {
  documentId: string;
  startChar: number;
  endChar: number;
}

export interface RetrieveOptions {
  /** Most chunks matched before neighbours are merged. */
  hits?: number;
}

interface DocumentRow {
  id: string;
  conversation_id: string;
  name: string;
  media_type: string;
  bytes: number;
  chars: number;
  chunks: number;
  created_at: number;
}

interface HitRow {
  document_id: string;
  ord: number;
  rank: number;
}

function toInfo(row: DocumentRow): DocumentInfo {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    name: row.name,
    mediaType: row.media_type,
    bytes: row.bytes,
    chars: row.chars,
    chunks: row.chunks,
    createdAt: row.created_at,
  };
}

// Ranking costs a few µs per matching chunk (bm25, and the join that keeps the conversation's own), so
// the query is made of the question's rarest terms: any of them (OR), each in fewer than
// RARE_TERM_CHUNKS chunks, so at most MAX_QUERY_TERMS * RARE_TERM_CHUNKS rows are ranked. A question
// whose every term is common asks for its two rarest together (AND), ranked among the last
// COMMON_WINDOW matches only. bench:store measured p95 89 ms at 100,000 chunks when common terms
// were ORed in too.
const RARE_TERM_CHUNKS = 500;
const MAX_QUERY_TERMS = 6;
const COMMON_QUERY_TERMS = 2;
const COMMON_WINDOW = 3_000;
const DEFAULT_HITS = 8;
// A hit is read with the chunk before and after it: a statement cut by a chunk edge stays whole.
const NEIGHBOURS = 1;
// Touching reads merge up to this many chunks: a passage stays small enough to fit a small model's
// share of the context (see PASSAGE_SHARE), and one long run of matches does not crowd out the rest.
const MAX_PASSAGE_CHUNKS = 3;

const SELECT_INFO = `SELECT d.id, d.conversation_id, d.name, d.media_type, d.bytes, d.chars, d.created_at,
  (SELECT count(*) FROM document_chunks c WHERE c.document_id = d.id) AS chunks FROM documents d`;

/** Documents, their chunks and their full-text index; the questions' sources that cite them. */
export class DocumentIndex {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO documents (id, conversation_id, name, media_type, bytes, chars, created_at)
         VALUES (@id, @conversationId, @name, @mediaType, @bytes, @chars, @createdAt)`,
      ),
      insertChunk: db.prepare(
        "INSERT INTO document_chunks (document_id, ord, start_char, end_char, content) VALUES (?, ?, ?, ?, ?)",
      ),
      get: db.prepare<[string], DocumentRow>(`${SELECT_INFO} WHERE d.id = ?`),
      list: db.prepare<[string], DocumentRow>(`${SELECT_INFO} WHERE d.conversation_id = ? ORDER BY d.seq`),
      totals: db.prepare<[string], { documents: number; bytes: number }>(
        "SELECT count(*) AS documents, coalesce(sum(bytes), 0) AS bytes FROM documents WHERE conversation_id = ?",
      ),
      delete: db.prepare("DELETE FROM documents WHERE id = ?"),
      chunksIn: db
        .prepare<[string, number, number], string>(
          `SELECT content FROM document_chunks WHERE document_id = ? AND end_char > ? AND start_char < ? ORDER BY ord`,
        )
        .pluck(),
      firstChunkStart: db
        .prepare<[string, number, number], number>(
          `SELECT start_char FROM document_chunks WHERE document_id = ? AND end_char > ? AND start_char < ? ORDER BY ord LIMIT 1`,
        )
        .pluck(),
      chunkRange: db.prepare<[string, number, number], { start_char: number; end_char: number }>(
        `SELECT min(start_char) AS start_char, max(end_char) AS end_char FROM document_chunks
         WHERE document_id = ? AND ord BETWEEN ? AND ?`,
      ),
      termChunks: db
        .prepare<{ query: string; cap: number }, number>(
          "SELECT count(*) FROM (SELECT 1 FROM document_chunks_fts WHERE document_chunks_fts MATCH @query LIMIT @cap)",
        )
        .pluck(),
      // The bound is cast: FTS5 ignores a rowid constraint that is not an INTEGER (see search.ts).
      hits: db.prepare<{ query: string; from: number; conversationId: string; limit: number }, HitRow>(
        `SELECT c.document_id, c.ord, f.rank FROM document_chunks_fts f
         JOIN document_chunks c ON c.seq = f.rowid JOIN documents d ON d.id = c.document_id
         WHERE document_chunks_fts MATCH @query AND f.rowid >= CAST(@from AS INTEGER) AND d.conversation_id = @conversationId
         ORDER BY f.rank LIMIT @limit`,
      ),
      searchWindowStart: db
        .prepare<{ query: string; skip: number }, number>(
          `SELECT rowid FROM document_chunks_fts WHERE document_chunks_fts MATCH @query
           ORDER BY rowid DESC LIMIT 1 OFFSET @skip`,
        )
        .pluck(),
      search: db.prepare<
        { query: string; from: number; limit: number; open: string; close: string },
        {
          document_id: string;
          name: string;
          conversation_id: string;
          title: string;
          start_char: number;
          end_char: number;
          snippet: string;
          rank: number;
        }
      >(
        `WITH hits AS MATERIALIZED (
           SELECT rowid AS seq, rank, snippet(document_chunks_fts, 0, @open, @close, '…', 16) AS snippet
           FROM document_chunks_fts WHERE document_chunks_fts MATCH @query AND rowid >= CAST(@from AS INTEGER)
           ORDER BY rank LIMIT @limit
         )
         SELECT c.document_id, d.name, d.conversation_id, v.title, c.start_char, c.end_char, hits.snippet, hits.rank
         FROM hits JOIN document_chunks c ON c.seq = hits.seq JOIN documents d ON d.id = c.document_id
         JOIN conversations v ON v.id = d.conversation_id ORDER BY hits.rank`,
      ),
      sourced: db
        .prepare<[string], string>(
          `SELECT DISTINCT s.message_id FROM message_sources s JOIN documents d ON d.id = s.document_id
           WHERE d.conversation_id = ?`,
        )
        .pluck(),
      insertSource: db.prepare(
        "INSERT INTO message_sources (message_id, n, document_id, start_char, end_char) VALUES (?, ?, ?, ?, ?)",
      ),
      sources: db.prepare<[string], { n: number; document_id: string; name: string; start_char: number; end_char: number }>(
        `SELECT s.n, s.document_id, d.name, s.start_char, s.end_char FROM message_sources s
         JOIN documents d ON d.id = s.document_id WHERE s.message_id = ? ORDER BY s.n`,
      ),
    };
  }

  /** Stores the document and its chunks; the caller runs it in a transaction. */
  add(input: NewDocument): DocumentInfo {
    const id = input.id ?? randomUUID();
    this.s.insert.run({ ...input, id, chars: input.text.length });
    const chunks = chunkText(input.text);
    chunks.forEach((c, ord) => this.s.insertChunk.run(id, ord, c.startChar, c.endChar, input.text.slice(c.startChar, c.endChar)));
    return this.get(id);
  }

  get(id: string): DocumentInfo {
    const row = this.s.get.get(id);
    if (!row) throw new NotFoundError("Document", id);
    return toInfo(row);
  }

  list(conversationId: string): DocumentInfo[] {
    return this.s.list.all(conversationId).map(toInfo);
  }

  /** How many documents the conversation has and the size of their files. */
  totals(conversationId: string): { documents: number; bytes: number } {
    return this.s.totals.get(conversationId) ?? { documents: 0, bytes: 0 };
  }

  /** Deletes the document, its chunks and index entries, and the sources that cited it. */
  delete(id: string): void {
    if (this.s.delete.run(id).changes === 0) throw new NotFoundError("Document", id);
  }

  /** The document's text in [startChar, endChar), clamped to the text. */
  text(id: string, startChar = 0, endChar = Number.MAX_SAFE_INTEGER): string {
    const from = Math.max(0, startChar);
    const chunks = this.s.chunksIn.all(id, from, endChar);
    if (chunks.length === 0) return "";
    const first = this.s.firstChunkStart.get(id, from, endChar) ?? 0;
    return chunks.join("").slice(from - first, endChar - first);
  }

  /**
   * The passages of the conversation's documents that best match `text`: bm25 over chunks with the
   * question's rarest terms, each hit read with its neighbours, overlapping or touching reads merged
   * into one passage. Best first; a passage scores as its best chunk.
   */
  retrieve(conversationId: string, text: string, options: RetrieveOptions = {}): RetrievedPassage[] {
    const query = this.rareTermsQuery(text);
    if (query === null) return [];
    const from = query.common ? (this.s.searchWindowStart.get({ query: query.match, skip: COMMON_WINDOW - 1 }) ?? 0) : 0;
    const hits = this.s.hits.all({ query: query.match, from, conversationId, limit: options.hits ?? DEFAULT_HITS });
    const spans: { documentId: string; first: number; last: number; rank: number; hit: number }[] = [];
    const fits = (first: number, last: number) => last - first + 1 <= MAX_PASSAGE_CHUNKS;
    for (const hit of hits) {
      const same = spans.filter((s) => s.documentId === hit.document_id);
      if (same.some((s) => s.first <= hit.ord && hit.ord <= s.last)) continue;
      let first = Math.max(0, hit.ord - NEIGHBOURS);
      let last = hit.ord + NEIGHBOURS;
      // Neighbours already read by a better passage stay there.
      for (const s of same) {
        if (s.last < hit.ord) first = Math.max(first, s.last + 1);
        if (s.first > hit.ord) last = Math.min(last, s.first - 1);
      }
      const touching = same.find((s) => first <= s.last + 1 && last >= s.first - 1 && fits(Math.min(first, s.first), Math.max(last, s.last)));
      if (touching) {
        touching.first = Math.min(touching.first, first);
        touching.last = Math.max(touching.last, last);
      } else spans.push({ documentId: hit.document_id, first, last, rank: hit.rank, hit: hit.ord });
    }
    const names = new Map<string, string>();
    return spans.map((s) => {
      const range = this.s.chunkRange.get(s.documentId, s.first, s.last) as { start_char: number; end_char: number };
      const hit = this.s.chunkRange.get(s.documentId, s.hit, s.hit) as { start_char: number; end_char: number };
      let name = names.get(s.documentId);
      if (name === undefined) names.set(s.documentId, (name = this.get(s.documentId).name));
      return {
        documentId: s.documentId,
        documentName: name,
        startChar: range.start_char,
        endChar: range.end_char,
        text: this.text(s.documentId, range.start_char, range.end_char),
        score: -s.rank,
        hitStartChar: hit.start_char,
        hitEndChar: hit.end_char,
      };
    });
  }

  /** Full-text search over every document's chunks, best first. */
  search(input: string, limit: number): DocumentSearchHit[] {
    const query = searchQuery(input);
    if (query === null) return [];
    const from = this.s.searchWindowStart.get({ query, skip: Math.max(SEARCH_WINDOW, limit) - 1 }) ?? 0;
    return this.s.search.all({ query, from, limit, open: SNIPPET_OPEN, close: SNIPPET_CLOSE }).map((r) => ({
      documentId: r.document_id,
      documentName: r.name,
      conversationId: r.conversation_id,
      conversationTitle: r.title,
      startChar: r.start_char,
      endChar: r.end_char,
      snippet: snippetSegments(r.snippet),
      score: -r.rank,
    }));
  }

  /** Records the passages put into a question's prompt as its sources [1], [2], …; the caller runs it in a transaction. */
  setSources(messageId: string, sources: readonly SourceRange[]): void {
    sources.forEach((s, i) => this.s.insertSource.run(messageId, i + 1, s.documentId, s.startChar, s.endChar));
  }

  /** The question's sources with their text; none when it has none or their documents were deleted. */
  sources(messageId: string): MessageSource[] {
    return this.s.sources.all(messageId).map((r) => ({
      n: r.n,
      documentId: r.document_id,
      documentName: r.name,
      startChar: r.start_char,
      endChar: r.end_char,
      text: this.text(r.document_id, r.start_char, r.end_char),
    }));
  }

  /** The ids of the conversation's messages that have sources. */
  sourcedMessages(conversationId: string): Set<string> {
    return new Set(this.s.sourced.all(conversationId));
  }

  /** The FTS5 query for a question; `common` when it had no rare term. */
  private rareTermsQuery(text: string): { match: string; common: boolean } | null {
    const counted = distinctiveTerms(text)
      .map((t) => ({ t, chunks: this.s.termChunks.get({ query: term(t), cap: RARE_TERM_CHUNKS }) ?? 0 }))
      .filter((c) => c.chunks > 0)
      .sort((a, b) => a.chunks - b.chunks);
    const rare = counted.filter((c) => c.chunks < RARE_TERM_CHUNKS);
    if (rare.length > 0) return { match: anyOf(rare.slice(0, MAX_QUERY_TERMS).map((c) => c.t)), common: false };
    if (counted.length === 0) return null;
    return { match: counted.slice(0, COMMON_QUERY_TERMS).map((c) => term(c.t)).join(" AND "), common: true };
  }
}
