import { basename } from 'node:path';
import { randomId } from '../../domain/outputLines';
import type { Outcome } from '../../batchingCore/types';
import type { InferenceOutput } from '../../domain/inference';
import { toChatResult } from '../../providers/openai/openAiResponses';
import { logger } from '../../observability/logger';
import { isUnfinished } from '../../realtime/outcomeErrors';
import type { ChunkMessage, Job, JobStatus } from '../job/Job';
import { JsonlLineReader } from '../lines/JsonlLineReader';
import { parseBatchLine } from '../lines/lineFormats';
import { chunkRequestLines, lineContextOf, parseChunkLine } from '../run/chunkLines';
import { lineOutput, planLine, type LineOutput, type LinePlan, type RunnableLine } from '../run/lineRequests';
import { recordChunkOutputs } from '../run/runChunk';
import { assignedRecordId } from '../lines/bedrockOutput';
import { onDemand, trySubmit } from './submitBatchChunk';
import { BEDROCK_TERMINAL, type BatchInferenceJobInfo, type BatchInferenceRecord } from './ports';
import type { BatchInferenceDeps } from './types';

/** The backend id a batch answer is credited to in the core's outcome shape. */
const BATCH_BACKEND = 'bedrock-batch';

/** Bedrock record error codes worth one more try on demand: throttling, timeouts, server errors. */
const RETRYABLE_RECORD_ERRORS = (code: number) => code === 408 || code === 429 || code >= 500;

/** Why lines Bedrock did not answer are not run on demand. */
const NOT_RUN: Partial<Record<JobStatus, { code: string; message: string }>> = {
  cancelling: { code: 'batch_cancelled', message: 'This request was not run because the batch was cancelled.' },
  expired: { code: 'batch_expired', message: 'This request was not run because the batch expired.' },
};

/** What one look at a Bedrock batch chunk did. */
export type CompleteOutcome = 'running' | 'recorded' | 'already_settled' | 'sent_on_demand' | 'retry_later';

/**
 * Handles a Bedrock batch chunk whose Bedrock job may have ended (its state-change event,
 * or the sweep). Still running: nothing. Ended: reads `<input>.jsonl.out` (and the
 * manifest for the logs), maps every record back to its line by `recordId`, and records
 * the chunk done with one results and one errors part in the job's own output format:
 *
 * - a record with `modelOutput`: a result line, its tokens counted;
 * - a record with a retryable `error` (429, 408, 5xx): run once on demand; another error:
 *   an error line with Bedrock's code (`bedrock_batch_error`, status = `errorCode`);
 * - a line with no record (the job failed, expired or was stopped before reaching it): run
 *   on demand while the job is in_progress; a cancelled or expired job's become
 *   `batch_cancelled` / `batch_expired` error lines;
 * - a job that ended with no output at all (failed, expired, stopped before its first
 *   record): the chunk goes back to the work queue to run on demand, as any chunk (it is
 *   recorded there, spread over the workers).
 *
 * The chunk is recorded once (the job store's conditional write), so an event and the
 * sweep racing, or a redelivered event, count nothing twice. Then the slot is freed and
 * the model's next waiting chunk of the job is submitted.
 */
export async function completeBatchChunk(
  deps: BatchInferenceDeps,
  record: BatchInferenceRecord,
  info: BatchInferenceJobInfo,
  options: { deadline: number },
): Promise<CompleteOutcome> {
  if (record.state === 'done' || record.state === 'on_demand') {
    // A look that settled it may have died before freeing its slot; freeing again is harmless, a leaked slot is not.
    await freeSlot(deps, record);
    return 'already_settled';
  }
  if (!BEDROCK_TERMINAL.includes(info.status)) {
    if (info.status !== record.bedrockStatus) await deps.batchJobs.noteStatus(record.jobId, record.chunkIndex, info.status);
    return 'running';
  }
  const job = await deps.jobs.get(record.jobId);
  const plan = job ? (await deps.jobs.chunkPlan(job.id)).find((chunk) => chunk.index === record.chunkIndex) : undefined;
  if (!job || !plan || (await deps.jobs.chunkAttempts(job.id)).has(record.chunkIndex)) {
    // Recorded by a look that stopped before settling: the usage is Bedrock's, read again.
    await settle(deps, record, { state: 'done', bedrockStatus: info.status, usage: usageOf(await readOutput(deps, record, info)) });
    return 'already_settled';
  }
  const message: ChunkMessage = {
    kind: 'chunk',
    tenantId: job.tenantId,
    jobId: job.id,
    chunk: plan,
    source: chunkSource(job),
  };
  const answers = await readOutput(deps, record, info);
  if (answers.size === 0 && job.status === 'in_progress') {
    // Claimed before it is sent: the state-change events and the sweep all see the ended job,
    // and each would run the whole chunk on demand once more (the chunk is recorded once, but
    // every run calls the backends). A look that dies between the two leaves the chunk
    // unrecorded, and the stall sweep sends it again (a worker runs an `on_demand` chunk on demand).
    if (
      !(await deps.batchJobs.settle(
        record.jobId,
        record.chunkIndex,
        { state: 'on_demand', bedrockStatus: info.status },
        new Date(deps.now()),
      ))
    ) {
      await freeSlot(deps, record);
      return 'already_settled';
    }
    logger.warn('Bedrock batch inference job ended without output; its chunk runs on demand', {
      jobId: job.id,
      chunk: record.chunkIndex,
      status: info.status,
      reason: info.message,
    });
    await deps.chunks.send([onDemand(message)]);
    await freeSlot(deps, record);
    return 'sent_on_demand';
  }
  const outputs = await mapRecords(deps, message, job, answers, { ...options, bedrockModel: record.bedrockModel });
  if (outputs === 'retry_later') return 'retry_later';
  const usage = usageOf(answers);
  await recordChunkOutputs(deps, message, job, { outputs: outputs.all }, deps.now());
  // Whichever look's record won the chunk, the Bedrock usage is the same: it comes from Bedrock's output alone.
  await settle(deps, record, { state: 'done', bedrockStatus: info.status, usage });
  logger.info('Bedrock batch chunk recorded', {
    jobId: job.id,
    chunk: record.chunkIndex,
    status: info.status,
    fromBatch: outputs.fromBatch.length,
    retried: outputs.retried,
    ...usage,
  });
  return 'recorded';
}

