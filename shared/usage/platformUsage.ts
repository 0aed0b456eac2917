import type { MiddlewareObj } from '@middy/core';
import { createUsageStore } from '../wiring/batchJobs';
import type { Config } from '../config/config';
import { logger } from '../observability/logger';
import { UsageMeter } from './UsageMeter';

let meter: UsageMeter | undefined;

/**
 * The container's usage meter, built on first use from the configuration (the platform
 * table, the flush policy). Real-time handlers count into it; {@link usageMiddleware}
 * settles it at the end of each invocation.
 */
export function platformUsageMeter(config: Config): UsageMeter {
  meter ??= new UsageMeter(createUsageStore(config), config.usageFlush, {
    onError: (error) => logger.warn('usage not written; kept for the next flush', { error: error as Error }),
  });
  return meter;
}

/** Waits for the container's usage flush in flight, and flushes if one is due (no-op when nothing counts usage). */
export async function settleUsage(): Promise<void> {
  await meter?.settle();
}

/**
 * Middleware: settles the usage meter before the invocation ends. A frozen Lambda runs
 * no timers, so a flush that is due must be written while the invocation is still alive.
 */
export function usageMiddleware(): MiddlewareObj {
  return { after: settleUsage, onError: settleUsage };
}
