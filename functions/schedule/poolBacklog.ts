import type { ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '../../shared/config/config';
import { measurePoolBacklog, type PoolBacklogDeps } from '../../shared/batchJobs/run/poolBacklog';
import { createPoolBacklogDeps } from '../../shared/wiring/chunkRuns';
import { withMetrics } from '../../shared/observability/withMetrics';

/**
 * Every minute: the batch lines queued for each GPU pool, summed over the active jobs and
 * published as `PoolBacklog` (dimension `pool`), the batch half of the fleet's scaling
 * signal (the real-time half, `PoolBusySeconds`, comes from the requests themselves).
 */
export const createHandler = (deps: PoolBacklogDeps) => async (_event: ScheduledEvent) => ({ backlog: await measurePoolBacklog(deps) });

export const handler = withMetrics(createHandler(createPoolBacklogDeps(loadConfig())));
