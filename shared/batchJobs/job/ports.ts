import type { ChunkPlan, ErrorCounts, Job, JobFailure, JobStatus } from './Job';
import type { RouteUsage } from '../../domain/cost';

/** Counts a chunk adds to its job when it is recorded done. */
export interface ChunkCounts {
  completed: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  /** Set when not 0. */
  reasoningTokens?: number;
  cachedTokens?: number;
  /** The chunk's failed lines by error code (their sum is `failed`); added to the job's `errorCounts`. */
  errorCodes?: ErrorCounts;
  /** The chunk's tokens by the route that served them (one entry per route and model); added to the job's `usage.byRoute`. */
  routeUsage?: RouteUsage[];
}

/** Fields a transition may set in the same conditional write. */
export type JobPatch = Partial<
  Pick<
    Job,
    | 'chunksTotal'
    | 'requestCounts'
    | 'errorCounts'
    | 'outputFileId'
    | 'errorFileId'
    | 'failure'
    | 'source'
    | 'endpoint'
    | 'model'
    | 'onDemandLines'
  >
>;

/**
 * Where jobs live (DynamoDB). Every write is a single-item conditional write: no
 * transactions, so each step is one atomic move that a redelivery cannot repeat.
 */
export interface JobStore {
  /** Creates the job; false (and nothing written) if a job with its id exists. */
  create(job: Job): Promise<boolean>;
  /** The job, whoever owns it (callers serving a tenant check `tenantId`). */
  get(jobId: string): Promise<Job | undefined>;
  /** A tenant's jobs, newest first; `after` is the id of the last job of the previous page. */
  list(tenantId: string, page: { after?: string; limit: number }): Promise<{ jobs: Job[]; hasMore: boolean }>;
  /**
   * Moves the job to `to` if its current status allows it (see jobStateMachine), setting
   * the status timestamp and `patch` in the same write. Returns the job after the move;
   * throws JobStateConflictError if the job is not in a status that allows it.
   */
  transition(jobId: string, to: JobStatus, patch?: JobPatch, now?: Date): Promise<Job>;
  /**
   * Records chunk `index` as done by `attempt` and adds its counts to the job, once:
   * a second call for the same chunk changes nothing and returns `applied: false`.
   * Only while the job is in_progress, cancelling or expired. Sets `progressAt` to `now`.
   *
   * `failure`, when given, is why the job will end `failed` once its chunks are all
   * recorded (this attempt found its input replaced or deleted): it is set in the same
   * write, so only the delivery whose record wins the chunk can fail the job. The first
   * cause recorded stays (a later chunk's cause does not replace it).
   */
  recordChunkDone(
    jobId: string,
    index: number,
    attempt: string,
    counts: ChunkCounts,
    now?: Date,
    failure?: JobFailure,
  ): Promise<{ applied: boolean; job: Job }>;
  /**
   * Advisory progress of chunk `index` while it runs: `lines` of it settled so far
   * (summed into {@link Job.inFlightLines}), seen at `now` ({@link Job.chunkProgressAt}).
   * Ignored once the chunk is recorded done (`recordChunkDone` clears both in the same
   * write) or the job stopped taking chunks.
   */
  recordChunkProgress?(jobId: string, index: number, lines: number, now?: Date): Promise<void>;
  /**
   * Counts one redrive of a stalled job: `redrives` goes from `seen` to `seen + 1` and
   * `progressAt` to `now`, only if it is still `seen` and the job is still in_progress,
   * cancelling, expired or finalizing (false otherwise: another sweep got there first, or
   * the job moved on).
   */
  recordRedrive(jobId: string, seen: number, now: Date): Promise<boolean>;
  /**
   * Pauses the job (sets {@link Job.pausedAt} to `now`) if it is in_progress and not paused
   * yet; false otherwise (another chunk paused it first, or the job moved on).
   */
  pause(jobId: string, now: Date): Promise<boolean>;
  /**
   * Ends the job's pause and sets `progressAt` to `now` (the stall sweep counts from
   * there), if it is paused; false otherwise, so two sweeps resume a job once.
   */
  resume(jobId: string, now: Date): Promise<boolean>;
  /** Jobs not yet terminal, soonest to expire first; at most `limit`. */
  listActive(limit: number): Promise<Job[]>;
  /**
   * Sets the output and error file ids of an expired job. Its status no longer moves, so
   * `transition` cannot carry them, but finalize still stitches what its chunks drained.
   * Conditional on the job being `expired` (throws JobStateConflictError otherwise);
   * setting the same ids again is allowed, since finalize may run twice.
   */
  setOutputs(jobId: string, outputs: Pick<JobPatch, 'outputFileId' | 'errorFileId'>): Promise<Job>;
  /** The attempt whose part files count, for each chunk recorded done. */
  chunkAttempts(jobId: string): Promise<Map<number, string>>;
  /**
   * Stores chunks of ingest's plan, each by its index (replacing a chunk of the same index):
   * ingest writes its plan a page at a time as it reads the file.
   */
  saveChunkPlan(jobId: string, chunks: readonly ChunkPlan[]): Promise<void>;
  /** The chunk plan, in index order. */
  chunkPlan(jobId: string): Promise<ChunkPlan[]>;
  /** The chunk plan a page at a time, in index order: the whole plan is never held. */
  chunkPlanPages(jobId: string): AsyncIterable<ChunkPlan[]>;
  /** Jobs not yet terminal whose completion window ended before `now` (unix seconds). */
  listExpired(now: number, limit: number): Promise<Job[]>;
}

