import { parseBatchLine } from '../lines/lineFormats';
import { CapacityPendingError } from '../../errors/backendErrors';
import { jobTelemetry } from '../../observability/jobTelemetry';
import { logger, observe } from '../../observability/logger';
import { isInputLost, JobStateConflictError } from '../job/errors';
import { countErrorCodes, jobKeys, type ChunkMessage, type Job, type JobFailure, type JobStatus } from '../job/Job';
import type { ChunkCounts } from '../job/ports';
import { chunkRequestLines, lineContextOf, parseChunkLine } from './chunkLines';
import { lineOutput, planLine, refused, type LineOutput, type LinePlan } from './lineRequests';
import { isUnfinished } from '../../realtime/outcomeErrors';
import { inputLostFailure, lostInputOutputs, recordedInputLoss } from './lostInput';
import type { RetryCause } from './retryPace';
import { bedrockRecord, outputFormatOf } from '../lines/bedrockOutput';
import { countedPartMetadata } from '../lines/constants';
import { failureOfLine, randomId, toJsonl } from '../../domain/outputLines';
import type { ChunkRunResult, RunChunkDeps } from './types';
import { usageDay } from '../../usage/usageDays';
import { ChunkProgress } from './ChunkProgress';
import { mergeRouteUsage } from '../../domain/cost';

/** Statuses in which a chunk may still be recorded done (the job store's condition too). */
const ACCEPTS_CHUNKS: readonly JobStatus[] = ['in_progress', 'cancelling', 'expired'];
/** Statuses after which no chunk matters any more. */
const FINISHED: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
const JSONL = 'application/jsonl';

/** Why the lines of a draining job are not run. */
const DRAIN_REASONS = {
  cancelling: { code: 'batch_cancelled', message: 'This request was not run because the batch was cancelled.' },
  expired: { code: 'batch_expired', message: 'This request was not run because the batch expired.' },
} as const;

/** Options of one delivery. */
export interface RunChunkOptions {
  /** Milliseconds since the epoch by which the work must be settled (the Lambda's deadline). */
  deadline: number;
  /** Aborts the backend calls in flight (the function is shutting down). */
  signal?: AbortSignal;
  /**
   * Whether the queue may deliver this chunk again (its receive count is below the
   * redrive count). While it may, a request that failed for a reason that may pass (a
   * backend down, throttling) sends the chunk back rather than writing an error line:
   * an outage of a few seconds must not fail half a job. On the last delivery the
   * failures are written as error lines, so the chunk never reaches the DLQ unsettled.
   */
  canRetry?: boolean;
}

/**
 * The worker's use case: runs one chunk of a batch job and records it done, once.
 *
 * Safe under SQS's at-least-once delivery: this delivery writes its own part files (named
 * by a fresh attempt id), and only then tries the job store's once-only
 * `recordChunkDone`, which adds the counts and names the attempt whose parts count. A
 * delivery that loses that race leaves orphan parts nobody stitches. Work not finished
 * by the deadline is neither written nor recorded: `retry_later` tells the handler to
 * report the message as a partial batch failure, so SQS delivers the whole chunk again.
 *
 * A cancelling or expired job still has every line answered, without calling a backend:
 * each becomes a `batch_cancelled` / `batch_expired` error line, so every input line ends
 * in exactly one file. The delivery that records the last chunk asks for the finalize.
 */
