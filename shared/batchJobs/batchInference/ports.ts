/**
 * The ports of the batch-inference route: Bedrock's control plane for batch inference
 * jobs, and where the platform tracks them (DynamoDB).
 */

/** A Bedrock batch inference job's status, as `GetModelInvocationJob` names it. */
export type BedrockJobStatus =
  | 'Submitted'
  | 'Validating'
  | 'Scheduled'
  | 'InProgress'
  | 'Completed'
  | 'PartiallyCompleted'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'Expired';

/** Statuses after which a Bedrock job writes nothing more. */
export const BEDROCK_TERMINAL: readonly BedrockJobStatus[] = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'];

/** What `CreateModelInvocationJob` is given. */
export interface CreateBatchInferenceJob {
  jobName: string;
  /** Idempotency: the same token returns the job it started, never a second one. */
  clientRequestToken: string;
  bedrockModel: string;
  /** `s3://bucket/key` of the one input file. */
  inputUri: string;
  /** `s3://bucket/prefix/`: Bedrock writes `<prefix><job id>/<input file>.out` and `manifest.json.out`. */
  outputUri: string;
  timeoutHours: number;
}

/** A Bedrock batch inference job as `GetModelInvocationJob` tells it. */
export interface BatchInferenceJobInfo {
  jobArn: string;
  jobName?: string;
  status: BedrockJobStatus;
  /** Bedrock's reason for a failed job. */
  message?: string;
}

/**
 * Bedrock's batch-inference control plane. `create` throws a `BackendThrottledError` when
 * Bedrock refuses for a quota (too many jobs) or throttling: the job waits its turn.
 */
export interface BatchInferenceService {
  create(request: CreateBatchInferenceJob): Promise<{ jobArn: string }>;
  get(jobArn: string): Promise<BatchInferenceJobInfo>;
  /** Stops the job; Bedrock keeps the output of the records it finished. A job already ended is left alone. */
  stop(jobArn: string): Promise<void>;
}

/**
 * Where a Bedrock batch chunk is:
 * - `waiting`: its input file is written; Bedrock had no free slot yet;
 * - `submitted`: Bedrock has it (`jobArn`);
 * - `on_demand`: Bedrock failed it as a whole; its chunk was sent to run on demand;
 * - `done`: its chunk is recorded done with Bedrock's results.
 */
export type BatchChunkState = 'waiting' | 'submitted' | 'on_demand' | 'done';

/** One Bedrock batch inference job, against the platform job and chunk (its line range) it serves. */
export interface BatchInferenceRecord {
  jobId: string;
  tenantId: string;
  chunkIndex: number;
  /** Bedrock's job name: {@link batchJobName} of the job and chunk. */
  jobName: string;
  /** The public model, and the Bedrock backend and model id serving it. */
  model: string;
  backendId: string;
  bedrockModel: string;
  /** Records in the input file (the chunk's request lines). */
  records: number;
  bucket: string;
  inputKey: string;
  /** The key prefix Bedrock writes under (ending in `/`). */
  outputPrefix: string;
  state: BatchChunkState;
  jobArn?: string;
  /** Bedrock's last status seen. */
  bedrockStatus?: BedrockJobStatus;
  /**
   * Tokens Bedrock batch inference spent on the lines it answered (the records'
   * `usage`), set when the chunk is recorded: what the `bedrock-batch` route is priced on.
   */
  usage?: { inputTokens: number; outputTokens: number };
  /** Unix seconds. */
  createdAt: number;
  submittedAt?: number;
  finishedAt?: number;
}

/** Where Bedrock batch chunks are tracked (DynamoDB, beside their job). Every write is one conditional write. */
export interface BatchInferenceStore {
  /** Records a new `waiting` chunk; false (nothing written) if it is recorded already. */
  create(record: BatchInferenceRecord): Promise<boolean>;
  get(jobId: string, chunkIndex: number): Promise<BatchInferenceRecord | undefined>;
  /** The job's Bedrock batch chunks, by chunk index. */
  listForJob(jobId: string): Promise<BatchInferenceRecord[]>;
  /** `waiting` → `submitted` with its ARN; false if it was not waiting. */
  markSubmitted(jobId: string, chunkIndex: number, jobArn: string, now: Date): Promise<boolean>;
  /** Notes Bedrock's latest status of a submitted job. */
  noteStatus(jobId: string, chunkIndex: number, status: BedrockJobStatus): Promise<void>;
  /** → `done` or `on_demand` (from waiting or submitted), with the usage; false if it was already settled. */
  settle(
    jobId: string,
    chunkIndex: number,
    outcome: { state: 'done' | 'on_demand'; bedrockStatus?: BedrockJobStatus; usage?: BatchInferenceRecord['usage'] },
    now: Date,
  ): Promise<boolean>;
  /**
   * Takes one of the model's `max` slots for `jobName` (or finds the one it holds already):
   * the cap on Bedrock jobs of one model submitted at once. False when all are taken.
   */
  acquireSlot(bedrockModel: string, jobName: string, max: number): Promise<boolean>;
  /** Frees the slot `jobName` holds, if it holds one. */
  releaseSlot(bedrockModel: string, jobName: string): Promise<void>;
}

/** Bedrock's job name for a platform job's chunk: `batch-<hex>-c<index>` (Bedrock names take no `_`). */
export function batchJobName(jobId: string, chunkIndex: number): string {
  return `${jobId.replace(/_/g, '-')}-c${chunkIndex}`;
}

/** The platform job and chunk of a Bedrock job name made by {@link batchJobName}, if it is one. */
export function parseBatchJobName(jobName: string): { jobId: string; chunkIndex: number } | undefined {
  const match = /^batch-([0-9a-f]+)-c(\d+)$/.exec(jobName);
  if (!match) return undefined;
  return { jobId: `batch_${match[1]}`, chunkIndex: Number(match[2]) };
}
