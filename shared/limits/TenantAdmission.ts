import type { UsageStore } from '../usage/types';
import { readUsageReport, type UsageReport } from '../usage/usageReport';
import { usageDay } from '../usage/usageDays';
import type { BudgetGuard, BudgetStatus } from './BudgetGuard';
import type { Admission, LimitSubject, RateLimiter } from './RateLimiter';
import { type RateLimitValues, type ResolvedLimits, resolveLimits, type TenantLimitSettings, type TenantSettingsStore } from './types';

/** The caller as the authorizer names it, with the key's own limits if an admin set any. */
export interface Caller {
  tenantId: string;
  keyId: string;
  keyLimits?: RateLimitValues;
}

/** Limits that apply where neither the key nor the tenant has its own (configuration). */
export interface DefaultLimits {
  key: ResolvedLimits;
  tenant: ResolvedLimits;
  /** What a tenant's running jobs do over its budget when its own budget does not say (default `finish`). */
  runningJobs?: 'finish' | 'pause';
}

/** What `GET /v1/usage` answers: the caller's limits, where its counters stand, its budget and its month's usage. */
export interface LimitsView {
  object: 'usage.limits';
  tenant: string;
  key_id: string;
  limits: { key: ResolvedLimitsView; tenant: ResolvedLimitsView };
  /** OpenAI's rate-limit headers as they stand for this caller (as this container counts). */
  rate_limit_headers: Record<string, string>;
  budget: {
    month: string;
    spend_usd: number;
    tokens: number;
    monthly_spend_usd: number | null;
    monthly_tokens: number | null;
    used_fraction: number;
  };
  usage: UsageReport;
}

interface ResolvedLimitsView {
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  concurrent_requests: number | null;
}

/**
 * Admission of new work for a tenant: its monthly budget first (429 `insufficient_quota`),
 * then the key's and the tenant's rate limits (429 `rate_limit_exceeded`). A tenant's
 * settings are read at most once per `settingsTtlMs` per container; a key's own limits
 * come with the caller (the authorizer reads them with the key).
 */
export class TenantAdmission {
  readonly #settings = new Map<string, { settings: TenantLimitSettings; readAt: number }>();

  constructor(
    private readonly deps: {
      limiter: RateLimiter;
      budget: BudgetGuard;
      settings: Pick<TenantSettingsStore, 'get'>;
      usage: Pick<UsageStore, 'query'>;
      defaults: DefaultLimits;
      settingsTtlMs: number;
      now?: () => number;
    },
  ) {}

  /** Admits a real-time request estimated at `estimatedTokens`; throws a 429 with OpenAI's headers when it may not run. */
  async admit(caller: Caller, estimatedTokens: number): Promise<Admission> {
    const { subject, settings } = await this.#subject(caller);
    await this.deps.budget.check(caller.tenantId, settings.budget, this.deps.limiter.headers(subject));
    return this.deps.limiter.admit(subject, estimatedTokens);
  }

  /** OpenAI's rate-limit headers as the caller's counters stand (for answers refused before admission). */
  async headers(caller: Caller): Promise<Record<string, string>> {
    const { subject } = await this.#subject(caller);
    return this.deps.limiter.headers(subject);
  }

  /** Refuses new batch jobs and queued requests of a tenant over its budget (they are not rate limited). */
  async checkBudget(tenantId: string): Promise<void> {
    const settings = await this.#tenantSettings(tenantId);
    await this.deps.budget.check(tenantId, settings.budget);
  }

  /**
   * Whether the tenant's running batch jobs pause now: it is over a ceiling of its monthly
   * budget and its budget's `running_jobs` (or the default) is `pause`. With `finish`, the
   * month's usage is not even read.
   */
  async pausesRunningJobs(tenantId: string): Promise<boolean> {
    const { budget } = await this.#tenantSettings(tenantId);
    if ((budget?.running_jobs ?? this.deps.defaults.runningJobs ?? 'finish') !== 'pause') return false;
    return this.deps.budget.isOver(tenantId, budget);
  }

  /** The caller's limits and budget with its usage this month. */
  async view(caller: Caller): Promise<LimitsView> {
    const { subject, settings } = await this.#subject(caller);
    const now = (this.deps.now ?? Date.now)();
    const month = usageDay(now).slice(0, 7);
    const [status, usage] = await Promise.all([
      this.deps.budget.status(caller.tenantId, settings.budget),
      readUsageReport(this.deps.usage, { tenant: caller.tenantId, from: `${month}-01`, to: usageDay(now) }, now),
    ]);
    return {
      object: 'usage.limits',
      tenant: caller.tenantId,
      key_id: caller.keyId,
      limits: { key: toView(subject.keyLimits), tenant: toView(subject.tenantLimits) },
      rate_limit_headers: this.deps.limiter.headers(subject),
      budget: budgetView(status),
      usage,
    };
  }

  async #subject(caller: Caller): Promise<{ subject: LimitSubject; settings: TenantLimitSettings }> {
    const settings = await this.#tenantSettings(caller.tenantId);
    return {
      settings,
      subject: {
        tenantId: caller.tenantId,
        keyId: caller.keyId,
        keyLimits: resolveLimits(caller.keyLimits, this.deps.defaults.key),
        tenantLimits: resolveLimits(settings.limits, this.deps.defaults.tenant),
      },
    };
  }

  async #tenantSettings(tenantId: string): Promise<TenantLimitSettings> {
    const now = (this.deps.now ?? Date.now)();
    const cached = this.#settings.get(tenantId);
    if (cached && now - cached.readAt < this.deps.settingsTtlMs) return cached.settings;
    const settings = await this.deps.settings.get(tenantId);
    if (this.#settings.size >= 10_000) this.#settings.clear();
    this.#settings.set(tenantId, { settings, readAt: now });
    return settings;
  }
}

const toView = (limits: ResolvedLimits): ResolvedLimitsView => ({
  requests_per_minute: limits.requests ?? null,
  tokens_per_minute: limits.tokens ?? null,
  concurrent_requests: limits.concurrent ?? null,
});

const budgetView = (status: BudgetStatus): LimitsView['budget'] => ({
  month: status.month,
  spend_usd: status.spendUsd,
  tokens: status.tokens,
  monthly_spend_usd: status.spendCeilingUsd,
  monthly_tokens: status.tokenCeiling,
  used_fraction: status.fraction,
});
