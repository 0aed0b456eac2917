/** How long a wait for a half-open probe's result lasts before looking again. */
const PROBE_POLL_MS = 1_000;

/** The states of a circuit: closed lets calls through, open skips the backend, half-open lets one probe through. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Tuning of a circuit breaker. */
export interface CircuitBreakerOptions {
  /** Consecutive faults that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit stays open before one probe is let through. */
  cooldownMs: number;
  /**
   * A call still running after this long is slow. When `failureThreshold` calls are slow
   * at once and no call of the backend has finished for this long either, the backend is
   * hung: the circuit opens then, before the calls' own timeouts expire, so new work falls
   * back instead of queueing behind them. Off when absent.
   */
  slowCallMs?: number;
  now?: () => number;
  /** Told when the circuit opens (or opens again after a failed probe) and when it closes. */
  onChange?: (state: 'open' | 'closed') => void;
}

/**
 * A circuit breaker for one backend: after `failureThreshold` consecutive faults the
 * backend is skipped for `cooldownMs`; then one probe call decides whether it closes
 * again (success) or stays open for another cooldown (failure). A hung backend fails
 * nothing until its calls time out, so slow calls open it too (see `slowCallMs`), as
 * resilience4j's slow-call threshold does, but counted on the calls still running.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  /** When the current half-open probe started; a probe whose result never came expires after a cooldown. */
  private probeStartedAt: number | undefined;
  private readonly now: () => number;
  /** Start times of the calls running now, by call token. */
  private readonly running = new Map<number, number>();
  private nextCall = 0;
  /** When a call last finished (answered or failed), whatever its outcome. */
  private lastFinishedAt: number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
    this.lastFinishedAt = this.now();
  }

  /** The current state. */
  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.options.cooldownMs ? 'half_open' : 'open';
  }

  /** Whether a call may go to this backend now; in half-open, only one probe at a time. */
  allows(): boolean {
    const state = this.state;
    if (state === 'closed') {
      if (!this.hung()) return true;
      this.openedAt = this.now();
      this.options.onChange?.('open');
      return false;
    }
    if (state === 'open') return false;
    return this.probeStartedAt === undefined || this.now() - this.probeStartedAt >= this.options.cooldownMs;
  }

  /**
   * Milliseconds until {@link allows} may say yes: 0 when closed, the rest of the cooldown
   * when open, and while a half-open probe is out at most a second (its result, which
   * may come any moment, decides) or until it expires.
   */
  msUntilAllowed(): number {
    const state = this.state;
    if (state === 'closed') return 0;
    const now = this.now();
    if (state === 'open') return Math.max(0, this.openedAt! + this.options.cooldownMs - now);
    if (this.probeStartedAt === undefined) return 0;
    return Math.max(0, Math.min(PROBE_POLL_MS, this.probeStartedAt + this.options.cooldownMs - now));
  }

  /** Marks the start of a call chosen through {@link allows}: in half-open it is the probe. */
  onDispatch(): void {
    if (this.state === 'half_open') this.probeStartedAt = this.now();
  }

  /** A call to the backend starts; the token goes back to {@link callEnded} when it ends, however it ends. */
  callStarted(): number {
    const token = this.nextCall++;
    this.running.set(token, this.now());
    return token;
  }

  /** The call of `token` ended (its outcome is told separately, through onSuccess or onFailure). */
  callEnded(token: number): void {
    this.running.delete(token);
    this.lastFinishedAt = this.now();
  }

  /** Slow calls: `failureThreshold` running past `slowCallMs`, and nothing finished for as long. */
  private hung(): boolean {
    const { slowCallMs, failureThreshold } = this.options;
    if (slowCallMs === undefined || this.running.size < failureThreshold) return false;
    const now = this.now();
    if (now - this.lastFinishedAt < slowCallMs) return false;
    let slow = 0;
    for (const startedAt of this.running.values()) if (now - startedAt >= slowCallMs) slow += 1;
    return slow >= failureThreshold;
  }

  onSuccess(): void {
    const wasOpen = this.openedAt !== undefined;
    this.failures = 0;
    this.openedAt = undefined;
    this.probeStartedAt = undefined;
    if (wasOpen) this.options.onChange?.('closed');
  }

  onFailure(): void {
    this.failures += 1;
    const state = this.state;
    if (state === 'half_open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      // A fault while already open (a call that started before it opened) changes nothing.
      if (state !== 'open') this.options.onChange?.('open');
    }
    this.probeStartedAt = undefined;
  }
}
