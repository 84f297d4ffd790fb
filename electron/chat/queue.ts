/**
 * One generation at a time: the model has one set of threads, and two replies evaluated at once
 * would each take twice as long (on a loaded 2-core machine far worse). Replies wait here in order,
 * except that the app's own work never waits behind a request that gives way (`givesWay`, the
 * OpenAI-compatible endpoint): it goes ahead of those still waiting, and one that is running is
 * asked to stop through its `preempted` signal. A local tool sending long requests can thus never
 * starve the user's replies.
 */
export interface QueueJob<T> {
  /** What the job is, for the busy state; null for internal work such as switching models. */
  label: { conversationId: string; messageId: string } | null;
  /** `preempted` aborts when, while this job runs, a job that does not give way is enqueued. */
  run: (turn: { preempted: AbortSignal }) => Promise<T>;
  /** Whether the job yields to the app's own jobs (see above). */
  givesWay?: boolean;
  /**
   * Aborting it while the job still waits removes it from the queue; `whenDropped` gives the result
   * then. Once running, the job itself watches its signal.
   */
  signal?: AbortSignal;
  whenDropped?: () => T;
}

interface Entry {
  label: QueueJob<unknown>["label"];
  givesWay: boolean;
  preemption: AbortController;
  start: () => void;
}

export class GenerationQueue {
  private running: Entry | null = null;
  private readonly waiting: Entry[] = [];

  /** Queues `job` (see the order above). `position` is how many are ahead of it. */
  enqueue<T>(job: QueueJob<T>): { position: number; result: Promise<T> } {
    let position = 0;
    const result = new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(entry);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        try {
          resolve(job.whenDropped ? job.whenDropped() : Promise.reject(new Error("Dropped from the queue")));
        } catch (error) {
          reject(error);
        }
      };
      const entry: Entry = {
        label: job.label,
        givesWay: job.givesWay ?? false,
        preemption: new AbortController(),
        start: () => {
          job.signal?.removeEventListener("abort", onAbort);
          // The next job starts before this one's result is delivered, so whoever sees the result
          // also sees the model free (or busy with the next reply), never this one still running.
          job.run({ preempted: entry.preemption.signal }).then(
            (value) => {
              this.next();
              resolve(value);
            },
            (error: unknown) => {
              this.next();
              reject(error);
            },
          );
        },
      };
      position = this.ahead(entry.givesWay);
      const at = entry.givesWay ? -1 : this.waiting.findIndex((e) => e.givesWay);
      if (at < 0) this.waiting.push(entry);
      else this.waiting.splice(at, 0, entry);
      if (!entry.givesWay && this.running?.givesWay) this.running.preemption.abort();
      if (job.signal?.aborted) onAbort();
      else job.signal?.addEventListener("abort", onAbort, { once: true });
    });
    if (!this.running) this.next();
    return { position, result };
  }

  /** How many jobs a job enqueued now would have ahead of it (its `position`). */
  ahead(givesWay = false): number {
    const waiting = givesWay ? this.waiting.length : this.waiting.filter((e) => !e.givesWay).length;
    return waiting + (this.running ? 1 : 0);
  }

  get idle(): boolean {
    return !this.running && this.waiting.length === 0;
  }

  /** The reply being generated and the replies waiting, in order. */
  state(): {
    generating: { conversationId: string; messageId: string } | null;
    queued: { conversationId: string; messageId: string }[];
  } {
    return {
      generating: this.running?.label ?? null,
      queued: this.waiting.flatMap((e) => (e.label ? [e.label] : [])),
    };
  }

  private next(): void {
    this.running = this.waiting.shift() ?? null;
    this.running?.start();
  }
}
