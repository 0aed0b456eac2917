import { chunkMessages } from '../job/Job';
import { NotFoundError } from '../../errors/requestErrors';
import type { ChunkMessage, Job, JobFailure, JobSource, JobStatus, RequestCounts } from '../job/Job';
import { JobStateConflictError } from '../job/errors';
import type { FileStore, JobPatch, JobStore } from '../job/ports';
import type { MessageSender } from '../../domain/ports';
import { publishIngestErrors } from './publishIngestErrors';
import { isInputFormat, MODEL_METADATA_KEY, OUTPUT_FORMAT_FIELD, OUTPUT_FORMAT_METADATA_KEY } from '../lines/constants';
import { createJobForObject, normaliseEtag, type ObjectDrop } from './createJobForObject';
import { InputRefusedError } from './errors';
import { BATCH_ROUTE_METADATA_KEY } from '../batchInference/batchRoutePolicy';
import { gzipRefused, scanInput, type ScanDeps, type ScanResult } from './scanInput';

/** What ingest works through: ports only, no AWS client. */
export interface IngestDeps extends ScanDeps {
  jobs: JobStore;
  /** Where a failed job's errors file is recorded; without it a failed job has no errors file. */
  files?: FileStore;
  chunks: MessageSender<ChunkMessage>;
  /** Whether the Bedrock batch-inference route is deployed (its service role is set): only then may lines go to it. */
  batchInference?: boolean;
  now?: () => Date;
}

/** What one ingest run did, for the logs. Counts are those of this run's scan (0 when it did not scan). */
export interface IngestSummary {
  jobId: string;
  status: JobStatus;
  /** `planned`: scanned and chunks sent; `resent`: chunks of an earlier run sent again; `failed`: the job failed; `skipped`: nothing to do. */
  action: 'planned' | 'resent' | 'failed' | 'skipped';
  lines: number;
  validLines: number;
  invalidLines: number;
  chunks: number;
}

/**
 * Ingest of a dropped file: creates its job (or finds the one an earlier delivery of
 * the same event created) and runs {@link ingestJob} on it.
 */
export async function ingestObject(deps: IngestDeps, drop: ObjectDrop): Promise<IngestSummary> {
  const { job } = await createJobForObject(deps, drop);
  return ingestJob(deps, job.id);
}

/**
 * Ingest of a job, safe to run any number of times:
 *
 * - `validating`: (re)does the work from the start — HEAD the object, refuse it whole if
 *   it cannot be run (missing, replaced, gzip, too large, empty, too many lines, no valid
 *   line: the job fails with that reason), otherwise scan it once, store the chunk plan,
 *   move the job to `in_progress` with its counts, and send one message per chunk.
 * - `in_progress`: a run crashed after the move; the chunk messages are sent again from
 *   the stored plan (workers record each chunk once) and nothing else changes.
 * - anything else (cancelling, finalizing, terminal): nothing to do.
 *
 * A job cancelled while it was validated loses the race for the move and is left alone.
 * Every refused line is in the job's ingest error part (`jobKeys.ingestErrors`), written
 * even when empty once the object is read, and kept when the job fails for having no
 * valid line, so the errors file can still be produced.
 *
 * Memory is bounded by the limits, not the file: one line (`maxLineBytes`), 12 bytes per
 * id seen (up to `maxLinesPerJob`, to find duplicates) and two pages of the chunk plan (one being stored).
 */
export async function ingestJob(deps: IngestDeps, jobId: string): Promise<IngestSummary> {
  const job = await deps.jobs.get(jobId);
  if (!job) throw new NotFoundError(`Batch ${jobId} does not exist.`, { code: 'batch_not_found' });
  if (job.status === 'in_progress') return resendChunks(deps, job);
  if (job.status !== 'validating') return summary(job, 'skipped');
  return validate(deps, job);
}

