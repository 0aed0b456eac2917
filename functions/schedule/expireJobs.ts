import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { createJobStore, createMessageSender, createObjectStore } from '../../shared/aws/adapters';
import { loadConfig } from '../../shared/config/config';
import type { ChunkMessage, FinalizeMessage } from '../../shared/jobs/Job';
import { expireJobs, sweepStalledJobs, type ExpireJobsDeps, type SweepStalledJobsDeps } from '../../shared/jobs/processing';
import { loadStallSettings } from '../../shared/jobs/stallSettings';
import { logger } from '../../shared/observability/logger';

/**
 * Every few minutes: jobs past their completion window become `expired` and drain; then
 * stalled jobs (no progress for STALLED_AFTER_SECONDS) get their unfinished chunks sent
 * again, or abandoned as error lines after STALLED_MAX_REDRIVES, so no job stays
 * unfinished for ever.
 */
export const createHandler = (deps: ExpireJobsDeps, sweep?: SweepStalledJobsDeps) => async (_event: ScheduledEvent) => {
  const result = await expireJobs(deps);
  if (result.expired.length > 0) logger.info('jobs expired', { ...result });
  const stalled = sweep ? await sweepStalledJobs(sweep) : { redriven: [], abandoned: [], refinalized: [] };
  if (stalled.redriven.length + stalled.abandoned.length + stalled.refinalized.length > 0)
    logger.warn('stalled jobs swept', { ...stalled });
  return { ...result, stalled };
};

const config = loadConfig();
const jobs = createJobStore(config);
export const handler = createHandler(
  { jobs, now: Date.now },
  {
    jobs,
    objects: createObjectStore(),
    chunks: createMessageSender<ChunkMessage>(config.workQueueUrl, 'WORK_QUEUE_URL'),
    finalize: createMessageSender<FinalizeMessage>(config.finalizeQueueUrl, 'FINALIZE_QUEUE_URL'),
    now: Date.now,
    newAttemptId: () => randomUUID(),
    ...loadStallSettings(),
  },
);
