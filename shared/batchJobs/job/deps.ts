import type { LineContext, LineError, ParsedLine } from '../lines/types';
import type { BatchingCore } from '../../batchingCore/BatchingCore';
import type { InferenceInput, InferenceOutput } from '../../domain/inference';
import type { ModelRouter } from '../../routing/ModelRouter';
import type { ChunkMessage, FinalizeMessage } from './Job';
import type { RetryCause } from '../run/retryPace';
import type { UsageStore } from '../../usage/types';
import type { ChunkCounts, FileStore, JobStore } from './ports';
import type { EventPublisher, MessageSender, ObjectStore } from '../../domain/ports';

/** Parses one input line: the same parser ingest validated it with (`parseBatchLine`). */
export type LineParser = (text: string, lineNumber: number, context: LineContext) => ParsedLine | LineError;

/** The model lookups the worker needs (the `ModelRouter` has them). */
export type ModelCatalogueLookup = Pick<ModelRouter, 'model' | 'listModels'>;

/** What `runChunk` needs. */
/** What a worker reports of a chunk it recorded. */
export interface ChunkReport {
  jobId: string;
  tenantId: string;
  /** Lines of the chunk (results and error lines). */
  lines: number;
  /** Time the chunk took, from receipt to recorded. */
  durationMs: number;
  /** What is left of the job once this chunk counts. */
  backlogLines: number;
  backlogChunks: number;
}

/**
 * The batch work waiting for each model, seen from a chunk that starts: the job's lines
 * not yet done (this chunk's included), shared among the models in this chunk's mix.
 */
export interface ChunkDemand {
  jobId: string;
  /** Lines waiting per public model id. */
  backlogByModel: Record<string, number>;
}

/** What finalize reports of a job it ended. */
export interface JobEndReport {
  jobId: string;
  tenantId: string;
  status: string;
  lines: number;
  /** From the job's creation to its end. */
  durationSeconds: number;
}

/** The observation port of batch jobs: per-job metrics live behind it. Must not throw. */
export interface JobObserver {
  /** A chunk's lines are about to go to the backends: the demand each model's pool faces. */
  onChunkStarted?(report: ChunkDemand): void;
  onChunkDone?(report: ChunkReport): void;
  onJobEnded?(report: JobEndReport): void;
}

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
  | 'retry_later';

/** The outcome of `runChunk`. */
export interface ChunkRunResult {
  status: ChunkRunStatus;
  /** With `retry_later`: why, so the chunk comes back at the pace of its cause (see retryPace). */
  cause?: RetryCause;
  /** What this delivery recorded, when it recorded the chunk. */
  counts?: ChunkCounts;
}

/** What `finalizeJob` needs. */
export interface FinalizeJobDeps {
  /** Told of each job ended; default: the EMF metrics adapter. */
  observer?: JobObserver;
  jobs: JobStore;
  files: FileStore;
  objects: ObjectStore;
  events: EventPublisher;
  /** The id of a job's output file of `kind`: deterministic, so a rerun overwrites its records. */
  newFileId?: (jobId: string, kind: 'output' | 'error' | 'manifest') => string;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** How a finalize request ended. */
export interface FinalizeResult {
  status: 'finalized' | 'already_final' | 'not_ready' | 'missing';
  outputFileId?: string;
  errorFileId?: string;
}

/** What `expireJobs` needs. */
export interface ExpireJobsDeps {
  jobs: JobStore;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Most jobs looked at per run (the schedule runs again soon). Default 100. */
  limit?: number;
}

export type { ChunkMessage, FinalizeMessage };

/** What `sweepStalledJobs` needs. */
export interface SweepStalledJobsDeps {
  jobs: JobStore;
  objects: ObjectStore;
  /** The work queue: unfinished chunks are sent there again. */
  chunks: MessageSender<ChunkMessage>;
  /** The finalize queue: a job whose chunks are all recorded is asked to finalize again. */
  finalize: MessageSender<FinalizeMessage>;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Seconds without progress after which a job counts as stalled. */
  stalledAfterSeconds: number;
  /** Redrives of a stalled job before its unfinished chunks are abandoned (their lines written as errors). */
  maxRedrives: number;
  /** A fresh id for the part files of an abandoned chunk. */
  newAttemptId: () => string;
  /** Most active jobs looked at per run. Default 500. */
  limit?: number;
}
