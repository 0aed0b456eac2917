import type { Context, EventBridgeEvent } from 'aws-lambda';
import { createRunChunkDeps } from '../../shared/wiring/chunkRuns';
import { returnFleetLeases } from '../../shared/wiring/fleetBudget';
import { loadConfig } from '../../shared/config/config';
import {
  handleBatchJobStateChange,
  sweepBatchInference,
  type BatchJobStateChange,
} from '../../shared/batchJobs/batchInference/sweepBatchInference';
import type { BatchInferenceDeps } from '../../shared/batchJobs/batchInference/types';
import { logger } from '../../shared/observability/logger';
import { withMetrics } from '../../shared/observability/withMetrics';

/** Bedrock's detail-type for a batch inference job's state change (source `aws.bedrock`). */
export const BATCH_STATE_CHANGE = 'Batch Inference Job State Change';
/** Time kept back from the Lambda deadline to write the part files and record the chunk. */
const WRITE_RESERVE_MS = 10_000;

/**
 * Bedrock batch inference's two triggers: its "Batch Inference Job State Change" events
 * (an EventBridge rule), and the schedule's polling sweep (waiting chunks submitted when a
 * slot frees, missed events caught, the Bedrock jobs of cancelled and expired jobs stopped).
 * An error rethrown makes EventBridge invoke again; the sweep is there either way.
 */
export const createHandler =
  (deps: BatchInferenceDeps) => async (event: EventBridgeEvent<string, unknown>, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - WRITE_RESERVE_MS;
    if (event['detail-type'] === BATCH_STATE_CHANGE) {
      const outcome = await handleBatchJobStateChange(deps, (event.detail ?? {}) as BatchJobStateChange, { deadline });
      logger.info('Bedrock batch state change handled', { detail: event.detail as Record<string, unknown>, outcome });
      return { outcome };
    }
    const swept = await sweepBatchInference(deps, { deadline });
    if (swept.submitted.length + swept.stopped.length + swept.settled.length > 0) logger.info('Bedrock batch chunks swept', { ...swept });
    return swept;
  };

const config = loadConfig();
const routeOff = async () => ({ off: true });
// With the route off (BEDROCK_BATCH_ROUTE=off, no service role) there is nothing to watch.
export const handler = !config.bedrockBatchRoleArn
  ? routeOff
  : withMetrics(createHandler(createRunChunkDeps(config, true)), returnFleetLeases());
