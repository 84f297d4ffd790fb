/**
 * Store benchmark: builds a store of N conversations and M messages from real prose (the READMEs and
 * docs of the installed npm packages and Debian packages, read now), and one conversation with D
 * attached documents of C chunks each, then times open, list, append, search, similar-question
 * lookups and the retrieval of a question's passages from those documents.
 *
 *   npm run bench:store [-- --conversations N --messages M --documents D --chunks-per-document C --out FILE.json --db FILE.db]
 *
 * --db keeps the built database at FILE.db and reuses it on the next run if it has the same size
 * (measurements write to a copy, so the kept file stays as built).
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { chunkText } from "../../db/chunks.js";
import { Store } from "../../db/store.js";
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportedConversation, type ExportedMessage, type ExportFile } from "../../db/exportImport.js";

// ---- arguments ----

const { values: args } = parseArgs({
  options: {
    conversations: { type: "string", default: "10000" },
    messages: { type: "string", default: "1000000" },
    out: { type: "string" },
    db: { type: "string" },
    documents: { type: "string", default: "1000" },
    "chunks-per-document": { type: "string", default: "100" },
  },
});
const CONVERSATIONS = Number(args.conversations);
const MESSAGES = Number(args.messages);
const OUT = args.out;
const KEEP_DB = args.db;
const DOCUMENTS = Number(args.documents);
const CHUNKS_PER_DOCUMENT = Number(args["chunks-per-document"]);
/** The conversation the documents are attached to: retrieval searches all of its chunks. */
const DOCUMENTS_CONVERSATION = "documents";
if (!(Number.isInteger(CONVERSATIONS) && CONVERSATIONS > 0 && Number.isInteger(MESSAGES) && MESSAGES >= CONVERSATIONS * 2)) {
  throw new Error("--conversations and --messages take whole numbers, --messages at least twice --conversations");
}

// ---- deterministic randomness ----

let seed = 0x5eed1234;
function random(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

// ---- corpus: prose written by others, read at bench time ----

function walk(dir: string, accept: (name: string) => boolean, out: string[], depth = 0): void {
  if (depth > 6) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, accept, out, depth + 1);
    else if (e.isFile() && accept(e.name)) out.push(p);
  }
}