export async function runChunk(deps: RunChunkDeps, message: ChunkMessage, options: RunChunkOptions): Promise<ChunkRunResult> {
  const { jobId, chunk } = message;
  const started = deps.now();
  const found = await deps.jobs.get(jobId);
  if (!found || found.tenantId !== message.tenantId) {
    logger.warn('chunk of an unknown job skipped', { jobId, chunk: chunk.index });
    return { status: 'skipped' };
  }
  if (FINISHED.includes(found.status)) return { status: 'skipped' };
  if ((await deps.jobs.chunkAttempts(jobId)).has(chunk.index)) {
    // The delivery that recorded it may have died before asking for the finalize.
    await askFinalizeIfLast(deps, found);
    return { status: 'already_done' };
  }
  // Ingest sends chunks while it may still be finishing the job; it will be in_progress soon.
  if (found.status === 'validating') return { status: 'retry_later', cause: 'job_validating' };
  const job = await expireIfDue(deps, found);
  if (!ACCEPTS_CHUNKS.includes(job.status)) {
    logger.warn('chunk not recorded while the job is finalizing', { jobId, chunk: chunk.index, status: job.status });
    return { status: 'skipped' };
  }
  if (await pausesForBudget(deps, job)) return { status: 'paused' };
  const outcome = await chunkOutputs(deps, message, job, options);
  if (typeof outcome === 'string') return { status: 'retry_later', cause: outcome };
  return recordChunkOutputs(deps, message, job, outcome, started);
}

/**
 * Whether an in_progress job's chunk is set aside because its tenant is over its monthly
 * budget with `running_jobs: pause`; the first such chunk pauses the job
 * ({@link Job.pausedAt}). Nothing is lost: the message is acknowledged, and the sweep
 * sends every unrecorded chunk again when it resumes the job (resumePausedJobs). A
 * cancelling or expired job is never paused: its chunks drain without calling a backend.
 */
export async function pausesForBudget(deps: Pick<RunChunkDeps, 'budget' | 'jobs' | 'now'>, job: Job): Promise<boolean> {
  if (job.status !== 'in_progress') return false;
  // Paused stays paused until the sweep resumes it: the resume decision has one home.
  if (job.pausedAt !== undefined) return true;
  if (!deps.budget || !(await deps.budget.pausesRunningJobs(job.tenantId))) return false;
  if (await deps.jobs.pause(job.id, new Date(deps.now()))) {
    logger.warn('job paused: its tenant is over its monthly budget; its chunks wait until it is back under it', {
      jobId: job.id,
      tenantId: job.tenantId,
    });
    return true;
  }
  // Not paused by this write: paused meanwhile by another chunk (set aside too), or moved on
  // (cancelled, expired), when the chunk must run to drain: never acknowledged unrun.
  const latest = await deps.jobs.get(job.id);
  return latest?.status === 'in_progress' && latest.pausedAt !== undefined;
}

/** What a delivery made of its chunk: the output lines, and why the job fails if the input was lost. */
export interface ChunkOutcome {
  outputs: LineOutput[];
  /** Recorded with the chunk, in its one conditional write: only the winning delivery's cause counts. */
  failure?: JobFailure;
}

/**
 * The chunk's output lines: drained (cancelling, expired) or run. When its input was
 * replaced (the read pinned to the ETag answers 412) or deleted (404), nothing of the new
 * bytes is read: every request line of the chunk becomes an error line with that code,
 * and the cause goes with the chunk's record, so the job ends `failed` only if this
 * delivery's lines are the ones that count. Chunks after a recorded loss do the same
 * without reading, and chunks recorded before it keep their results.
 */
async function chunkOutputs(
  deps: RunChunkDeps,
  message: ChunkMessage,
  job: Job,
  options: RunChunkOptions,
): Promise<ChunkOutcome | RetryCause> {
  const lost = recordedInputLoss(job);
  if (lost) return { outputs: lostInputOutputs(message, job, lost, deps.newId ?? randomId), failure: lost };
  const drain = job.status === 'cancelling' || job.status === 'expired' ? DRAIN_REASONS[job.status] : undefined;
  try {
    const outputs = drain ? await drainedOutputs(deps, message, job, drain) : await ranOutputs(deps, message, job, options);
    return typeof outputs === 'string' ? outputs : { outputs };
  } catch (error) {
    if (!isInputLost(error)) throw error;
    // A cause another chunk recorded meanwhile is kept, so that every lost line carries the job's code.
    const cause: JobFailure = recordedInputLoss((await deps.jobs.get(job.id)) ?? job) ?? inputLostFailure(error, job);
    logger.warn("input replaced or deleted: the chunk's lines go to the errors file and the job will end failed", {
      jobId: job.id,
      chunk: message.chunk.index,
      code: cause.code,
      key: job.source.key,
    });
    return { outputs: lostInputOutputs(message, job, cause, deps.newId ?? randomId), failure: cause };
  }
}

