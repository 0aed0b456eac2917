import { randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
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

/**
 * Middy middleware for the functions whose invocations run batch work through the fleet
 * budget (the worker, the requests consumer, Bedrock batch inference's retries on demand):
 * when an invocation ends, with an answer or an error, the process gives back the slots it
 * holds and no longer uses ({@link FleetBudget.returnIdle}), since a frozen container's
 * idle-return timer would not run until it thaws and its slots would be kept from the other
 * containers until its lease lapses (`FLEET_LEASE_TTL_MS`). The HTTP functions do not use
 * it: one invocation is one request there, so it would cost a write on the backend's book
 * per request, and such a container holds only the few slots of its own request.
 */
export function returnFleetLeases(): MiddlewareObj {
  const giveBack = async (): Promise<void> => {
    await processBudget?.returnIdle();
  };
  return { after: giveBack, onError: giveBack };
}
