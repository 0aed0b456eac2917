import { outputFileIdOf } from '../job/jobFiles';
import { fileRecord } from '../job/jobFiles';

import { jobTelemetry } from '../../observability/jobTelemetry';
import { logger, observe } from '../../observability/logger';
import { JobStateConflictError } from '../job/errors';
import { jobKeys, type FinalizeMessage, type Job, type JobStatus } from '../job/Job';
import { basename } from 'node:path';
import { bedrockKeys, bedrockManifest, convertPartLine, outputFormatOf } from '../lines/bedrockOutput';
import { stitchParts, type StitchedObject, type StitchPart } from '../lines/stitchParts';
import type { FinalizeJobDeps, FinalizeResult } from './types';
import { priceUsage } from '../../domain/cost';
import { DEFAULT_PRICE_TABLE, type PriceTable } from '../../domain/pricing';

/** The EventBridge detail-type of the event published when a job ends with its files. */
export const JOB_COMPLETED_EVENT = 'Batch Job Completed';

/** Where each status that finalize works from ends. */
const ENDS: Partial<Record<JobStatus, JobStatus>> = { finalizing: 'completed', cancelling: 'cancelled', expired: 'expired' };

/**
 * The finalize step: once every chunk is recorded, stitches the winning part files into
 * `outputs/<jobId>/results.jsonl` and `errors.jsonl` (ingest's refused lines first, then
 * each chunk's errors, in chunk order), creates their file records, publishes the
 * {@link JOB_COMPLETED_EVENT} and ends the job: `completed`, `cancelled` for a job being
 * cancelled, `failed` for a job whose input was replaced or deleted while it ran (its
 * `failure` says which), and an expired job stays `expired` with its files set.
 *
 * Safe to run twice. Everything before the final move is an overwrite (same keys, same
 * file ids); the final move is a conditional write, and a job that already made it is
 * left alone. The event goes out before the final move, so a crash between the two
 * publishes it again on the retry rather than never: delivery is at least once, and
 * consumers dedupe by `jobId`. A finalize that finds the job already ended publishes
 * nothing.
 *
 * Both objects are always written (file-drop consumers get fixed locations, the event
 * names both), but, as OpenAI does, the job gets an `errorFileId` (and the errors file a
 * record) only when there is at least one error line.
 */
export async function finalizeJob(deps: FinalizeJobDeps, message: FinalizeMessage): Promise<FinalizeResult> {
  const found = await deps.jobs.get(message.jobId);
  if (!found || found.tenantId !== message.tenantId) {
    logger.warn('finalize of an unknown job skipped', { jobId: message.jobId });
    return { status: 'missing' };
  }
  if (isEnded(found)) return { status: 'already_final', outputFileId: found.outputFileId, errorFileId: found.errorFileId };
  if (found.status === 'validating' || found.chunksDone < found.chunksTotal) {
    logger.info('finalize asked before every chunk is done', {
      jobId: found.id,
      status: found.status,
      chunksDone: found.chunksDone,
      chunksTotal: found.chunksTotal,
    });
    return { status: 'not_ready' };
  }
  const job = await enterFinalizing(deps, found);
  if (isEnded(job)) return { status: 'already_final', outputFileId: job.outputFileId, errorFileId: job.errorFileId };
  const end = endOf(job);
  if (!end) return { status: 'not_ready' };

  const createdAt = Math.floor(deps.now() / 1000);
  const newFileId = deps.newFileId ?? outputFileIdOf;
  let results: StitchedObject;
  let errors: StitchedObject | undefined;
  let outputFileId: string;
  let errorFileId: string | undefined;
  if (outputFormatOf(job) === 'bedrock') {
    results = await stitchBedrockJob(deps, job);
    checkCounts(job, results);
    outputFileId = newFileId(job.id, 'output');
    await deps.files.put({ ...fileRecord(job, outputFileId, 'output', results, createdAt), filename: basename(results.key) });
    const manifest = await writeManifest(deps, job);
    await deps.files.put({
      ...fileRecord(job, newFileId(job.id, 'manifest'), 'output', manifest, createdAt),
      filename: 'manifest.json.out',
    });
  } else {
    ({ results, errors } = await stitchJob(deps, job));
    checkCounts(job, results, errors);
    outputFileId = newFileId(job.id, 'output');
    errorFileId = errors.lines > 0 ? newFileId(job.id, 'error') : undefined;
    await deps.files.put(fileRecord(job, outputFileId, 'output', results, createdAt));
    if (errorFileId) await deps.files.put(fileRecord(job, errorFileId, 'error', errors, createdAt));
  }
  await deps.events.publish(
    JOB_COMPLETED_EVENT,
    eventDetail(job, end, { results, errors, outputFileId, errorFileId }, deps.prices ?? DEFAULT_PRICE_TABLE),
  );
  await endJob(deps, job, end, errorFileId ? { outputFileId, errorFileId } : { outputFileId });
  logger.info('job finalized', { jobId: job.id, status: end, resultLines: results.lines, errorLines: errors?.lines ?? 0 });
  observe(() =>
    (deps.observer ?? jobTelemetry).onJobEnded?.({
      jobId: job.id,
      tenantId: job.tenantId,
      status: end,
      lines: results.lines + (errors?.lines ?? 0),
      durationSeconds: Math.max(0, createdAt - job.createdAt),
    }),
  );
  return { status: 'finalized', outputFileId, errorFileId };
}

