import * as z from 'zod';

const count = z.number().int().nonnegative();

/**
 * Rate limits as the admin routes and configuration give them (OpenAI's names): a missing
 * field means "the default", `null` means "no limit". Per minute means per rate window,
 * which is a minute unless configuration shortens it (`RATE_LIMIT_WINDOW_MS`).
 */
export const RateLimitValues = z.strictObject({
  requests_per_minute: count.nullable().optional(),
  tokens_per_minute: count.nullable().optional(),
  concurrent_requests: count.nullable().optional(),
});
export type RateLimitValues = z.infer<typeof RateLimitValues>;

/** A tenant's monthly budget (UTC calendar month): a spend ceiling in USD and/or a token ceiling; `null` is none. */
export const BudgetValues = z.strictObject({
  monthly_spend_usd: z.number().nonnegative().nullable().optional(),
  monthly_tokens: count.nullable().optional(),
  /** What the tenant's running batch jobs do once it is over a ceiling (default: BUDGET_RUNNING_JOBS). */
  running_jobs: z.enum(['finish', 'pause']).nullable().optional(),
});
export type BudgetValues = z.infer<typeof BudgetValues>;

/** What an admin sets for a tenant (`PUT /v1/admin/tenants/{tenant}/limits`). */
export const TenantLimitSettings = z.strictObject({
  limits: RateLimitValues.optional(),
  budget: BudgetValues.optional(),
});
export type TenantLimitSettings = z.infer<typeof TenantLimitSettings>;

/** Limits in force for one scope (a key or a tenant): `undefined` is no limit. */
export interface ResolvedLimits {
  requests?: number;
  tokens?: number;
  concurrent?: number;
}

/** The two counters of a rate window. */
export type WindowResource = 'requests' | 'tokens';

/** One conditional draw on a shared window counter. */
export interface CounterDraw {
  /** `key:<keyId>` or `tenant:<tenantId>`. */
  scope: string;
  resource: WindowResource;
  /** Start of the window, ms since the epoch. */
  windowStart: number;
  amount: number;
  limit: number;
  /** When the counter item may be deleted (ms since the epoch). */
  expiresAt: number;
}

/**
 * Where rate counters are shared between containers (DynamoDB in production and locally).
 * Each call is one conditional write: a container draws allowance in blocks, never per request.
 */
export interface LimitCounterStore {
  /**
   * Adds `amount` to the window's counter if the total stays within `limit`. Answers the
   * total after the draw when granted, or the total as it stands when refused.
   */
  draw(draw: CounterDraw): Promise<{ granted: boolean; total: number }>;
  /**
   * Takes a concurrency slot of `scope` in the slot item `slotKey` if fewer than `limit`
   * are taken. Answers whether it was, and how many are taken after.
   */
  acquireSlot(scope: string, slotKey: string, limit: number): Promise<{ granted: boolean; inFlight: number }>;
  /** Gives a slot back to the item it was taken from. */
  releaseSlot(scope: string, slotKey: string): Promise<void>;
}

/** A tenant's stored settings and its keys' (the port of the admin routes and of the limiter). */
export interface TenantSettingsStore {
  /** The tenant's settings; an unknown tenant has none (`{}`). */
  get(tenantId: string): Promise<TenantLimitSettings>;
  /** Replaces the tenant's settings. */
  put(tenantId: string, settings: TenantLimitSettings): Promise<void>;
  /**
   * Claims the warning of `threshold` (a fraction: 0.8) for the tenant's month once:
   * true for the first claim, false ever after.
   */
  claimBudgetWarning(tenantId: string, month: string, threshold: number): Promise<boolean>;
}

/** Resolves a scope's values against the configured defaults: absent → default, `null` → no limit. */
export function resolveLimits(values: RateLimitValues | undefined, defaults: ResolvedLimits): ResolvedLimits {
  const pick = (value: number | null | undefined, fallback: number | undefined) => (value === undefined ? fallback : (value ?? undefined));
  return {
    requests: pick(values?.requests_per_minute, defaults.requests),
    tokens: pick(values?.tokens_per_minute, defaults.tokens),
    concurrent: pick(values?.concurrent_requests, defaults.concurrent),
  };
}