function loadCorpus(): { paragraphs: string[]; sentences: string[]; files: number; bytes: number } {
  const files: string[] = [];
  walk("node_modules", (n) => /\.(md|markdown)$/i.test(n) || /^readme/i.test(n), files);
  walk("/usr/share/doc", (n) => /^readme/i.test(n) || /\.md(\.gz)?$/i.test(n), files);
  const seenFiles = new Set<string>();
  const paragraphs: string[] = [];
  let bytes = 0;
  for (const f of files) {
    let text: string;
    try {
      const raw = readFileSync(f);
      text = (f.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
    } catch {
      continue;
    }
    const digest = createHash("sha1").update(text).digest("hex");
    if (seenFiles.has(digest)) continue;
    seenFiles.add(digest);
    bytes += text.length;
    // Prose paragraphs only: no code blocks, tables, badges or link lists.
    const withoutCode = text.replace(/```[\s\S]*?```/g, "");
    for (const block of withoutCode.split(/\n\s*\n/)) {
      const p = block.replace(/\s+/g, " ").trim();
      if (p.length < 60 || p.length > 2000) continue;
      if (/^[#|<!\[>-]/.test(p) || /https?:\/\/\S+\)?$/.test(p)) continue;
      const letters = p.replace(/[^\p{L} ]/gu, "").length;
      if (letters / p.length < 0.8) continue;
      paragraphs.push(p);
    }
  }
  const sentences = paragraphs
    .flatMap((p) => p.split(/(?<=[.!?])\s+/))
    .filter((s) => s.length >= 25 && s.length <= 240 && /^\p{Lu}/u.test(s));
  return { paragraphs, sentences, files: seenFiles.size, bytes };
}

// ---- building ----

function wordRun(paragraphs: readonly string[]): string {
  const words = pick(paragraphs).split(" ");
  const length = 6 + Math.floor(random() * 20);
  const start = Math.floor(random() * Math.max(1, words.length - length));
  return `${words.slice(start, start + length).join(" ")}?`;
}

function answerText(paragraphs: readonly string[]): string {
  let text = pick(paragraphs);
  while (text.length < 400 && random() < 0.7) text += `\n\n${pick(paragraphs)}`;
  return text;
}

function buildConversation(
  index: number,
  messageCount: number,
  corpus: { paragraphs: string[]; sentences: string[] },
  popular: readonly string[],
  startTime: number,
): ExportedConversation {
  let time = startTime;
  const messages: ExportedMessage[] = [];
  const id = `c-${index}`;
  let parentId: string | null = null;
  let rootId: string | null = null;
  const add = (role: "user" | "assistant", content: string, parent: string | null): ExportedMessage => {
    time += 1000 + Math.floor(random() * 60_000);
    const m: ExportedMessage = {
      id: `${id}-m${messages.length}`,
      parentId: parent,
      activeChildId: null,
      role,
      content,
      thought: "",
      status: "complete",
      error: null,
      createdAt: time,
      updatedAt: time,
      model: role === "assistant" ? "gemma-3-270m-q4_k_m" : null,
      stats:
        role === "assistant"
          ? {
              tokens: Math.ceil(content.length / 4),
              forwardPasses: Math.ceil(content.length / 6),
              drafted: Math.floor(content.length / 8),
              accepted: Math.floor(content.length / 12),
              ms: content.length * 3,
              tokensPerSecond: 80 + random() * 40,
              copiedSpans: [],
            }
          : null,
    };
    messages.push(m);
    return m;
  };
  while (messages.length + 2 <= messageCount) {
    // One question in ten is a popular one that other conversations ask too, word for word; the others
    // are mostly unique: a sentence, or a run of words from a paragraph.
    const question = random() < 0.1 ? pick(popular) : random() < 0.3 ? pick(corpus.sentences) : wordRun(corpus.paragraphs);
    const q = add("user", question, parentId);
    if (parentId === null) rootId = q.id;
    else (messages.find((m) => m.id === parentId) as ExportedMessage).activeChildId = q.id;
    let answer = add("assistant", answerText(corpus.paragraphs), q.id);
    // Some answers were regenerated: a sibling branch, the newer one active.
    if (messages.length + 3 <= messageCount && random() < 0.05) {
      answer = add("assistant", answerText(corpus.paragraphs), q.id);
    }
    q.activeChildId = answer.id;
    parentId = answer.id;
  }
  return {
    id,
    title: (messages[0]?.content ?? "Untitled").slice(0, 60),
    createdAt: startTime,
    updatedAt: time,
    model: "gemma-3-270m-q4_k_m",
    settings: { temperature: 0 },
    pinned: index % 500 === 0,
    activeRootId: rootId,
    messages,
  };
}

/** A document of exactly `chunks` chunks of corpus prose. */
function documentText(paragraphs: readonly string[], chunks: number): string {
  let text = pick(paragraphs);
  while (chunkText(text).length <= chunks) text += `\n\n${pick(paragraphs)}`;
  // Cut where chunk `chunks` would begin: the first `chunks` chunks stay as they were.
  return text.slice(0, (chunkText(text)[chunks] as { startChar: number }).startChar);
}

function countRows(path: string): { conversations: number; messages: number; documents: number; chunks: number } | null {
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true });
  try {
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return {
      conversations: count("conversations") - 1,
      messages: count("messages"),
      documents: count("documents"),
      chunks: count("document_chunks"),
    };
  } finally {
    db.close();
  }
}

// ---- measuring ----

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function time<T>(fn: () => T): [number, T] {
  const t0 = process.hrtime.bigint();
  const result = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, result];
}

/** Sorted durations of fn(warmup) … fn(runs - 1); the first `warmup` calls are run but not timed. */
function timings(runs: number, fn: (i: number) => unknown, warmup = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [ms] = time(() => fn(i));
    if (i >= warmup) out.push(ms);
  }
  return out.sort((a, b) => a - b);
}

const round = (x: number) => Math.round(x * 100) / 100;

