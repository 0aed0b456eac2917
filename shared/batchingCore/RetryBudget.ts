/** Size of a retry budget. */
export interface RetryBudgetOptions {
  /** Retries allowed per item submitted. */
  ratio: number;
  /** Retries allowed whatever the number of items. */
  minimum: number;
}

/**
 * Caps retries at `ratio × items submitted + minimum`, counted in item retries over the
 * lifetime of one core. Per-item attempt limits alone let a failing backend receive up
 * to maxAttempts times the offered load exactly when it can least take it; a budget
 * bounds that amplification (as gRPC's retry throttling and Finagle's RetryBudget do).
 */
export class RetryBudget {
  #submitted = 0;
  #spent = 0;

  constructor(private readonly options: RetryBudgetOptions) {}

  /** Counts newly submitted items, which earn the budget its `ratio` share. */
  recordSubmitted(count = 1): void {
    this.#submitted += count;
  }

  /** Item retries still allowed. */
  get available(): number {
    const allowed = Math.floor(this.options.ratio * this.#submitted + this.options.minimum);
    return Math.max(0, allowed - this.#spent);
  }

  /** Item retries spent so far. */
  get spent(): number {
    return this.#spent;
  }

  /** Spends up to `wanted` retries and returns how many were granted. */
  take(wanted: number): number {
    const granted = Math.min(wanted, this.available);
    this.#spent += granted;
    return granted;
  }
}
