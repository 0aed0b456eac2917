import type { FileRecord } from '../job/ports';
import type { UploadPartRecord, UploadRecord } from './UploadStore';
import type { Job, JobStatus } from '../job/Job';
import { MIXED_ENDPOINT } from './constants';
import { priceUsage, type Cost } from '../../domain/cost';
import { DEFAULT_PRICE_TABLE, type PriceTable } from '../../domain/pricing';

/** The OpenAI File object. */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: FileRecord['purpose'];
  /** `pending` (our extension) while a presigned upload's bytes have not arrived; `processed` after. */
  status: 'processed' | 'pending';
  status_details: null;
  expires_at: number | null;
}

/** What `DELETE /v1/files/{id}` answers. */
export interface DeletedFile {
  id: string;
  object: 'file';
  deleted: true;
}

/** One entry of a Batch's `errors`. */
export interface BatchErrorEntry {
  code: string;
  message: string;
  line: number | null;
  param: null;
}

/**
 * The OpenAI Batch object. Fields not reached yet are `null`, as OpenAI sends them (the
 * client's types mark them optional; it passes the JSON through).
 */
export interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: string;
  /** The model of every line, when one model serves the job (set once ingest has read the file). */
  model?: string;
  errors: { object: 'list'; data: BatchErrorEntry[] } | null;
  /** `null` for a job started by a dropped file: it has no File (see `metadata.source_key`). */
  input_file_id: string | null;
  completion_window: string;
  status: JobStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  /**
   * Our extension, not OpenAI's: the failed lines by error code (the codes of the errors
   * file's lines; their sum is `request_counts.failed`), empty until a line has failed.
   * The OpenAI clients pass an unknown field through.
   */
  error_counts: Record<string, number>;
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
  metadata: Record<string, string> | null;
  /**
   * Extension (not in OpenAI's object): lines processed so far, counting lines settled in
   * chunks still running, which workers report about once a second. Advisory and never
   * above `total`; `request_counts` stays exact and is what results match. Lets a
   * progress bar move within a chunk instead of in 500-line steps.
   */
  progress: { processed: number; total: number };
  /**
   * Extension (not in OpenAI's object): the job's estimated cost so far, in USD, by the
   * route that served its lines (`gpu`, `bedrock-standard`, `bedrock-flex`,
   * `bedrock-priority`, `bedrock-batch`), priced with the price table (`PRICE_TABLE`).
   * `unpriced` names models the table has no price for. See the README, "Cost of a job".
   */
  cost: Cost;
  /**
   * Extension: unix seconds since when the job is paused because its tenant is over its
   * monthly budget with `running_jobs: "pause"` (its status stays `in_progress`); absent
   * when it is not paused. See the README, "Budgets".
   */
  paused_at?: number;
}

/** A file record as the Files API shows it. */
export function toFileObject(file: FileRecord): FileObject {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: file.pendingUpload ? 'pending' : 'processed',
    status_details: null,
    expires_at: file.expiresAt ?? null,
  };
}

/** OpenAI's answer to a deleted file. */
export function toDeletedFile(id: string): DeletedFile {
  return { id, object: 'file', deleted: true };
}

/**
 * A job as the Batch API shows it. A dropped-file job names its object in
 * `metadata.source_key`. `prices` cost its usage (the table in force; AWS list prices by default).
 */
export function toBatchObject(job: Job, prices: PriceTable = DEFAULT_PRICE_TABLE): BatchObject {
  const metadata = job.inputFileId ? job.metadata : { ...job.metadata, source_key: job.source.key };
  return {
    id: job.id,
    object: 'batch',
    endpoint: job.endpoint ?? MIXED_ENDPOINT,
    ...(job.model ? { model: job.model } : {}),
    errors: job.failure
      ? { object: 'list', data: [{ code: job.failure.code, message: job.failure.message, line: job.failure.line ?? null, param: null }] }
      : null,
    input_file_id: job.inputFileId ?? null,
    completion_window: job.completionWindow,
    status: job.status,
    output_file_id: job.outputFileId ?? null,
    error_file_id: job.errorFileId ?? null,
    created_at: job.createdAt,
    in_progress_at: job.inProgressAt ?? null,
    expires_at: job.expiresAt ?? null,
    finalizing_at: job.finalizingAt ?? null,
    completed_at: job.completedAt ?? null,
    failed_at: job.failedAt ?? null,
    expired_at: job.expiredAt ?? null,
    cancelling_at: job.cancellingAt ?? null,
    cancelled_at: job.cancelledAt ?? null,
    request_counts: { total: job.requestCounts.total, completed: job.requestCounts.completed, failed: job.requestCounts.failed },
    error_counts: { ...job.errorCounts },
    usage: {
      input_tokens: job.usage.promptTokens,
      input_tokens_details: { cached_tokens: job.usage.cachedTokens ?? 0 },
      output_tokens: job.usage.completionTokens,
      output_tokens_details: { reasoning_tokens: job.usage.reasoningTokens ?? 0 },
      total_tokens: job.usage.promptTokens + job.usage.completionTokens,
    },
    metadata: Object.keys(metadata).length ? metadata : null,
    progress: progressOf(job),
    cost: priceUsage(prices, job.usage.byRoute ?? []),
    ...(job.pausedAt === undefined ? {} : { paused_at: job.pausedAt }),
  };
}

/** Exact counts plus the advisory lines of running chunks, capped at the total. */
function progressOf(job: Job): BatchObject['progress'] {
  const { total, completed, failed } = job.requestCounts;
  const done = completed + failed;
  const running = ['in_progress', 'cancelling', 'expired'].includes(job.status) ? (job.inFlightLines ?? 0) : 0;
  return { processed: Math.min(total, done + running), total };
}

/** The OpenAI Upload object; `file` is set once it is completed. */
export interface UploadObject {
  id: string;
  object: 'upload';
  bytes: number;
  created_at: number;
  expires_at: number;
  filename: string;
  purpose: string;
  status: 'pending' | 'completed' | 'cancelled' | 'expired';
  file: FileObject | null;
}

/** The OpenAI Upload Part object. */
export interface UploadPartObject {
  id: string;
  object: 'upload.part';
  created_at: number;
  upload_id: string;
}

/** An upload as the Uploads API shows it at `nowSeconds`: a pending one past its hour is `expired`. */
export function toUploadObject(upload: UploadRecord, nowSeconds: number, file?: FileRecord): UploadObject {
  return {
    id: upload.id,
    object: 'upload',
    bytes: upload.bytes,
    created_at: upload.createdAt,
    expires_at: upload.expiresAt,
    filename: upload.filename,
    purpose: upload.purpose,
    status: upload.status === 'pending' && upload.expiresAt <= nowSeconds ? 'expired' : upload.status,
    file: file ? toFileObject(file) : null,
  };
}

/** A part as the Uploads API shows it. */
export function toUploadPartObject(uploadId: string, part: UploadPartRecord): UploadPartObject {
  return { id: part.id, object: 'upload.part', created_at: part.createdAt, upload_id: uploadId };
}
