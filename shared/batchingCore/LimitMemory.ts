/**
 * What a backend's limiter has learned, kept beyond one core (see {@link LimitMemory}):
 * a plain record the limiter reads when it is built and writes as it learns.
 */
export interface LearnedLimit {
  limit?: number;
  /** Whether the backend has pushed back yet (throttle or rising latency): AIMD from then on. */
  congested?: boolean;
  /** The least smoothed latency measured (per unit of work, see `AdaptiveLimiter.increase`). */
  minLatency?: number;
}

/**
 * What the adaptive limiters have learned of each backend, by backend id, kept beyond
 * one core: a Lambda container builds its runtime once, but a process that builds
 * another core later (another runtime, a test, a bench round) resumes each backend where
 * the last core left it (its limit, whether it has pushed back, its least latency)
 * instead of probing again from the expected concurrency. Hand one instance to every core
 * of a process ({@link BatchingOptions.limitMemory}); each core gets its own otherwise.
 */
export class LimitMemory {
  readonly #byBackend = new Map<string, LearnedLimit>();

  /** The record of one backend, created empty on first use; limiters read and update it. */
  of(backendId: string): LearnedLimit {
    let learned = this.#byBackend.get(backendId);
    if (!learned) {
      learned = {};
      this.#byBackend.set(backendId, learned);
    }
    return learned;
  }

  /** The learned limit of each backend that has one, by id. */
  limits(): Record<string, number> {
    const limits: Record<string, number> = {};
    for (const [id, learned] of this.#byBackend) if (learned.limit !== undefined) limits[id] = learned.limit;
    return limits;
  }
}
