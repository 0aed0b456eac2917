import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config';
import type { ChunkMessage, FinalizeMessage } from '../batchJobs/job/Job';
import type { RunChunkDeps } from '../batchJobs/run/types';
import type { BatchInferenceDeps } from '../batchJobs/batchInference/types';
import {
  createBatchInferenceService,
  createBatchInferenceStore,
  createJobStore,
  createMessageSender,
  createObjectStore,
  createUsageStore,
} from './batchJobs';
import { createTenantAdmission } from './limits';
import { createInferenceRuntime } from './realtime';
import type { PoolBacklogDeps } from '../batchJobs/run/poolBacklog';
import { loadCatalogue } from '../routing/defaultCatalogue';
import { publishPoolBacklog } from '../observability/poolMetrics';

/**
 * What running a chunk needs (the worker, and Bedrock batch inference's retries on
 * demand): the stores, the finalize queue, the inference runtime in the batch tier, and
 * the tenants' budgets (a job pauses over budget where its tenant says so).
 * With `withBatchInference`, also the route's store, Bedrock's control plane and the work
 * queue (a chunk Bedrock could not serve goes back there).
 */
export function createRunChunkDeps(config: Config): RunChunkDeps;
export function createRunChunkDeps(config: Config, withBatchInference: true): BatchInferenceDeps;
export function createRunChunkDeps(config: Config, withBatchInference = false): RunChunkDeps | BatchInferenceDeps {
  const { router, core } = createInferenceRuntime(config, 'batch');
  const deps: RunChunkDeps = {
    jobs: createJobStore(config),
    objects: createObjectStore(),
    finalize: createMessageSender<FinalizeMessage>(config.finalizeQueueUrl, 'FINALIZE_QUEUE_URL'),
    core,
    router,
    maxLineBytes: config.limits.maxLineBytes,
    newAttemptId: () => randomUUID(),
    now: Date.now,
    usage: createUsageStore(config),
    progressIntervalMs: config.chunkProgressIntervalMs,
    // A tenant over its budget with `running_jobs: pause` has its chunks set aside.
    budget: createTenantAdmission(config),
  };
  if (!withBatchInference) return deps;
  return {
    ...deps,
    batchJobs: createBatchInferenceStore(config),
    bedrock: createBatchInferenceService(config),
    chunks: createMessageSender<ChunkMessage>(config.workQueueUrl, 'WORK_QUEUE_URL'),
  };
}

/**
 * What the pools' backlog measure needs (functions/schedule/poolBacklog.ts): the job
 * store, the models that have a GPU pool (an OpenAI-compatible backend in the catalogue
 * in force), and the `PoolBacklog` metric.
 */
export function createPoolBacklogDeps(config: Config): PoolBacklogDeps {
  const pools = loadCatalogue(config)
    .models.filter((model) => model.backends.some((backend) => backend.provider === 'openai-compatible'))
    .map((model) => model.id);
  return { jobs: createJobStore(config), pools, publish: (backlog) => publishPoolBacklog(backlog) };
}
