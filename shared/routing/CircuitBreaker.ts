/** The states of a circuit: closed lets calls through, open skips the backend, half-open lets one probe through. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Tuning of a circuit breaker. */
export interface CircuitBreakerOptions {
  /** Consecutive faults that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit stays open before one probe is let through. */
  cooldownMs: number;
  now?: () => number;
  /** Told when the circuit opens (or opens again after a failed probe) and when it closes. */
  onChange?: (state: 'open' | 'closed') => void;
}

/**
 * A circuit breaker for one backend: after `failureThreshold` consecutive faults the
 * backend is skipped for `cooldownMs`; then one probe call decides whether it closes
 * again (success) or stays open for another cooldown (failure).
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  /** When the current half-open probe started; a probe whose result never came expires after a cooldown. */
  private probeStartedAt: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The current state. */
  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.options.cooldownMs ? 'half_open' : 'open';
  }

  /** Whether a call may go to this backend now; in half-open, only one probe at a time. */
  allows(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.probeStartedAt === undefined || this.now() - this.probeStartedAt >= this.options.cooldownMs;
  }

  /** Marks the start of a call chosen through {@link allows}: in half-open it is the probe. */
  onDispatch(): void {
    if (this.state === 'half_open') this.probeStartedAt = this.now();
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
