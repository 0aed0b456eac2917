import { createEventPublisher, createFileStore, createJobStore, createObjectStore } from '../../shared/wiring/batchJobs';
import { loadConfig } from '../../shared/config/config';
import { FinalizeMessage } from '../../shared/batchJobs/job/Job';
import { finalizeJob } from '../../shared/batchJobs/finalize/finalizeJob';
import type { FinalizeJobDeps } from '../../shared/batchJobs/finalize/types';
import { logger } from '../../shared/observability/logger';
import { withMetrics } from '../../shared/observability/withMetrics';
import { sqsBatchHandler } from '../../shared/sqsEvents/sqsBatch';

/** Finalize: stitches a finished job's parts into its results and errors files. */
export const createHandler = (deps: FinalizeJobDeps) =>
  sqsBatchHandler(FinalizeMessage, async (message) => {
    const result = await finalizeJob(deps, message);
    logger.info('finalize handled', { jobId: message.jobId, ...result });
  });

const config = loadConfig();
export const handler = withMetrics(
  createHandler({
    jobs: createJobStore(config),
    files: createFileStore(config),
    objects: createObjectStore(),
    events: createEventPublisher(config),
    now: Date.now,
    prices: config.priceTable,
  }),
);