/** Settles the chunk's record, frees its slot, and submits the job's next waiting chunk of that model. */
async function settle(
  deps: BatchInferenceDeps,
  record: BatchInferenceRecord,
  outcome: Parameters<BatchInferenceDeps['batchJobs']['settle']>[2],
): Promise<void> {
  await deps.batchJobs.settle(record.jobId, record.chunkIndex, outcome, new Date(deps.now()));
  await freeSlot(deps, record);
}

/** Frees the chunk's slot, and submits the job's next waiting chunk of that model. */
async function freeSlot(deps: BatchInferenceDeps, record: BatchInferenceRecord): Promise<void> {
  await deps.batchJobs.releaseSlot(record.bedrockModel, record.jobName);
  const job = await deps.jobs.get(record.jobId);
  // A paused job (its tenant over budget) submits nothing new until it resumes.
  if (job?.status !== 'in_progress' || job.pausedAt !== undefined) return;
  for (const waiting of await deps.batchJobs.listForJob(record.jobId)) {
    if (waiting.state !== 'waiting' || waiting.bedrockModel !== record.bedrockModel) continue;
    if ((await trySubmit(deps, waiting)) === 'waiting') break;
  }
}

/** The tokens of the records Bedrock answered (their `usage`, as each result line counts them). */
function usageOf(answers: Map<string, BedrockAnswer>): { inputTokens: number; outputTokens: number } {
  const usage = { inputTokens: 0, outputTokens: 0 };
  for (const answer of answers.values()) {
    if (!('modelOutput' in answer)) continue;
    try {
      const result = toChatResult(answer.modelOutput, undefined);
      usage.inputTokens += result.usage.promptTokens;
      usage.outputTokens += result.usage.completionTokens;
    } catch {
      // An answer that cannot be read is an error line, and counts no tokens.
    }
  }
  return usage;
}

type BedrockAnswer = { modelOutput: unknown } | { error: { errorCode: number; errorMessage: string } };

/** The records of the job's output file by recordId; none when Bedrock wrote no output. */
async function readOutput(
  deps: BatchInferenceDeps,
  record: BatchInferenceRecord,
  info: BatchInferenceJobInfo,
): Promise<Map<string, BedrockAnswer>> {
  const folder = `${record.outputPrefix}${info.jobArn.split('/').pop()}/`;
  const key = `${folder}${basename(record.inputKey)}.out`;
  const answers = new Map<string, BedrockAnswer>();
  if (!(await deps.objects.head(record.bucket, key))) return answers;
  const reader = new JsonlLineReader(await deps.objects.read(record.bucket, key), { maxLineBytes: 64 * 1024 * 1024 });
  for await (const line of reader) {
    if (line.tooLong || line.blank) continue;
    try {
      const parsed = JSON.parse(line.text) as { recordId?: string } & Partial<BedrockAnswer>;
      if (typeof parsed.recordId !== 'string') continue;
      if ('error' in parsed && parsed.error) answers.set(parsed.recordId, { error: parsed.error });
      else if ('modelOutput' in parsed) answers.set(parsed.recordId, { modelOutput: parsed.modelOutput });
    } catch {
      logger.warn('an unreadable record in a Bedrock output file is ignored (its line runs on demand)', { key, line: line.lineNumber });
    }
  }
  const manifest = await deps.objects.head(record.bucket, `${folder}manifest.json.out`);
  if (manifest) logger.info('Bedrock batch output read', { jobId: record.jobId, chunk: record.chunkIndex, records: answers.size });
  return answers;
}