/** A stored file, as the Files API shows it. */
export interface FileRecord {
  id: string;
  tenantId: string;
  /** `batch` for uploaded inputs, `batch_output` for results and errors files. */
  purpose: 'batch' | 'batch_output';
  filename: string;
  bytes: number;
  /** Unix seconds. */
  createdAt: number;
  bucket: string;
  key: string;
  /** Unix seconds after which the file is gone (OpenAI's `expires_after`); none: kept until deleted. */
  expiresAt?: number;
  /**
   * Set while the file waits for its bytes (a presigned upload, `POST /v1/files/presigned`):
   * `expiresAt` is then when the record goes if nothing was PUT, and `expiresAfterSeconds`
   * the `expires_after` asked for, applied once the object is there.
   */
  pendingUpload?: { expiresAfterSeconds?: number };
}

/** Where file records live (DynamoDB). */
export interface FileStore {
  /** Stores a file record; overwriting one with the same id is allowed (finalize may run twice). */
  put(file: FileRecord): Promise<void>;
  get(fileId: string): Promise<FileRecord | undefined>;
  /** A tenant's files, newest first (`order: 'desc'`, the default) or oldest first. */
  list(
    tenantId: string,
    page: { after?: string; limit: number; purpose?: FileRecord['purpose']; order?: 'asc' | 'desc' },
  ): Promise<{ files: FileRecord[]; hasMore: boolean }>;
  /** Removes a file record; false when there was none. */
  delete(fileId: string): Promise<boolean>;
  /** Files whose `expiresAt` is before `now` (unix seconds), oldest expiry first, at most `limit`. */
  listExpired(now: number, limit: number): Promise<FileRecord[]>;
  /**
   * A pending file's bytes have arrived: sets `bytes` and `expiresAt` (none: kept until
   * deleted) and clears `pendingUpload`, only if the record is still pending. Returns the
   * updated record, or undefined when it was not pending (confirmed already, or deleted).
   */
  confirmUpload(fileId: string, bytes: number, expiresAt: number | undefined): Promise<FileRecord | undefined>;
}

/** Signs URLs that let any HTTP client PUT one object (S3 presigned URLs). */
export interface UploadUrlSigner {
  /** A URL for one `PUT` of `bucket/key`, valid `expiresInSeconds`. */
  signPut(bucket: string, key: string, expiresInSeconds: number): Promise<string>;
}
