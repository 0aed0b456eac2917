import * as z from 'zod';

/**
 * The knobs of the simulated Bedrock batch inference (CreateModelInvocationJob and its
 * kin): Bedrock's quotas, how long a job takes, and the faults a platform must survive.
 * Part of the simulator configuration (`bedrockBatch`), so `POST /_sim/config` turns them
 * at run time like the other fault knobs; a job reads them when it is created.
 */

/** The statuses of a batch inference job, as Bedrock spells them. */
export const MODEL_INVOCATION_JOB_STATUSES = [
  'Submitted',
  'Validating',
  'Scheduled',
  'InProgress',
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopping',
  'Stopped',
  'Expired',
] as const;
/** A batch inference job's status. */
export type ModelInvocationJobStatus = (typeof MODEL_INVOCATION_JOB_STATUSES)[number];

/** The knobs of the simulated batch inference. */
export const BedrockBatchKnobsSchema = z.strictObject({
  /** Fewest records a job may have (Bedrock's "Minimum number of records per batch inference job"). */
  minRecordsPerJob: z.number().int().min(1),
  /** Most records a job may have (Bedrock's "Records per batch inference job"). */
  maxRecordsPerJob: z.number().int().min(1),
  /** Submitted-to-InProgress jobs per model at once; one more is refused with ServiceQuotaExceededException. */
  maxConcurrentJobsPerModel: z.number().int().min(1),
  /** Time a job waits before it is InProgress (its queue), in milliseconds. */
  queueDelayMs: z.number().finite().min(0).max(3_600_000),
  /** Time each record takes once the job is InProgress, in milliseconds. */
  msPerRecord: z.number().finite().min(0).max(60_000),
  /** Share of records answered with an `error` object instead of a `modelOutput`. */
  failedRecordRate: z.number().min(0).max(1),
  /** The `errorCode` of such a record (Bedrock writes HTTP-like codes: 400, 429, 500...). */
  failedRecordCode: z.number().int().min(400).max(599),
  /** The `errorMessage` of such a record. */
  failedRecordMessage: z.string().min(1),
  /**
   * How the next jobs end: `normal` (Completed), `failed` (Failed with `failedJobMessage`,
   * no output), `partiallyCompleted` (only `partialShare` of the records are processed,
   * PartiallyCompleted) or `expired` (never starts, Expired).
   */
  jobOutcome: z.enum(['normal', 'failed', 'partiallyCompleted', 'expired']),
  /** The job's `message` when `jobOutcome` is `failed`. */
  failedJobMessage: z.string().min(1),
  /** Share of the records a `partiallyCompleted` job processes. */
  partialShare: z.number().min(0).max(1),
  /** Statuses whose state-change event is not sent to EventBridge (Bedrock's events are best effort). */
  dropEvents: z.array(z.enum(MODEL_INVOCATION_JOB_STATUSES)),
});
/** The knobs of the simulated batch inference. */
export type BedrockBatchKnobs = z.infer<typeof BedrockBatchKnobsSchema>;

/** Bedrock's published quotas, and a queue and pace small enough for tests. */
export const DEFAULT_BEDROCK_BATCH_KNOBS: Readonly<BedrockBatchKnobs> = Object.freeze({
  minRecordsPerJob: 100,
  maxRecordsPerJob: 50_000,
  maxConcurrentJobsPerModel: 20,
  queueDelayMs: 50,
  msPerRecord: 0.2,
  failedRecordRate: 0,
  failedRecordCode: 500,
  failedRecordMessage: 'Internal server error (injected by the simulator: bedrockBatch.failedRecordRate)',
  jobOutcome: 'normal',
  failedJobMessage: 'Batch job failed (injected by the simulator: bedrockBatch.jobOutcome)',
  partialShare: 0.5,
  dropEvents: [],
});
