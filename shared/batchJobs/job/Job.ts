import * as z from 'zod';
import type { RouteUsage } from '../../domain/cost';

/** Where a job is in its life; see {@link JOB_TRANSITIONS} for the moves allowed. */
export const JobStatus = z.enum(['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'cancelling', 'cancelled', 'expired']);
export type JobStatus = z.infer<typeof JobStatus>;

/** The line formats a job's input may use. */
export type InputFormat = 'openai' | 'bedrock';

/** The endpoints a batch job may target (`/v1/batch` is ours: lines may mix the two). */
export const BatchEndpoint = z.enum(['/v1/chat/completions', '/v1/embeddings']);
export type BatchEndpoint = z.infer<typeof BatchEndpoint>;

/** Progress in OpenAI's names. */
export interface RequestCounts {
  total: number;
  completed: number;
  failed: number;
}

/** Failed lines by error code. */
export type ErrorCounts = Record<string, number>;

/** Lines by their error code: how many of `codes` are each code. */
export function countErrorCodes(codes: Iterable<string>): ErrorCounts {
  const counts: ErrorCounts = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

/** Tokens spent by a job so far. */
export interface JobUsage {
  promptTokens: number;
  completionTokens: number;
  /** Of `completionTokens`, spent on reasoning; of `promptTokens`, read from a prompt cache (as the backends report them). */
  reasoningTokens?: number;
  cachedTokens?: number;
  /**
   * The same work by the route that served it (GPU pool, Bedrock on demand by tier, Bedrock
   * batch inference), what its cost is priced from; absent until a result is recorded.
   * Its tokens add up to the two totals above.
   */
  byRoute?: RouteUsage[];
}

/** A reason a job failed as a whole (empty file, over the limits, no valid line). */
export interface JobFailure {
  code: string;
  message: string;
  line?: number;
}

/** Where a job's input lives: an object in the platform bucket, never copied. */
export interface JobSource {
  bucket: string;
  key: string;
  /** The object's ETag when ingest read it; ranged reads pin to it. */
  etag?: string;
  format?: InputFormat;
  /** Bedrock-format files name their model in the object's metadata (`x-amz-meta-model`) or the batch's `metadata.model`. */
  model?: string;
  /** The format results are written in when asked for (`output_format`); otherwise the input's. */
  outputFormat?: InputFormat;
}

/** A batch job, as the job store keeps it. */
export interface Job {
  id: string;
  tenantId: string;
  status: JobStatus;
  /** The endpoint named at creation, or for a dropped file the one all its lines use (none when they mix). */
  endpoint?: BatchEndpoint;
  /** The model every valid line uses, when they use one (ingest sets it). */
  model?: string;
  /**
   * Valid lines that run on demand, by public model id (ingest sets it; lines planned for
   * Bedrock batch inference are not in it): how the job's waiting lines are shared among
   * the models' GPU pools.
   */
  onDemandLines?: Record<string, number>;
  inputFileId?: string;
  source: JobSource;
  completionWindow: string;
  metadata: Record<string, string>;
  requestCounts: RequestCounts;
  /**
   * Failed lines by error code (`invalid_json`, `backend_timeout`, …), added with each chunk's
   * counts and ingest's refusals; absent until a line has failed. Its sum is `requestCounts.failed`.
   */
  errorCounts?: ErrorCounts;
  usage: JobUsage;
  /** Chunks planned by ingest and chunks recorded done (each exactly once). */
  chunksTotal: number;
  chunksDone: number;
  outputFileId?: string;
  errorFileId?: string;
  /** The batch's `output_expires_after.seconds`: its output and error files expire that long after they are made. */
  outputExpiresAfterSeconds?: number;
  failure?: JobFailure;
  /** Unix seconds. */
  createdAt: number;
  expiresAt: number;
  /** Unix seconds of the last sign of progress: a chunk recorded, or a redrive by the stall sweep. */
  progressAt?: number;
  /**
   * Advisory: lines settled in chunks that are running but not yet recorded (each worker
   * reports its chunk's count about once a second). `requestCounts` stays exact; this
   * only lets progress move between chunks. A chunk run twice or sent back may over- or
   * under-state it for a while.
   */
  inFlightLines?: number;
  /**
   * Unix seconds when each running chunk (by index) last reported progress; gone once the
   * chunk is recorded. The stall sweep re-drives only chunks not seen progressing lately.
   */
  chunkProgressAt?: Record<number, number>;
  /** Times the stall sweep sent the job's unfinished chunks again. */
  redrives?: number;
  /**
   * Unix seconds since when the job is paused: its tenant went over its monthly budget with
   * `running_jobs: "pause"`, so its chunks are set aside (not run, not lost) until the
   * sweep finds the tenant back under its budget, or the job cancelled or expired.
   */
  pausedAt?: number;
  inProgressAt?: number;
  finalizingAt?: number;
  completedAt?: number;
  failedAt?: number;
  cancellingAt?: number;
  cancelledAt?: number;
  expiredAt?: number;
}

/** The one completion window offered (as OpenAI's Batch API), and its length. */
export const COMPLETION_WINDOW = '24h';
export const COMPLETION_WINDOW_SECONDS = 24 * 60 * 60;

/** What differs between new jobs; everything else starts the same for every job. */
export type NewJob = Pick<Job, 'id' | 'tenantId' | 'source' | 'metadata'> &
  Partial<Pick<Job, 'endpoint' | 'inputFileId' | 'outputExpiresAfterSeconds'>> & {
    /** Unix seconds. */
    createdAt: number;
  };

/** A job as it is created: `validating`, nothing counted, its window starting now. */
export function newJob(fields: NewJob): Job {
  return {
    ...fields,
    status: 'validating',
    completionWindow: COMPLETION_WINDOW,
    requestCounts: { total: 0, completed: 0, failed: 0 },
    usage: { promptTokens: 0, completionTokens: 0 },
    chunksTotal: 0,
    chunksDone: 0,
    expiresAt: fields.createdAt + COMPLETION_WINDOW_SECONDS,
  };
}

/** One planned chunk: a byte range of the input and the line number it starts at. */
export interface ChunkPlan {
  index: number;
  /** Inclusive byte offsets into the object, as an HTTP Range takes them. */
  startByte: number;
  endByte: number;
  /** 1-based number of the first line of the range. */
  firstLine: number;
  lineCount: number;
  /** Lines of the range that ingest already refused (they are in the ingest error part). */
  skipLines: number[];
  /**
   * Blank lines inside the range (no request, no output line). With `skipLines` they tell
   * which line numbers of the range are requests without reading it: what a chunk whose
   * input is gone answers with. Absent in plans made before it was recorded: none assumed.
   */
  blankLines?: number[];
  /**
   * Set on a Bedrock batch chunk: its request lines (the range's, less `skipLines` and
   * `blankLines`, which here also list the lines of other chunks) go to one Bedrock batch
   * inference job of this model instead of on-demand calls. Absent: the chunk runs on demand.
   */
  batch?: BatchChunkRoute;
}

/** Where a Bedrock batch chunk's lines go: the public model, and the Bedrock backend and model serving it. */
export const BatchChunkRoute = z.object({ model: z.string().min(1), backendId: z.string().min(1), bedrockModel: z.string().min(1) });
export type BatchChunkRoute = z.infer<typeof BatchChunkRoute>;

/** The message that sends one chunk to a worker. */
export const ChunkMessage = z.object({
  kind: z.literal('chunk'),
  tenantId: z.string().min(1),
  jobId: z.string().min(1),
  chunk: z.object({
    index: z.number().int().nonnegative(),
    startByte: z.number().int().nonnegative(),
    endByte: z.number().int().nonnegative(),
    firstLine: z.number().int().positive(),
    lineCount: z.number().int().nonnegative(),
    skipLines: z.array(z.number().int().positive()),
    blankLines: z.array(z.number().int().positive()).optional(),
    batch: BatchChunkRoute.optional(),
  }),
  source: z.object({
    bucket: z.string(),
    key: z.string(),
    etag: z.string().optional(),
    format: z.enum(['openai', 'bedrock']).optional(),
    model: z.string().optional(),
  }),
});
export type ChunkMessage = z.infer<typeof ChunkMessage>;

/** The message that asks for a job's finalize step. */
export const FinalizeMessage = z.object({ kind: z.literal('finalize'), tenantId: z.string().min(1), jobId: z.string().min(1) });
export type FinalizeMessage = z.infer<typeof FinalizeMessage>;

/** One message per chunk, carrying where to read it (pinned to the ETag scanned). */
export function chunkMessages(job: Job, chunks: readonly ChunkPlan[]): ChunkMessage[] {
  const { bucket, key, etag, format, model } = job.source;
  const source = { bucket, key, ...(etag ? { etag } : {}), ...(format ? { format } : {}), ...(model ? { model } : {}) };
  return chunks.map((chunk) => ({
    kind: 'chunk',
    tenantId: job.tenantId,
    jobId: job.id,
    chunk: { ...chunk, skipLines: [...chunk.skipLines] },
    source,
  }));
}

/** Where a job's files live in the bucket. */
export const jobKeys = {
  ingestErrors: (jobId: string) => `jobs/${jobId}/parts/ingest.errors.jsonl`,
  chunkResults: (jobId: string, index: number, attempt: string) =>
    `jobs/${jobId}/parts/${String(index).padStart(6, '0')}.${attempt}.results.jsonl`,
  chunkErrors: (jobId: string, index: number, attempt: string) =>
    `jobs/${jobId}/parts/${String(index).padStart(6, '0')}.${attempt}.errors.jsonl`,
  results: (jobId: string) => `outputs/${jobId}/results.jsonl`,
  errors: (jobId: string) => `outputs/${jobId}/errors.jsonl`,
};
