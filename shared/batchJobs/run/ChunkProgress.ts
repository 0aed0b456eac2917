/** How often a running chunk reports its progress. */
export interface ChunkProgressOptions {
  /** At most one report per this many ms (default 1000). */
  intervalMs?: number;
  now?: () => number;
  /** Told when a report failed; progress is advisory, so the chunk goes on. */
  onError?: (error: unknown) => void;
}

/**
 * Counts the lines of a running chunk as they settle and reports the count at most once
 * per `intervalMs`, one report at a time (a slow write is never overtaken by an older
 * count). Reports are advisory: {@link close} waits for the last one so none lands after
 * the chunk is recorded, and a failed one is only passed to `onError`.
 */
export class ChunkProgress {
  #settled = 0;
  #reported = 0;
  #lastReport: number;
  #inFlight: Promise<void> | undefined;

  constructor(
    private readonly report: (lines: number) => Promise<void>,
    private readonly options: ChunkProgressOptions = {},
  ) {
    this.#lastReport = this.now();
  }

  /** Lines settled so far. */
  get settled(): number {
    return this.#settled;
  }

  /** Counts `lines` more lines settled; reports when the interval has passed and no report is in flight. */
  add(lines = 1): void {
    this.#settled += lines;
    if (this.#inFlight || this.#settled === this.#reported) return;
    if (this.now() - this.#lastReport < (this.options.intervalMs ?? 1000)) return;
    this.#lastReport = this.now();
    const count = this.#settled;
    this.#inFlight = this.report(count)
      .then(() => {
        this.#reported = count;
      })
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.#inFlight = undefined;
      });
  }

  /** Waits for a report in flight; reports nothing more. */
  async close(): Promise<void> {
    await this.#inFlight;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
