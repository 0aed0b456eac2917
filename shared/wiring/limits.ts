import { createDocumentClient, loadEventBridgeClient } from '../adapters/aws/clients';
import { DynamoDbLimitCounterStore } from '../adapters/aws/DynamoDbLimitCounterStore';
import { DynamoDbTenantSettingsStore } from '../adapters/aws/DynamoDbTenantSettingsStore';
import { DynamoDbUsageStore } from '../adapters/aws/DynamoDbUsageStore';
import { EventBridgePublisher } from '../adapters/aws/EventBridgePublisher';
import { type Config, requireTableName } from '../config/config';
import { BudgetGuard } from '../limits/BudgetGuard';
import { RateLimiter } from '../limits/RateLimiter';
import { TenantAdmission } from '../limits/TenantAdmission';
import { TenantLimitsAdmin } from '../limits/TenantLimitsAdmin';
import { bedrockStandardPricer } from '../limits/usageCost';
import { logger } from '../observability/logger';
import { publishMetrics } from '../observability/metrics';
import { loadCatalogue } from '../routing/defaultCatalogue';

/*
 * The wiring of rate limits and budgets: counters, tenant settings and budget warnings in
 * the platform table, warnings on the event bus. Call once per module: the limiter's
 * allowances and the caches live as long as the container.
 */

/** Admission of new work (budget, then rate limits) for a function's module scope. */
export function createTenantAdmission(config: Config): TenantAdmission {
  const client = createDocumentClient();
  const tableName = requireTableName(config);
  const settings = new DynamoDbTenantSettingsStore({ client, tableName });
  const usage = new DynamoDbUsageStore({ client, tableName });
  const limits = config.rateLimits;
  const limiter = new RateLimiter({
    store: new DynamoDbLimitCounterStore({ client, tableName }),
    windowMs: limits.windowMs,
    blockFraction: limits.blockFraction,
    onThrottle: ({ tenantId, keyId, scope, limit }) =>
      publishMetrics({ limit, scope }, [{ name: 'RateLimited', value: 1 }], { tenant: tenantId, keyId }),
  });
  const budget = new BudgetGuard({
    usage,
    settings,
    price: bedrockStandardPricer(config.priceTable, loadCatalogue(config)),
    thresholds: limits.budgetWarningThresholds,
    refreshMs: limits.budgetRefreshMs,
    ...(config.eventBusName ? { events: new EventBridgePublisher(loadEventBridgeClient, config.eventBusName) } : {}),
    onWarningError: (error) => logger.warn('a budget warning was not published', { error: error as Error }),
    onExceeded: (tenantId) => publishMetrics({}, [{ name: 'QuotaExceeded', value: 1 }], { tenant: tenantId }),
  });
  return new TenantAdmission({
    limiter,
    budget,
    settings,
    usage,
    defaults: { key: limits.key, tenant: limits.tenant, runningJobs: limits.runningJobsOverBudget },
    settingsTtlMs: limits.settingsTtlMs,
  });
}

/** The admin routes' use case over the tenant settings. */
export function createTenantLimitsAdmin(config: Config): TenantLimitsAdmin {
  return new TenantLimitsAdmin(new DynamoDbTenantSettingsStore({ client: createDocumentClient(), tableName: requireTableName(config) }));
}