/**
 * A job whose completion window has passed is moved to expired here too, not only by the
 * schedule, so that its remaining chunks drain as expired rather than run (except a paused
 * job: the schedule expires it and sends its set-aside chunks).
 */
async function expireIfDue(deps: RunChunkDeps, job: Job): Promise<Job> {
  if (job.status !== 'in_progress' || job.expiresAt >= Math.floor(deps.now() / 1000)) return job;
  // A paused job is expired by the schedule, which sends its set-aside chunks to drain.
  if (job.pausedAt !== undefined) return job;
  try {
    return await deps.jobs.transition(job.id, 'expired', {}, new Date(deps.now()));
  } catch (error) {
    if (!(error instanceof JobStateConflictError)) throw error;
    return (await deps.jobs.get(job.id)) ?? job;
  }
}

/** Every request line of the chunk as an error line with `reason`; no backend is called. */
async function drainedOutputs(
  deps: RunChunkDeps,
  message: ChunkMessage,
  job: Job,
  reason: { code: string; message: string },
): Promise<LineOutput[]> {
  const context = lineContextOf(message, job, deps.router);
  const outputs: LineOutput[] = [];
  for await (const line of chunkRequestLines(deps.objects, message, deps.maxLineBytes)) {
    // Parsed only for its custom_id: nothing of the request is used.
    const parsed = parseChunkLine(deps.parseLine ?? parseBatchLine, deps.maxLineBytes, line, context);
    const plan: LinePlan = parsed.ok
      ? { kind: 'refused', lineNumber: line.lineNumber, customId: parsed.customId, ...reason, echo: parsed.echo }
      : { ...refused(line.lineNumber, parsed.customId, parsed.code, parsed.message), echo: parsed.echo };
    outputs.push(lineOutput(plan, [], { jobId: job.id, newId: deps.newId ?? randomId, created: 0 }));
  }
  return outputs;
}

/**
 * Runs the chunk's lines through the core in one call, so batches form across lines
 * (the chunk is bounded by the chunk limits, so its plans fit in memory). When any item
 * was left unfinished at the deadline, or failed for a reason that may pass while the
 * chunk can still come back, the cause instead: throttling first, then a backend down,
 * then the deadline.
 */
