import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../adapters/aws/clients';
import { DynamoDbLeaseStore } from '../adapters/aws/DynamoDbLeaseStore';
import { FleetBudget } from '../batchingCore/FleetBudget';
import { systemClock } from '../batchingCore/systemClock';
import type { Config } from '../config/config';
import { logger } from '../observability/logger';

let processBudget: FleetBudget | undefined;

/**
 * The process's fleet budget over the platform table: one per process (module scope), so
 * every core of a warm container draws on the same leases, under one holder id. Undefined
 * when `FLEET_BUDGET=off` or there is no table (each container then has only its own limits).
 */
export function createFleetBudget(config: Config): FleetBudget | undefined {
  if (!config.fleetBudget.enabled || !config.tableName) return undefined;
  processBudget ??= new FleetBudget({
    store: new DynamoDbLeaseStore({ client: createDocumentClient(), tableName: config.tableName }),
    clock: systemClock,
    holderId: randomUUID(),
    ttlMs: config.fleetBudget.ttlMs,
    renewMs: config.fleetBudget.renewMs,
    retryMs: config.fleetBudget.retryMs,
    fairShare: config.fairShare,
    onError: (error, backendId) =>
      logger.warn('fleet budget: lease store failed; running on the container’s own limits', { backendId, error: error as Error }),
  });
  return processBudget;
}