async function validate(deps: IngestDeps, job: Job): Promise<IngestSummary> {
  const { bucket, key } = job.source;
  const info = await deps.objects.head(bucket, key);
  if (!info) return fail(deps, job, { code: 'file_not_found', message: `The input object s3://${bucket}/${key} does not exist.` });
  if (job.source.etag !== undefined && normaliseEtag(job.source.etag) !== normaliseEtag(info.etag)) {
    return fail(deps, job, {
      code: 'file_changed',
      message: `The input object s3://${bucket}/${key} was replaced after the batch was created; the new upload is a batch of its own.`,
    });
  }
  if (/\.gz$/i.test(key) || /gzip/i.test(info.contentType ?? '')) return fail(deps, job, failureOf(gzipRefused()));
  if (info.size > deps.limits.maxFileBytes) {
    return fail(deps, job, {
      code: 'file_too_large',
      message: `The file is ${info.size} bytes, more than the limit of ${deps.limits.maxFileBytes} bytes; split it into several files.`,
    });
  }
  if (info.size === 0) return fail(deps, job, emptyFile());

  const model = info.metadata[MODEL_METADATA_KEY] ?? info.metadata[`x-amz-meta-${MODEL_METADATA_KEY}`] ?? job.source.model;
  const asked = info.metadata[OUTPUT_FORMAT_METADATA_KEY] ?? job.metadata[OUTPUT_FORMAT_FIELD];
  if (asked !== undefined && !isInputFormat(asked)) {
    return fail(deps, job, {
      code: 'invalid_output_format',
      message: `The output format '${asked}' is not one of 'openai' and 'bedrock' (x-amz-meta-${OUTPUT_FORMAT_METADATA_KEY}, or the batch's metadata.${OUTPUT_FORMAT_FIELD}).`,
    });
  }
  let scan: ScanResult;
  try {
    scan = await scanInput(deps, {
      jobId: job.id,
      bucket,
      key,
      etag: info.etag,
      format: job.source.format,
      endpoint: job.endpoint,
      bedrockModel: model,
      size: info.size,
      savePlan: (chunks) => deps.jobs.saveChunkPlan(job.id, chunks),
      ...(deps.batchInference ? { batchRoute: batchRouteOf(job, info.metadata, now(deps)) } : {}),
    });
  } catch (error) {
    if (!(error instanceof InputRefusedError)) throw error;
    return fail(deps, job, failureOf(error));
  }
  const source: JobSource = {
    ...job.source,
    etag: info.etag,
    ...(model ? { model } : {}),
    ...(scan.format ? { format: scan.format } : {}),
    ...(asked ? { outputFormat: asked } : {}),
  };
  const requestCounts: RequestCounts = { total: scan.lines, completed: 0, failed: scan.invalidLines };
  const errorCounts = scan.invalidLines > 0 ? { errorCounts: scan.errorCodes } : {};
  if (scan.lines === 0) return fail(deps, job, emptyFile(), { source }, scan);
  if (scan.validLines === 0) {
    const first = scan.firstError!;
    const failure = {
      code: 'no_valid_lines',
      message: `None of the ${scan.invalidLines} lines of the file is valid; the first error: ${first.message}`,
      line: first.lineNumber,
    };
    return fail(deps, job, failure, { source, requestCounts, ...errorCounts }, scan);
  }

  // The plan was stored (a page at a time) before the move, so a run that finds the job in_progress can always resend it.
  let moved: Job;
  try {
    // A dropped file's endpoint is the one its lines use (none when they mix); the model, when one serves every line.
    const described = {
      ...(scan.model ? { model: scan.model } : {}),
      ...(!job.endpoint && scan.endpoint ? { endpoint: scan.endpoint } : {}),
      // What each model's GPU pool faces: the fleet's backlog metric reads it (run/poolBacklog.ts).
      ...(Object.keys(scan.onDemandLines).length > 0 ? { onDemandLines: scan.onDemandLines } : {}),
    };
    moved = await deps.jobs.transition(
      job.id,
      'in_progress',
      { chunksTotal: scan.chunkCount, requestCounts, ...errorCounts, source, ...described },
      now(deps),
    );
  } catch (error) {
    if (!(error instanceof JobStateConflictError)) throw error;
    return afterLostRace(deps, job.id, scan);
  }
  await sendChunks(deps, moved);
  return summary(moved, 'planned', scan);
}