/**
 * Every request line of the chunk as an output line: Bedrock's answer, or an on-demand
 * run of it (once), or an error line. `retry_later` when the on-demand runs did not all
 * finish before the deadline (nothing is written; the sweep comes back).
 */
async function mapRecords(
  deps: BatchInferenceDeps,
  message: ChunkMessage,
  job: Job,
  answers: Map<string, BedrockAnswer>,
  options: { deadline: number; bedrockModel: string },
): Promise<{ all: LineOutput[]; fromBatch: LineOutput[]; retried: number } | 'retry_later'> {
  const context = lineContextOf(message, job, deps.router);
  const lineOptions = { jobId: job.id, newId: deps.newId ?? randomId, created: Math.floor(deps.now() / 1000) };
  const notRun = NOT_RUN[job.status];
  const slots: (LineOutput | RunnableLine)[] = [];
  const fromBatch: LineOutput[] = [];
  for await (const line of chunkRequestLines(deps.objects, message, deps.maxLineBytes)) {
    const plan: LinePlan = planLine(parseChunkLine(deps.parseLine ?? parseBatchLine, deps.maxLineBytes, line, context), deps.router);
    if (plan.kind === 'refused') {
      slots.push(lineOutput(plan, [], lineOptions));
      continue;
    }
    const answer = answers.get(assignedRecordId(plan.lineNumber));
    if (answer && 'modelOutput' in answer) {
      const output = answeredLine(plan, answer.modelOutput, options.bedrockModel, lineOptions);
      if (output.ok) fromBatch.push(output);
      slots.push(output);
    } else if (answer && !RETRYABLE_RECORD_ERRORS(answer.error.errorCode)) {
      const { errorCode, errorMessage } = answer.error;
      const failure = { code: 'bedrock_batch_error', message: `Bedrock batch inference: ${errorMessage}`, status: errorCode };
      slots.push(
        lineOutput({ kind: 'refused', lineNumber: plan.lineNumber, customId: plan.customId, ...failure, echo: plan.echo }, [], lineOptions),
      );
    } else if (notRun) {
      slots.push(
        lineOutput({ kind: 'refused', lineNumber: plan.lineNumber, customId: plan.customId, ...notRun, echo: plan.echo }, [], lineOptions),
      );
    } else {
      slots.push(plan);
    }
  }
  const retry = slots.filter((slot): slot is RunnableLine => 'kind' in slot && slot.kind === 'runnable');
  const items = retry.flatMap((plan) => plan.items);
  const outcomes = items.length > 0 ? await deps.core.run(items, { deadline: options.deadline }) : [];
  if (outcomes.some(isUnfinished)) return 'retry_later';
  const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
  const all = slots.map((slot) =>
    'kind' in slot && slot.kind === 'runnable'
      ? lineOutput(
          slot,
          slot.items.map((item) => byId.get(item.id)!),
          lineOptions,
        )
      : (slot as LineOutput),
  );
  return { all, fromBatch, retried: retry.length };
}

/**
 * A line Bedrock answered: its `modelOutput` (gpt-oss answers in OpenAI's chat shape) as
 * the line's chat body, its tokens counted on the `bedrock-batch` route (the job's cost).
 */
function answeredLine(
  plan: RunnableLine,
  modelOutput: unknown,
  bedrockModel: string,
  options: Parameters<typeof lineOutput>[2],
): LineOutput {
  try {
    const result = toChatResult(modelOutput, plan.model.id);
    const outcome: Outcome<InferenceOutput> = {
      status: 'succeeded',
      id: plan.items[0]!.id,
      value: { kind: 'chat', result },
      usage: result.usage,
      attempts: 1,
      backendId: BATCH_BACKEND,
    };
    const { promptTokens: inputTokens, completionTokens: outputTokens } = result.usage;
    return {
      ...lineOutput(plan, [outcome], options),
      routeUsage: [{ route: 'bedrock-batch', model: bedrockModel, requests: 1, inputTokens, outputTokens }],
    };
  } catch (error) {
    const message = `Bedrock batch inference answered in a shape that could not be read: ${(error as Error).message}`;
    return lineOutput(
      {
        kind: 'refused',
        lineNumber: plan.lineNumber,
        customId: plan.customId,
        code: 'bedrock_batch_error',
        message,
        status: 502,
        echo: plan.echo,
      },
      [],
      options,
    );
  }
}

function chunkSource(job: Job): ChunkMessage['source'] {
  const { bucket, key, etag, format, model } = job.source;
  return { bucket, key, ...(etag ? { etag } : {}), ...(format ? { format } : {}), ...(model ? { model } : {}) };
}
