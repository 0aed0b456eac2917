import type { EventPublisher } from '../domain/ports';
import type { UsageStore } from '../usage/types';
import { usageDay } from '../usage/usageDays';
import { QuotaExceededError } from './errors';
import type { BudgetValues, TenantSettingsStore } from './types';
import type { UsagePricer } from './usageCost';

/** The EventBridge detail type of a budget warning. */
export const BUDGET_THRESHOLD_EVENT = 'Tenant Budget Threshold Reached';

/** A tenant's month against its budget. */
export interface BudgetStatus {
  /** `YYYY-MM`, UTC. */
  month: string;
  spendUsd: number;
  tokens: number;
  spendCeilingUsd: number | null;
  tokenCeiling: number | null;
  /** The larger of spend/ceiling and tokens/ceiling; 0 without a ceiling. */
  fraction: number;
}

/** How the guard reads usage and warns. */
export interface BudgetGuardOptions {
  usage: Pick<UsageStore, 'query'>;
  settings: Pick<TenantSettingsStore, 'claimBudgetWarning'>;
  price: UsagePricer;
  /** Fractions of a ceiling that warn once a month each (0.5, 0.8, 1). */
  thresholds: number[];
  /** How long a container trusts a tenant's month of usage before reading it again. */
  refreshMs: number;
  events?: EventPublisher;
  now?: () => number;
  onWarningError?: (error: unknown) => void;
  /** Told of each refusal (the quota metric). Must not throw. */
  onExceeded?: (tenantId: string) => void;
}

/**
 * Tenants' monthly budgets: the month's usage (the usage counters real-time routes,
 * batch chunks and queue requests already write), priced by {@link UsagePricer}, against
 * a spend and a token ceiling. Usage is read at most once per `refreshMs` per tenant per
 * container, so a tenant may pass its ceiling by what it uses in that time plus the usage
 * meters' flush interval; new work is refused from then on. Each threshold crossed is
 * published once per month (a conditional claim, then the event).
 */
export class BudgetGuard {
  readonly #cache = new Map<string, { status: Omit<BudgetStatus, 'spendCeilingUsd' | 'tokenCeiling' | 'fraction'>; readAt: number }>();
  readonly #warned = new Set<string>();

  constructor(private readonly options: BudgetGuardOptions) {}

  /** Throws {@link QuotaExceededError} when the tenant's month has reached a ceiling. */
  async check(tenantId: string, budget: BudgetValues | undefined, headers: Record<string, string> = {}): Promise<void> {
    if (!hasCeiling(budget)) return;
    const status = await this.status(tenantId, budget);
    if (status.fraction < 1) return;
    this.options.onExceeded?.(tenantId);
    const what =
      status.spendCeilingUsd !== null && status.spendUsd >= status.spendCeilingUsd
        ? `spend of $${status.spendUsd.toFixed(6)} has reached its monthly budget of $${status.spendCeilingUsd}`
        : `${status.tokens} tokens have reached its monthly ceiling of ${status.tokenCeiling} tokens`;
    throw new QuotaExceededError(
      `You exceeded your current quota: tenant '${tenantId}''s ${what} for ${status.month}. Ask an admin to raise the budget, or wait for the next month.`,
      headers,
    );
  }

  /** Whether the tenant's month has reached a ceiling of `budget` (never, without one). */
  async isOver(tenantId: string, budget: BudgetValues | undefined): Promise<boolean> {
    return hasCeiling(budget) && (await this.status(tenantId, budget)).fraction >= 1;
  }

  /** The tenant's month against its budget; publishes the warnings it has newly crossed. */
  async status(tenantId: string, budget: BudgetValues | undefined): Promise<BudgetStatus> {
    const used = await this.#used(tenantId);
    const spendCeilingUsd = budget?.monthly_spend_usd ?? null;
    const tokenCeiling = budget?.monthly_tokens ?? null;
    const fraction = Math.max(
      spendCeilingUsd === null ? 0 : spendCeilingUsd === 0 ? 1 : used.spendUsd / spendCeilingUsd,
      tokenCeiling === null ? 0 : tokenCeiling === 0 ? 1 : used.tokens / tokenCeiling,
    );
    const status = { ...used, spendCeilingUsd, tokenCeiling, fraction };
    await this.#warn(tenantId, status);
    return status;
  }

  async #used(tenantId: string) {
    const now = this.#now();
    const cached = this.#cache.get(tenantId);
    const month = usageDay(now).slice(0, 7);
    if (cached && cached.status.month === month && now - cached.readAt < this.options.refreshMs) return cached.status;
    const records = await this.options.usage.query({ from: `${month}-01`, to: usageDay(now), tenantId });
    let spendUsd = 0;
    let tokens = 0;
    for (const record of records) {
      spendUsd += this.options.price(record);
      tokens += record.inputTokens + record.outputTokens;
    }
    const status = { month, spendUsd, tokens };
    this.#cache.set(tenantId, { status, readAt: now });
    return status;
  }

  async #warn(tenantId: string, status: BudgetStatus): Promise<void> {
    for (const threshold of this.options.thresholds) {
      if (status.fraction < threshold) continue;
      const key = `${tenantId}\n${status.month}\n${threshold}`;
      if (this.#warned.has(key)) continue;
      this.#warned.add(key);
      try {
        if (!(await this.options.settings.claimBudgetWarning(tenantId, status.month, threshold))) continue;
        await this.options.events?.publish(BUDGET_THRESHOLD_EVENT, {
          tenantId,
          month: status.month,
          threshold,
          spendUsd: status.spendUsd,
          spendCeilingUsd: status.spendCeilingUsd,
          tokens: status.tokens,
          tokenCeiling: status.tokenCeiling,
        });
      } catch (error) {
        this.options.onWarningError?.(error);
      }
    }
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function hasCeiling(budget: BudgetValues | undefined): budget is BudgetValues {
  return budget !== undefined && (typeof budget.monthly_spend_usd === 'number' || typeof budget.monthly_tokens === 'number');
}
