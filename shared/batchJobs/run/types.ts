import type { JobObserver } from '../job/JobObserver';
import type { LineContext, LineError, ParsedLine } from '../lines/types';
import type { BatchingCore } from '../../batchingCore/BatchingCore';
import type { InferenceInput, InferenceOutput } from '../../domain/inference';
import type { ModelRouter } from '../../routing/ModelRouter';
import type { FinalizeMessage } from '../job/Job';
import type { RetryCause } from '../run/retryPace';
import type { ChunkCounts, JobStore } from '../job/ports';
import type { MessageSender, ObjectStore } from '../../domain/ports';
import type { UsageStore } from '../../usage/types';

/** Parses one input line: the same parser ingest validated it with (`parseBatchLine`). */
export type LineParser = (text: string, lineNumber: number, context: LineContext) => ParsedLine | LineError;

/** The model lookups the worker needs (the `ModelRouter` has them). */
export type ModelCatalogueLookup = Pick<ModelRouter, 'model' | 'listModels'>;

/** What `runChunk` needs. */
export interface RunChunkDeps {
  /** Told of each chunk recorded; default: the EMF metrics adapter. */
  observer?: JobObserver;
  jobs: JobStore;
  objects: ObjectStore;
  /** The finalize queue: the delivery that records a job's last chunk asks for its finalize. */
  finalize: MessageSender<FinalizeMessage>;
  /** One core per process, so adaptive limits and the retry budget carry across invocations. */
  core: BatchingCore<InferenceInput, InferenceOutput>;
  router: ModelCatalogueLookup;
  /** Defaults to `parseBatchLine`, the parser ingest uses; tests may stand in. */
  parseLine?: LineParser;
  /** Longest line read whole (ingest refused longer ones already). */
  maxLineBytes: number;
  /** A fresh id for this delivery's part files: two deliveries of one chunk never share one. */
  newAttemptId: () => string;
  /**
   * A fresh random id for a result's `request_id` and its `chatcmpl-…` id. (A line's
   * `batch_req_…` id is derived from the job and line number, the same on every delivery.)
   */
  newId?: () => string;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Where the tokens of a recorded chunk are added to its tenant's usage (one add per model per chunk). */
  usage?: Pick<UsageStore, 'add'>;
  /** A running chunk reports its settled lines at most this often (ms; default 1000). */
  progressIntervalMs?: number;
  /**
   * Tenants' budgets (TenantAdmission): a chunk of a tenant over its budget with
   * `running_jobs: pause` is not run; its job is paused. Absent: jobs always finish.
   */
  budget?: { pausesRunningJobs(tenantId: string): Promise<boolean> };
}

/** How one delivery of a chunk ended; the handler acks all but `retry_later`. */
export type ChunkRunStatus =
  /** This delivery wrote the chunk's parts and recorded it. */
  | 'done'
  /** Another delivery recorded the chunk first; its parts are the ones that count. */
  | 'already_done'
  /** The job is gone or finished; there is nothing to do for it. */
  | 'skipped'
  /** Not finished before the deadline (or the job is still being ingested): redeliver. */
  | 'retry_later'
  /** The job's tenant is over its budget and its jobs pause: the chunk is set aside (the sweep sends it again on resume). */
  | 'paused'
  /** A Bedrock batch chunk went to batch inference (submitted, or waiting for a slot); it is recorded when that job ends. */
  | 'handed_off';

/** The outcome of `runChunk`. */
export interface ChunkRunResult {
  status: ChunkRunStatus;
  /** With `retry_later`: why, so the chunk comes back at the pace of its cause (see retryPace). */
  cause?: RetryCause;
  /** What this delivery recorded, when it recorded the chunk. */
  counts?: ChunkCounts;
}
