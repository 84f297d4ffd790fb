import type { DocumentSearchHit, RepriseApi, SearchHit } from "../../../../electron/api/contract";

const debounceMs = 150;

/** Full-text search over every conversation, as the user types. */
export class Search {
  query = $state("");
  hits = $state.raw<SearchHit[]>([]);
  documentHits = $state.raw<DocumentSearchHit[]>([]);
  searching = $state(false);
  error = $state<string | null>(null);
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Answers can arrive out of order; only the latest question's answer is shown. */
  private asked = 0;

  constructor(private readonly api: RepriseApi) {}

  get active(): boolean {
    return this.query.trim() !== "";
  }

  set(query: string): void {
    this.query = query;
    clearTimeout(this.timer);
    if (!this.active) {
      this.asked++;
      this.hits = [];
      this.documentHits = [];
      this.searching = false;
      this.error = null;
      return;
    }
    this.searching = true;
    this.timer = setTimeout(() => void this.run(), debounceMs);
  }

  private async run(): Promise<void> {
    const ticket = ++this.asked;
    try {
      const { hits, documentHits } = await this.api.search({ q: this.query.trim(), limit: 50 });
      if (ticket !== this.asked) return;
      this.hits = hits;
      this.documentHits = documentHits;
      this.error = null;
    } catch (error) {
      if (ticket !== this.asked) return;
      this.hits = [];
      this.documentHits = [];
      this.error = (error as Error).message;
    } finally {
      if (ticket === this.asked) this.searching = false;
    }
  }

  clear(): void {
    this.set("");
  }
}