async function ranOutputs(
  deps: RunChunkDeps,
  message: ChunkMessage,
  job: Job,
  options: RunChunkOptions,
): Promise<LineOutput[] | RetryCause> {
  const context = lineContextOf(message, job, deps.router);
  const plans: LinePlan[] = [];
  for await (const line of chunkRequestLines(deps.objects, message, deps.maxLineBytes)) {
    plans.push(planLine(parseChunkLine(deps.parseLine ?? parseBatchLine, deps.maxLineBytes, line, context), deps.router));
  }
  const items = plans.flatMap((plan) => (plan.kind === 'runnable' ? plan.items : []));
  const progress = chunkProgress(deps, message);
  progress.add(plans.length - plans.filter((plan) => plan.kind === 'runnable').length);
  // A line has settled once all its items have (an embeddings line may have several).
  const itemsLeft = new Map(plans.flatMap((plan) => (plan.kind === 'runnable' ? [[plan.lineNumber, plan.items.length] as const] : [])));
  const lineOf = new Map(
    plans.flatMap((plan) => (plan.kind === 'runnable' ? plan.items.map((item) => [item.id, plan.lineNumber] as const) : [])),
  );
  const onSettled = (outcome: { id: string }) => {
    const line = lineOf.get(outcome.id);
    const left = line === undefined ? undefined : itemsLeft.get(line);
    if (line === undefined || left === undefined) return;
    itemsLeft.set(line, left - 1);
    if (left === 1) progress.add();
  };
  const outcomes =
    items.length > 0
      ? await deps.core.run(items, {
          deadline: options.deadline,
          signal: options.signal,
          onSettled,
          tenantId: job.tenantId,
          priority: 'batch',
          // While the chunk can come back, its lines may wait for their GPU pool up to the job's deadline; on its last delivery they go to Bedrock.
          ...(options.canRetry === true ? { completesBy: job.expiresAt * 1000 } : {}),
        })
      : [];
  await progress.close();
  const passing =
    options.canRetry === true
      ? outcomes.filter((outcome) => outcome.status === 'failed' && outcome.error.retryable && !isUnfinished(outcome))
      : [];
  const unfinished = outcomes.filter(isUnfinished).length;
  if (unfinished + passing.length > 0) {
    const failedWith = (code: string) => passing.some((outcome) => outcome.status === 'failed' && outcome.error.code === code);
    const cause: RetryCause = failedWith('rate_limit_exceeded')
      ? 'rate_limited'
      : failedWith(CapacityPendingError.code)
        ? 'gpu_capacity_pending'
        : passing.length > 0
          ? 'backend_unavailable'
          : 'deadline';
    logger.info('chunk not finished (deadline, or failures that may pass); it goes back to the queue', {
      jobId: message.jobId,
      chunk: message.chunk.index,
      cause,
      unfinished,
      failedMayPass: passing.length,
      items: items.length,
    });
    return cause;
  }
  const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
  const lineOptions = { jobId: job.id, newId: deps.newId ?? randomId, created: Math.floor(deps.now() / 1000) };
  return plans.map((plan) => lineOutput(plan, plan.kind === 'runnable' ? plan.items.map((item) => byId.get(item.id)!) : [], lineOptions));
}

/** The running chunk's progress reporter: the job store's advisory counter, when the store keeps one. */
function chunkProgress(deps: RunChunkDeps, message: ChunkMessage): ChunkProgress {
  const store = deps.jobs;
  const report = store.recordChunkProgress
    ? (lines: number) => store.recordChunkProgress!(message.jobId, message.chunk.index, lines, new Date(deps.now()))
    : async () => undefined;
  return new ChunkProgress(report, {
    intervalMs: deps.progressIntervalMs ?? 1000,
    now: deps.now,
    onError: (error) =>
      logger.warn('chunk progress not recorded', { jobId: message.jobId, chunk: message.chunk.index, error: error as Error }),
  });
}

/**
 * Adds a recorded chunk's tokens to its tenant's usage: one add per model. Only the
 * delivery that recorded the chunk adds, so a redelivery never counts twice; a failed
 * add is logged and lost (the job's own usage stays exact).
 */
async function addUsage(deps: RunChunkDeps, tenantId: string, outputs: readonly LineOutput[]): Promise<void> {
  if (!deps.usage) return;
  const byModel = new Map<string, { requests: number; inputTokens: number; outputTokens: number }>();
  for (const output of outputs) {
    if (!output.ok || !output.model) continue;
    const counts = byModel.get(output.model) ?? { requests: 0, inputTokens: 0, outputTokens: 0 };
    counts.requests += 1;
    counts.inputTokens += output.promptTokens;
    counts.outputTokens += output.completionTokens;
    byModel.set(output.model, counts);
  }
  if (byModel.size === 0) return;
  const day = usageDay(deps.now());
  try {
    await deps.usage.add([...byModel].map(([model, counts]) => ({ day, tenantId, model, ...counts })));
  } catch (error) {
    logger.warn("a chunk's usage was not recorded", { tenantId, error: error as Error });
  }
}

/**
 * Writes this attempt's two part files, then records the chunk done (once, across all
 * deliveries), adds its tokens to the tenant's usage and asks for the finalize after the
 * last chunk. The one way a chunk is recorded, whether it ran on demand or through
 * Bedrock batch inference.
 */