async function resendChunks(deps: IngestDeps, job: Job): Promise<IngestSummary> {
  return { ...summary(job, 'resent'), chunks: await sendChunks(deps, job) };
}

/** Sends one message per chunk of the stored plan, a page at a time; answers how many. */
async function sendChunks(deps: IngestDeps, job: Job): Promise<number> {
  let sent = 0;
  for await (const page of deps.jobs.chunkPlanPages(job.id)) {
    if (page.length === 0) continue;
    await deps.chunks.send(chunkMessages(job, page));
    sent += page.length;
  }
  return sent;
}

/** Fails the job with `failure`; a job cancelled meanwhile is left as it is. */
async function fail(deps: IngestDeps, job: Job, failure: JobFailure, patch: JobPatch = {}, scan?: ScanResult): Promise<IngestSummary> {
  try {
    // Every refused line keeps its reason: published as the job's errors file before the job says failed.
    const errorFileId =
      scan && scan.invalidLines > 0 && deps.files
        ? await publishIngestErrors({ objects: deps.objects, files: deps.files, now: () => now(deps).getTime() }, job)
        : undefined;
    const failed = await deps.jobs.transition(job.id, 'failed', { ...patch, failure, ...(errorFileId ? { errorFileId } : {}) }, now(deps));
    return summary(failed, 'failed', scan);
  } catch (error) {
    if (!(error instanceof JobStateConflictError)) throw error;
    return afterLostRace(deps, job.id, scan);
  }
}

/** Another step moved the job first (a cancel, a concurrent ingest): report where it is, and resend if it runs. */
async function afterLostRace(deps: IngestDeps, jobId: string, scan?: ScanResult): Promise<IngestSummary> {
  const current = await deps.jobs.get(jobId);
  if (!current) throw new NotFoundError(`Batch ${jobId} does not exist.`, { code: 'batch_not_found' });
  if (current.status === 'in_progress') return resendChunks(deps, current);
  return summary(current, 'skipped', scan);
}

/**
 * What the batch-inference policy reads of the job: its metadata (a dropped object's
 * `x-amz-meta-bedrock-batch: on|off` counts as the batch's `metadata.bedrock_batch`) and the
 * seconds left in its completion window.
 */
function batchRouteOf(
  job: Job,
  objectMetadata: Record<string, string>,
  at: Date,
): { metadata: Record<string, string>; secondsLeft: number } {
  const asked = objectMetadata[BATCH_ROUTE_METADATA_KEY] ?? objectMetadata[BATCH_ROUTE_METADATA_KEY.replace('_', '-')];
  return {
    metadata: asked === undefined ? job.metadata : { ...job.metadata, [BATCH_ROUTE_METADATA_KEY]: asked },
    secondsLeft: job.expiresAt - Math.floor(at.getTime() / 1000),
  };
}

function emptyFile(): JobFailure {
  return { code: 'empty_file', message: 'The file has no line to run (it is empty or only blank lines).' };
}

function failureOf(error: InputRefusedError): JobFailure {
  return { code: error.code, message: error.message, ...(error.line === undefined ? {} : { line: error.line }) };
}

function summary(job: Job, action: IngestSummary['action'], scan?: ScanResult): IngestSummary {
  return {
    jobId: job.id,
    status: job.status,
    action,
    lines: scan?.lines ?? 0,
    validLines: scan?.validLines ?? 0,
    invalidLines: scan?.invalidLines ?? 0,
    chunks: scan?.chunkCount ?? job.chunksTotal,
  };
}

function now(deps: IngestDeps): Date {
  return deps.now?.() ?? new Date();
}