/**
 * Where the job ends: a running job whose input was replaced or deleted (a failure
 * recorded by a worker) ends `failed`, with the results made before and the rest as
 * error lines; otherwise as {@link ENDS} says.
 */
function endOf(job: Job): JobStatus | undefined {
  if (job.status === 'finalizing' && job.failure) return 'failed';
  return ENDS[job.status];
}

/** Whether the job has reached the end finalize would bring it to (or one it never will leave). */
function isEnded(job: Job): boolean {
  return (
    job.status === 'completed' ||
    job.status === 'failed' ||
    job.status === 'cancelled' ||
    (job.status === 'expired' && job.outputFileId !== undefined)
  );
}

/** in_progress → finalizing; losing that move to another step is fine, the job is read again. */
async function enterFinalizing(deps: FinalizeJobDeps, job: Job): Promise<Job> {
  if (job.status !== 'in_progress') return job;
  try {
    return await deps.jobs.transition(job.id, 'finalizing', {}, new Date(deps.now()));
  } catch (error) {
    if (!(error instanceof JobStateConflictError)) throw error;
    // Another finalize got there first, or a cancel or the expiry did: carry on from where it is now.
    const again = await deps.jobs.get(job.id);
    if (!again) throw error;
    return again;
  }
}

/**
 * A Bedrock-format job's one output file, as Bedrock writes it: every record, successes
 * and errors together (Bedrock does not keep the input's order either), at
 * `outputs/<jobId>/<input file name>.out`; ingest's refused lines first, then each
 * chunk's results and errors, in chunk order.
 */
async function stitchBedrockJob(deps: FinalizeJobDeps, job: Job): Promise<StitchedObject> {
  const { indexes, attempts, ingest } = await winningParts(deps, job);
  const parts: StitchPart[] = [
    ...ingest,
    ...indexes.flatMap((index) => [
      jobKeys.chunkResults(job.id, index, attempts.get(index)!),
      jobKeys.chunkErrors(job.id, index, attempts.get(index)!),
    ]),
  ];
  return stitchParts(deps.objects, job.source.bucket, parts, bedrockKeys.records(job.id, job.source.key));
}

/** Bedrock's `manifest.json.out`, beside the records, from the job's counts. */
async function writeManifest(deps: FinalizeJobDeps, job: Job): Promise<StitchedObject> {
  const key = bedrockKeys.manifest(job.id);
  const text = JSON.stringify(bedrockManifest(job));
  await deps.objects.write(job.source.bucket, key, text, { contentType: 'application/json' });
  return { bucket: job.source.bucket, key, bytes: Buffer.byteLength(text), lines: 1 };
}