function main(): void {
  const workDir = KEEP_DB ? dirname(KEEP_DB) : mkdtempSync(join(tmpdir(), "reprise-bench-"));
  mkdirSync(workDir, { recursive: true });
  const dbPath = KEEP_DB ?? join(workDir, "store.db");

  const [corpusMs, corpus] = time(loadCorpus);
  console.log(
    `corpus: ${corpus.files} files, ${(corpus.bytes / 1e6).toFixed(1)} MB, ${corpus.paragraphs.length} paragraphs, ` +
      `${corpus.sentences.length} sentences (${Math.round(corpusMs)} ms)`,
  );
  const popular = Array.from({ length: 1000 }, () => pick(corpus.sentences));

  let buildSeconds: number | null = null;
  const existing = countRows(dbPath);
  if (
    existing &&
    existing.conversations === CONVERSATIONS &&
    existing.messages === MESSAGES &&
    existing.documents === DOCUMENTS &&
    existing.chunks === DOCUMENTS * CHUNKS_PER_DOCUMENT
  ) {
    console.log(`reusing ${dbPath}`);
  } else {
    rmSync(dbPath, { force: true });
    rmSync(`${dbPath}-wal`, { force: true });
    rmSync(`${dbPath}-shm`, { force: true });
    const t0 = Date.now();
    const store = Store.open(dbPath);
    const perConversation = Math.floor(MESSAGES / CONVERSATIONS);
    let remainder = MESSAGES - perConversation * CONVERSATIONS;
    const batch = 50;
    let startTime = Date.UTC(2025, 0, 1);
    for (let first = 0; first < CONVERSATIONS; first += batch) {
      const conversations: ExportedConversation[] = [];
      for (let i = first; i < Math.min(first + batch, CONVERSATIONS); i++) {
        const extra = remainder > 0 ? 1 : 0;
        remainder -= extra;
        const c = buildConversation(i, perConversation + extra, corpus, popular, startTime);
        // Pad to the exact count with a final question that is still unanswered.
        while (c.messages.length < perConversation + extra) {
          const last = c.messages[c.messages.length - 1] as ExportedMessage;
          const q: ExportedMessage = { ...last, id: `${c.id}-m${c.messages.length}`, parentId: last.id, role: "user",
            content: pick(corpus.sentences), model: null, stats: null, activeChildId: null };
          last.activeChildId = q.id;
          c.messages.push(q);
        }
        startTime += 3_600_000;
        conversations.push(c);
      }
      const file: ExportFile = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: 0, conversations };
      store.importJson(file);
      if ((first / batch) % 20 === 0) {
        process.stdout.write(`\rbuilding: ${first + conversations.length}/${CONVERSATIONS} conversations`);
      }
    }
    const documents = store.importJson({
      format: "reprise.conversations",
      version: 1,
      exportedAt: 0,
      conversations: [
        { id: DOCUMENTS_CONVERSATION, title: "Documents", createdAt: 0, updatedAt: 0, model: null, settings: {}, pinned: false, activeRootId: null, messages: [] },
      ],
    });
    for (let i = 0; i < DOCUMENTS; i++) {
      const text = documentText(corpus.paragraphs, CHUNKS_PER_DOCUMENT);
      store.addDocument({ conversationId: documents.imported[0]!.id, name: `doc-${i}.md`, mediaType: "text/markdown", bytes: text.length, text });
      if (i % 50 === 0) process.stdout.write(`\rbuilding: ${i + 1}/${DOCUMENTS} documents`);
    }
    store.close();
    buildSeconds = (Date.now() - t0) / 1000;
    console.log(`\nbuilt in ${buildSeconds.toFixed(0)} s`);
  }
  const fileBytes = statSync(dbPath).size;
  const runPath = KEEP_DB ? `${dbPath}.run.db` : dbPath;
  if (KEEP_DB) copyFileSync(dbPath, runPath);

  // Open: a new connection and Store (checks, migrations check, recovery scan), warm OS cache.
  const [openMs, store] = time(() => Store.open(runPath));
  const listRuns = timings(20, () => store.listConversations({ limit: 50 }));

  const db = new Database(runPath, { readonly: true });
  const conversationIds = db.prepare("SELECT id FROM conversations WHERE id <> ?").pluck().all(DOCUMENTS_CONVERSATION) as string[];
  const questions = db
    .prepare("SELECT content FROM messages WHERE role = 'user' ORDER BY random() LIMIT 2000")
    .pluck()
    .all() as string[];
  db.close();

  const words = (s: string) => s.split(/[^\p{L}]+/u).filter((w) => w.length >= 4);
  const searchQueries = Array.from({ length: 205 }, () => {
    const w = words(pick(corpus.paragraphs));
    const n = 1 + Math.floor(random() * 3);
    return Array.from({ length: n }, () => pick(w.length > 0 ? w : ["reprise"])).join(" ");
  });
  const similarTexts = Array.from({ length: 205 }, (_, i) => {
    const q = pick(questions);
    if (i % 3 === 0) return `  ${q.toUpperCase()}?? `; // an exact repeat after normalization
    if (i % 3 === 1) return words(q).filter(() => random() < 0.7).join(" "); // a rewording
    return pick(corpus.sentences); // something new
  });

  // The first few queries pay for compiling statements and filling the page cache.
  const warm = 5;
  const appendRuns = timings(1000, (i) =>
    store.appendMessage({
      conversationId: conversationIds[(i * 7919) % conversationIds.length] as string,
      role: "user",
      content: pick(corpus.sentences),
    }),
  );
  let searchHits = 0;
  const searchRuns = timings(searchQueries.length, (i) => {
    searchHits += store.search(searchQueries[i] as string, { limit: 20 }).length;
  }, warm);
  let similarHits = 0;
  let exactHits = 0;
  const similarRuns: number[] = [];
  // Calls that found no exact repeat went through the full-text path alone: also timed apart.
  const fuzzyRuns: number[] = [];
  similarTexts.forEach((text, i) => {
    const [ms, found] = time(() =>
      store.similarQuestions(text, { excludeConversationId: pick(conversationIds), limit: 5 }),
    );
    const exact = found.filter((f) => f.exact).length;
    similarHits += found.length;
    exactHits += exact;
    if (i < warm) return;
    similarRuns.push(ms);
    if (exact === 0) fuzzyRuns.push(ms);
  });
  similarRuns.sort((a, b) => a - b);
  fuzzyRuns.sort((a, b) => a - b);
  // Questions about the documents: sentences and runs of words of the same prose, as a user asks them.
  let retrievedPassages = 0;
  const retrievalQuestions = Array.from({ length: 205 }, (_, i) => (i % 2 === 0 ? pick(corpus.sentences) : wordRun(corpus.paragraphs)));
  const retrievalRuns = timings(retrievalQuestions.length, (i) => {
    retrievedPassages += store.retrievePassages(DOCUMENTS_CONVERSATION, retrievalQuestions[i] as string).length;
  }, warm);
  // What an open after a crash adds: the full integrity check (see OpenOptions.integrityCheck).
  const [integrityMs, problems] = time(() => store.checkIntegrity());
  if (problems.length > 0) throw new Error(`integrity_check failed: ${problems.join("; ")}`);
  store.close();

  const result = {
    conversations: CONVERSATIONS,
    messages: MESSAGES,
    db_bytes: fileBytes,
    build_s: buildSeconds,
    open_ms: round(openMs),
    list_ms: round(percentile(listRuns, 50)),
    append_p50_ms: round(percentile(appendRuns, 50)),
    append_p99_ms: round(percentile(appendRuns, 99)),
    append_max_ms: round(appendRuns[appendRuns.length - 1] ?? Number.NaN),
    search_p50_ms: round(percentile(searchRuns, 50)),
    search_p95_ms: round(percentile(searchRuns, 95)),
    similar_p50_ms: round(percentile(similarRuns, 50)),
    similar_p95_ms: round(percentile(similarRuns, 95)),
    similar_fuzzy_runs: fuzzyRuns.length,
    similar_fuzzy_p50_ms: round(percentile(fuzzyRuns, 50)),
    similar_fuzzy_p95_ms: round(percentile(fuzzyRuns, 95)),
    documents: DOCUMENTS,
    chunks: DOCUMENTS * CHUNKS_PER_DOCUMENT,
    retrieve_p50_ms: round(percentile(retrievalRuns, 50)),
    retrieve_p95_ms: round(percentile(retrievalRuns, 95)),
    retrieve_avg_passages: round(retrievedPassages / retrievalQuestions.length),
    integrity_check_ms: round(integrityMs),
    search_avg_hits: round(searchHits / searchQueries.length),
    similar_avg_hits: round(similarHits / similarTexts.length),
    similar_exact_hits: exactHits,
  };

  const targets: Record<string, number> = { open_ms: 300, append_p99_ms: 5, search_p95_ms: 50, similar_p95_ms: 20, retrieve_p95_ms: 30 };
  console.log(`\n${"metric".padEnd(20)}${"value".padStart(14)}${"target".padStart(10)}`);
  for (const [k, v] of Object.entries(result)) {
    const target = targets[k];
    const verdict = target === undefined ? "" : (v as number) <= target ? "  ok" : "  MISSED";
    console.log(`${k.padEnd(20)}${String(v).padStart(14)}${(target === undefined ? "" : `<= ${target}`).padStart(10)}${verdict}`);
  }
  if (OUT) {
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${OUT}`);
  }
  if (KEEP_DB) for (const suffix of ["", "-wal", "-shm"]) rmSync(runPath + suffix, { force: true });
  else rmSync(workDir, { recursive: true, force: true });
}

main();