export async function recordChunkOutputs(
  deps: RunChunkDeps,
  message: ChunkMessage,
  job: Job,
  { outputs, failure }: ChunkOutcome,
  started: number,
): Promise<ChunkRunResult> {
  const { jobId, chunk } = message;
  const attempt = deps.newAttemptId();
  const results = outputs.filter((output) => output.ok);
  const errors = outputs.filter((output) => !output.ok);
  // Written in the job's output format: OpenAI lines, or Bedrock records echoing their input.
  const format = outputFormatOf(job);
  const written = (output: LineOutput) => (format === 'bedrock' ? bedrockRecord(output.line, output.echo) : output.line);
  // Both parts always exist once a chunk is recorded, so finalize can read them without asking.
  await Promise.all([
    // Their line counts go with them, so finalize can copy a large part without reading it.
    deps.objects.write(job.source.bucket, jobKeys.chunkResults(jobId, chunk.index, attempt), toJsonl(results.map(written)), {
      contentType: JSONL,
      metadata: countedPartMetadata(results.length),
    }),
    deps.objects.write(job.source.bucket, jobKeys.chunkErrors(jobId, chunk.index, attempt), toJsonl(errors.map(written)), {
      contentType: JSONL,
      metadata: countedPartMetadata(errors.length),
    }),
  ]);
  const counts: ChunkCounts = {
    completed: results.length,
    failed: errors.length,
    promptTokens: outputs.reduce((sum, output) => sum + output.promptTokens, 0),
    completionTokens: outputs.reduce((sum, output) => sum + output.completionTokens, 0),
    errorCodes: countErrorCodes(errors.map((output) => failureOfLine(output.line)?.code ?? 'unknown')),
  };
  const reasoningTokens = outputs.reduce((sum, output) => sum + (output.reasoningTokens ?? 0), 0);
  const cachedTokens = outputs.reduce((sum, output) => sum + (output.cachedTokens ?? 0), 0);
  if (reasoningTokens > 0) counts.reasoningTokens = reasoningTokens;
  if (cachedTokens > 0) counts.cachedTokens = cachedTokens;
  const routeUsage = mergeRouteUsage(...outputs.map((output) => output.routeUsage));
  if (routeUsage.length > 0) counts.routeUsage = routeUsage;
  const { applied, job: after } = await deps.jobs.recordChunkDone(jobId, chunk.index, attempt, counts, new Date(deps.now()), failure);
  if (!applied) {
    // Lost the race to another delivery (its parts count; ours are orphans), or the job moved on.
    const recorded = (await deps.jobs.chunkAttempts(jobId)).has(chunk.index);
    logger.info('chunk recorded by another delivery', { jobId, chunk: chunk.index, attempt, recorded, status: after.status });
    return { status: recorded ? 'already_done' : 'skipped' };
  }
  logger.info('chunk done', {
    jobId,
    chunk: chunk.index,
    attempt,
    // From the chunk's start here: the benchmark places each chunk on the job's timeline with it.
    durationMs: deps.now() - started,
    ...counts,
    chunksDone: after.chunksDone,
    chunksTotal: after.chunksTotal,
  });
  await addUsage(deps, after.tenantId, outputs);
  observe(() =>
    (deps.observer ?? jobTelemetry).onChunkDone?.({
      jobId,
      tenantId: after.tenantId,
      lines: outputs.length,
      durationMs: deps.now() - started,
      backlogLines: Math.max(0, after.requestCounts.total - after.requestCounts.completed - after.requestCounts.failed),
      backlogChunks: Math.max(0, after.chunksTotal - after.chunksDone),
    }),
  );
  await askFinalizeIfLast(deps, after);
  return { status: 'done', counts };
}

/**
 * Asks for the job's finalize when all its chunks are recorded. Finalize is idempotent,
 * so asking again on a redelivery is harmless, and it covers a delivery that recorded
 * the last chunk but died before the ask reached the queue.
 */
async function askFinalizeIfLast(deps: RunChunkDeps, job: Job): Promise<void> {
  if (job.chunksTotal === 0 || job.chunksDone < job.chunksTotal || job.outputFileId) return;
  await deps.finalize.send([{ kind: 'finalize', tenantId: job.tenantId, jobId: job.id }]);
}