/** The recorded attempt of every chunk, and ingest's error part (rewritten into the job's output format) if it has one. */
async function winningParts(
  deps: FinalizeJobDeps,
  job: Job,
): Promise<{ indexes: number[]; attempts: Map<number, string>; ingest: StitchPart[] }> {
  const attempts = await deps.jobs.chunkAttempts(job.id);
  const indexes = Array.from({ length: job.chunksTotal }, (_, index) => index);
  const missing = indexes.filter((index) => !attempts.has(index));
  if (missing.length > 0)
    throw new Error(`Job ${job.id} counts ${job.chunksDone} chunks done but chunks ${missing.join(', ')} have no recorded attempt`);
  const key = jobKeys.ingestErrors(job.id);
  // Ingest writes its error part only when it refused a line.
  const hasIngestErrors = (await deps.objects.head(job.source.bucket, key)) !== undefined;
  const format = outputFormatOf(job);
  const ingest = hasIngestErrors ? [{ key, rewrite: (line: string) => convertPartLine(line, format) }] : [];
  return { indexes, attempts: new Map(attempts), ingest };
}

/** Stitches the winning parts of every chunk, in chunk order. */
async function stitchJob(deps: FinalizeJobDeps, job: Job): Promise<{ results: StitchedObject; errors: StitchedObject }> {
  const { indexes, attempts, ingest } = await winningParts(deps, job);
  const bucket = job.source.bucket;
  const resultParts = indexes.map((index) => jobKeys.chunkResults(job.id, index, attempts.get(index)!));
  const errorParts = [...ingest, ...indexes.map((index) => jobKeys.chunkErrors(job.id, index, attempts.get(index)!))];
  const [results, errors] = await Promise.all([
    stitchParts(deps.objects, bucket, resultParts, jobKeys.results(job.id)),
    stitchParts(deps.objects, bucket, errorParts, jobKeys.errors(job.id)),
  ]);
  return { results, errors };
}

/** The lines written must be the lines counted; a difference is a bug worth an alarm, not a failed job. */
function checkCounts(job: Job, results: StitchedObject, errors?: StitchedObject): void {
  const { total, completed, failed } = job.requestCounts;
  // A Bedrock-format job has one file holding both.
  if (!errors && results.lines === total && completed + failed === total) return;
  if (errors && results.lines === completed && errors.lines === failed && results.lines + errors.lines === total) return;
  logger.warn('output lines differ from the job counts', {
    jobId: job.id,
    total,
    completed,
    failed,
    resultLines: results.lines,
    errorLines: errors?.lines,
  });
}

function eventDetail(
  job: Job,
  status: JobStatus,
  files: { results: StitchedObject; errors?: StitchedObject; outputFileId: string; errorFileId?: string },
  prices: PriceTable,
): Record<string, unknown> {
  const { promptTokens, completionTokens } = job.usage;
  return {
    jobId: job.id,
    tenantId: job.tenantId,
    status,
    request_counts: { ...job.requestCounts },
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    // The batch object's `cost`: the same figure, priced with the same table.
    cost: priceUsage(prices, job.usage.byRoute ?? []),
    output_file_id: files.outputFileId,
    error_file_id: files.errorFileId ?? null,
    results: { bucket: files.results.bucket, key: files.results.key, lines: files.results.lines },
    errors: files.errors ? { bucket: files.errors.bucket, key: files.errors.key, lines: files.errors.lines } : null,
    source: { bucket: job.source.bucket, key: job.source.key },
    metadata: job.metadata,
  };
}

/** The final move, carrying the file ids; a rerun that finds it already made is fine. */
async function endJob(
  deps: FinalizeJobDeps,
  job: Job,
  end: JobStatus,
  outputs: { outputFileId: string; errorFileId?: string },
): Promise<void> {
  try {
    if (end === 'expired') await deps.jobs.setOutputs(job.id, outputs);
    else await deps.jobs.transition(job.id, end, outputs, new Date(deps.now()));
  } catch (error) {
    if (!(error instanceof JobStateConflictError)) throw error;
    const again = await deps.jobs.get(job.id);
    if (again?.status !== end) throw error;
  }
}
