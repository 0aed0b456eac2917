import type { ScheduledEvent } from 'aws-lambda';
import { createJobStore } from '../../shared/aws/adapters';
import { loadConfig } from '../../shared/config/config';
import { expireJobs, type ExpireJobsDeps } from '../../shared/jobs/processing';
import { logger } from '../../shared/observability/logger';

/** Every few minutes: jobs past their completion window become `expired` and drain. */
export const createHandler = (deps: ExpireJobsDeps) => async (_event: ScheduledEvent) => {
  const result = await expireJobs(deps);
  if (result.expired.length > 0) logger.info('jobs expired', { ...result });
  return result;
};

export const handler = createHandler({ jobs: createJobStore(loadConfig()), now: Date.now });
