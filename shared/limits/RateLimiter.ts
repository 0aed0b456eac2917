import { RateLimitExceededError, type LimitKind } from './errors';
import { formatResetDuration } from './resetDuration';
import type { LimitCounterStore, ResolvedLimits, WindowResource } from './types';
import { type AllowanceState, WindowAllowance } from './WindowAllowance';

/** How the limiter counts. */
export interface RateLimiterOptions {
  store: LimitCounterStore;
  /** Length of a rate window: 60 000 (per minute) unless a test shortens it. */
  windowMs: number;
  /** Share of a limit a container draws at once (see {@link WindowAllowance}). */
  blockFraction: number;
  now?: () => number;
  /** Told of each refusal (the throttle metric). Must not throw. */
  onThrottle?: (throttle: { tenantId: string; keyId: string; scope: 'key' | 'tenant'; limit: LimitKind }) => void;
}

/** Who is asking, and the limits in force for the key and for its tenant. */
export interface LimitSubject {
  tenantId: string;
  keyId: string;
  keyLimits: ResolvedLimits;
  tenantLimits: ResolvedLimits;
}

/** An admitted request: its headers, and what to do when it ends. */
export interface Admission {
  /** OpenAI's `x-ratelimit-*` headers as of the admission. */
  headers: Record<string, string>;
  /**
   * The request ended having used `tokens` (not a finite number: unknown, the estimate
   * stands): the estimate's surplus is given back, a shortfall charged; frees its slots. Once.
   */
  settle(tokens: number): void;
}

/** Allowances one container keeps (two per key and per tenant it has served). */
const MAX_ALLOWANCES = 20_000;

interface Scope {
  scope: 'key' | 'tenant';
  id: string;
  limits: ResolvedLimits;
}

/**
 * Rate limits per key and per tenant: requests and tokens per fixed window (tokens are
 * estimated at admission and settled with the real use), and concurrent requests. Both
 * the key's and the tenant's limits must admit a request. Keep one per container.
 */
export class RateLimiter {
  readonly #allowances = new Map<string, WindowAllowance>();

  constructor(private readonly options: RateLimiterOptions) {}

  /** Admits a request estimated at `estimatedTokens`, or throws {@link RateLimitExceededError} (headers included). */
  async admit(subject: LimitSubject, estimatedTokens: number): Promise<Admission> {
    const now = this.#now();
    const scopes = scopesOf(subject);
    const taken: { allowance: WindowAllowance; resource: WindowResource; amount: number; windowStart: number }[] = [];
    const slots: { id: string; slotKey: string }[] = [];
    const refuse = (scope: Scope, limit: LimitKind, message: string): never => {
      for (const take of taken) take.allowance.refund(take.amount, take.windowStart);
      for (const slot of slots) void this.options.store.releaseSlot(slot.id, slot.slotKey).catch(() => undefined);
      try {
        this.options.onThrottle?.({ tenantId: subject.tenantId, keyId: subject.keyId, scope: scope.scope, limit });
      } catch {
        // Observation is best effort.
      }
      const headers = this.headers(subject);
      const resetMs = limit === 'concurrent' ? 1000 : this.#allowance(scope.id, limit).state(1, this.#now()).resetMs;
      headers['retry-after'] = String(Math.max(1, Math.ceil(resetMs / 1000)));
      throw new RateLimitExceededError(message, { limit, scope: scope.scope, headers });
    };

    for (const [resource, amount] of [
      ['requests', 1],
      ['tokens', estimatedTokens],
    ] as const) {
      for (const scope of scopes) {
        const limit = scope.limits[resource];
        if (limit === undefined) continue;
        const allowance = this.#allowance(scope.id, resource);
        if (!(await allowance.take(amount, limit, now))) {
          const { remaining, resetMs } = allowance.state(limit, now);
          const unit = resource === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
          const tooLarge = resource === 'tokens' && amount > limit;
          refuse(
            scope,
            resource,
            tooLarge
              ? `Request too large for ${unit} on ${scope.scope} ${nameOf(scope)}: Limit ${limit}, Requested ${amount}. Send fewer tokens or ask for a higher limit.`
              : `Rate limit reached for ${unit} on ${scope.scope} ${nameOf(scope)}: Limit ${limit}, Remaining ${remaining}, Requested ${amount}. Please try again in ${formatResetDuration(resetMs)}.`,
          );
        }
        taken.push({ allowance, resource, amount, windowStart: allowance.state(limit, now).windowStart });
      }
    }
    for (const scope of scopes) {
      const limit = scope.limits.concurrent;
      if (limit === undefined) continue;
      // A slot item per UTC day: a slot a crashed container never gave back is lost for that day only.
      const slotKey = new Date(now).toISOString().slice(0, 10);
      const { granted } = await this.options.store.acquireSlot(scope.id, slotKey, limit);
      if (!granted)
        refuse(scope, 'concurrent', `Rate limit reached for concurrent requests on ${scope.scope} ${nameOf(scope)}: Limit ${limit}.`);
      slots.push({ id: scope.id, slotKey });
    }

    const headers = this.headers(subject);
    let settled = false;
    return {
      headers,
      settle: (tokens) => {
        if (settled) return;
        settled = true;
        const at = this.#now();
        for (const take of taken) {
          if (!Number.isFinite(tokens) || take.resource !== 'tokens') continue;
          if (tokens < take.amount) take.allowance.refund(take.amount - tokens, take.windowStart);
          else if (tokens > take.amount) take.allowance.charge(tokens - take.amount, at);
        }
        for (const slot of slots) void this.options.store.releaseSlot(slot.id, slot.slotKey).catch(() => undefined);
      },
    };
  }

  /**
   * OpenAI's six headers, for the tightest of the key's and the tenant's limits (the one
   * with the least remaining); a resource neither limits has none.
   */
  headers(subject: LimitSubject): Record<string, string> {
    const now = this.#now();
    const headers: Record<string, string> = {};
    for (const resource of ['requests', 'tokens'] as const) {
      let tightest: AllowanceState | undefined;
      for (const scope of scopesOf(subject)) {
        const limit = scope.limits[resource];
        if (limit === undefined) continue;
        const state = this.#allowance(scope.id, resource).state(limit, now);
        if (!tightest || state.remaining < tightest.remaining) tightest = state;
      }
      if (!tightest) continue;
      headers[`x-ratelimit-limit-${resource}`] = String(tightest.limit);
      headers[`x-ratelimit-remaining-${resource}`] = String(tightest.remaining);
      headers[`x-ratelimit-reset-${resource}`] = formatResetDuration(tightest.resetMs);
    }
    return headers;
  }

  #allowance(scopeId: string, resource: WindowResource): WindowAllowance {
    const key = `${resource}\n${scopeId}`;
    let allowance = this.#allowances.get(key);
    if (!allowance) {
      // Bounded: a container that has seen very many keys forgets them all (what they held is
      // lost to the window: fewer admissions, never more).
      if (this.#allowances.size >= MAX_ALLOWANCES) this.#allowances.clear();
      allowance = new WindowAllowance(scopeId, resource, this.options);
      this.#allowances.set(key, allowance);
    }
    return allowance;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function scopesOf(subject: LimitSubject): Scope[] {
  return [
    { scope: 'key', id: `key:${subject.keyId}`, limits: subject.keyLimits },
    { scope: 'tenant', id: `tenant:${subject.tenantId}`, limits: subject.tenantLimits },
  ];
}

const nameOf = (scope: Scope) => `'${scope.id.slice(scope.id.indexOf(':') + 1)}'`;
