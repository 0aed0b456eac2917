import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { createFileStore, createJobStore, createMessageSenderOnFirstUse, createObjectStoreOnFirstUse } from '../../shared/wiring/batchJobs';
import { expireFiles } from '../../shared/batchJobs/api/FileService';
import { loadConfig } from '../../shared/config/config';
import type { ChunkMessage, FinalizeMessage } from '../../shared/batchJobs/job/Job';
import { expireJobs } from '../../shared/batchJobs/finalize/expireJobs';
import { resumePausedJobs, type ResumePausedJobsDeps } from '../../shared/batchJobs/finalize/resumePausedJobs';
import { sweepStalledJobs } from '../../shared/batchJobs/finalize/sweepStalledJobs';
import type { ExpireJobsDeps, SweepStalledJobsDeps } from '../../shared/batchJobs/finalize/types';
import { createTenantAdmission } from '../../shared/wiring/limits';
import { loadStallSettings } from '../../shared/batchJobs/job/stallSettings';
import { withMetrics } from '../../shared/observability/withMetrics';
import { logger } from '../../shared/observability/logger';

/**
 * Every few minutes: jobs past their completion window become `expired` and drain; jobs
 * paused over their tenant's budget resume once it is back under it (or they were
 * cancelled); then stalled jobs (no progress for STALLED_AFTER_SECONDS) get their unfinished chunks sent
 * again, or abandoned as error lines after STALLED_MAX_REDRIVES, so no job stays
 * unfinished for ever. Files past their `expires_at` (OpenAI's `expires_after`) are removed,
 * object and record.
 */
export const createHandler =
  (deps: ExpireJobsDeps, sweep?: SweepStalledJobsDeps, fileSweep?: Parameters<typeof expireFiles>[0], resume?: ResumePausedJobsDeps) =>
  async (_event: ScheduledEvent) => {
    const result = await expireJobs(deps);
    if (result.expired.length > 0) logger.info('jobs expired', { ...result });
    const resumed = resume ? await resumePausedJobs(resume) : [];
    const expiredFiles = fileSweep ? await expireFiles(fileSweep) : [];
    if (expiredFiles.length > 0) logger.info('files expired', { fileIds: expiredFiles });
    const stalled = sweep ? await sweepStalledJobs(sweep) : { redriven: [], abandoned: [], refinalized: [] };
    if (stalled.redriven.length + stalled.abandoned.length + stalled.refinalized.length > 0)
      logger.warn('stalled jobs swept', { ...stalled });
    return { ...result, resumed, stalled, expiredFiles };
  };

const config = loadConfig();
const jobs = createJobStore(config);
// Most runs find nothing stalled, paused or expired: S3 and SQS are loaded when one does.
const objects = createObjectStoreOnFirstUse();
const chunks = createMessageSenderOnFirstUse<ChunkMessage>(config.workQueueUrl, 'WORK_QUEUE_URL');
export const handler = withMetrics(
  createHandler(
    { jobs, now: Date.now, chunks },
    {
      jobs,
      objects,
      chunks,
      finalize: createMessageSenderOnFirstUse<FinalizeMessage>(config.finalizeQueueUrl, 'FINALIZE_QUEUE_URL'),
      now: Date.now,
      newAttemptId: () => randomUUID(),
      ...loadStallSettings(),
    },
    { files: createFileStore(config), objects, now: Date.now },
    { jobs, chunks, budget: createTenantAdmission(config), now: Date.now },
  ),
);
