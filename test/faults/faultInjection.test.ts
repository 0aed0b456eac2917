import OpenAI from 'openai';
import { BedrockClient, ListModelInvocationJobsCommand, type ModelInvocationJobSummary } from '@aws-sdk/client-bedrock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '../../shared/devTools/gpuSimulator/faults';
import { dropFile, localS3Client, parseJsonl, readObject } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { Collector, createQueue, depthOf, drainQueue, localSqsClient, sendPaced, type Received } from './queueTraffic';
import { failureOfLine } from '../../shared/domain/outputLines';
import { DynamoDbJobStore } from '../../shared/adapters/aws/DynamoDbJobStore';
import { DynamoDbBatchInferenceStore } from '../../shared/adapters/aws/DynamoDbBatchInferenceStore';
import { batchInferenceUsage } from '../../shared/batchJobs/batchInference/batchInferenceUsage';
import { priceUsage } from '../../shared/domain/cost';
import { DEFAULT_PRICE_TABLE } from '../../shared/domain/pricing';

/**
 * The fault suite (`npm run test:faults`, seed from FAULT_SEED): a batch job of 10,000
 * lines and 2,000 queue requests run over one local platform while
 *
 * - the simulator answers 20% of calls with a 500, a 429 or slowly (split seeded),
 * - its OpenAI face goes down for a few seconds mid-run (500s), then hangs for a few more
 *   (accepts every call and never answers), and comes back (gpt-oss falls back to
 *   the Bedrock face; bge-m3 has nowhere else to go); real-time HTTP calls made during the
 *   hang get 200 (fallback), 503 or 504 in the OpenAI shape, never a 500; a worker's call
 *   held by the hang costs its chunk the invocation's remaining time, not its lines,
 * - SQS delivers 5% of messages a second time (shared/devTools/localPlatform/faultInjection.ts),
 * - invocations of the worker and of the requests consumer crash midway, as Lambdas that
 *   time out: the response is lost, the handler's side effects may land, the messages
 *   come back after the (short) visibility timeout,
 * - a few chunk messages go to the work queue's DLQ unprocessed; the stall sweep (run every
 *   2 s here, a job stalled after 20 s) sends their chunks again,
 * - a few request messages go to the requests queue's DLQ unprocessed; its consumer
 *   (requestsDeadLetters) answers each with `dead_lettered`, unless a delivery answered it.
 *
 * Then it checks, exactly: every input line in exactly one of results and errors, every
 * queue request answered exactly once, the job's counters equal to the files' line counts,
 * no message unaccounted for in a dead-letter queue; and prints the counts, and how long
 * after the backend came back the job completed ("recovery").
 *
 * A second run, over the same platform and faults, replaces one input and deletes another
 * while their jobs run: each job still ends (failed with file_changed / file_not_found, or
 * completed if it finished first), with every input line exactly once in its files, and
 * the new upload runs as a job of its own on its own lines only.
 *
 * A third runs two jobs whose gpt-oss-120b share goes through Bedrock batch inference
 * (the simulator's control plane), under the same faults: the first one's Bedrock job
 * fails as a whole (its lines go back on demand), the second one's Bedrock job completes
 * with some records failed (run again on demand) and no terminal state-change event (the
 * batch sweep, every 2 s here, finds it with GetModelInvocationJob). Every line exactly
 * once, one Bedrock job per batch chunk, and the usage and cost counted once: the job's
 * usage equals its result lines', its usage by route adds up to it, the `bedrock-batch`
 * route holds exactly what Bedrock's manifest says it answered, priced as such.
 *
 * A fourth stops the local platform mid-job and starts it again on the same data folder
 * (the table and the bucket are kept, the queues are not): the stall sweep sends the lost
 * chunks again and the job completes, every line exactly once.
 *
 * The batch route is on for the suite (BEDROCK_BATCH_ROUTE=on); the other runs' files opt
 * out (`x-amz-meta-bedrock-batch: off`), so their chat lines run on demand as they were
 * designed to (the outage's fallback), and a restart never forgets a Bedrock job (the
 * simulator keeps its jobs in memory: a real Bedrock would not lose them).
 */

const SEED = Number(process.env.FAULT_SEED || '1');
if (!Number.isInteger(SEED)) throw new Error(`FAULT_SEED=${process.env.FAULT_SEED} is not an integer`);
const JOB_LINES = 10_000;
const SENDERS = ['billing', 'search', 'support', 'reports'];
const REQUESTS_PER_SENDER = 500;
const VISIBILITY_TIMEOUT_SECONDS = 5;
/** The ingest queue's: longer than an ingest of the job's file takes, even under load. */
const INGEST_VISIBILITY_TIMEOUT_SECONDS = 30;
const DUPLICATE_RATE = 0.05;
/**
 * Share of invocations that crash midway, per function. The worker takes four chunks per
 * invocation and has only a dozen or so, and five receives before its DLQ; the requests
 * consumer has a few dozen invocations of up to 100 messages and three receives, and a
 * crash on a message's last receive sends it to the DLQ, where its consumer answers it
 * `dead_lettered` unless the crashed run's answer went out (its idempotency record completed).
 */
const CRASH_RATES = { worker: 0.4, requests: 0.12 };
const SIMULATOR_FAULT_SHARE = 0.2;
const SLOW_MS = 500;
const OUTAGE_MS = 5_000;
/** The OpenAI face hangs (answers nothing) this long, right after the outage. */
const HANG_MS = 5_000;
/** Share of chunk messages sent to the work queue's DLQ unprocessed (at least one every 2 / rate). */
const DEAD_LETTER_RATE = 0.05;
/** Share of request messages sent to the requests queue's DLQ unprocessed (at least one every 2 / rate). */
const REQUEST_DEAD_LETTER_RATE = 0.01;
/** The code a request answered by the requests DLQ's consumer carries. */
const DEAD_LETTERED = 'dead_lettered';
/** The stall sweep: its period and how long a job may make no progress (short, for the suite). */
const SWEEP_INTERVAL_MS = 2_000;
const STALLED_AFTER_SECONDS = 20;
/** Real-time calls made while the backend hangs: chat (falls back to Bedrock) and embeddings (GPU only). */
const HUNG_CALLS = 4;
/** Codes a real-time call may fail with while the backend hangs. */
const HUNG_ERROR_CODES = ['backend_timeout', 'deadline_exceeded'];
/** Lines of the job interrupted by a restart of the platform. */
const RESTART_LINES = 1_000;
/** Pause between a sender's SendMessageBatch calls: the requests keep coming while faults happen. */
const SEND_PAUSE_MS = 250;
/** Every queue of the platform empty and no answer arriving for this long: the run is over. */
const QUIET_MS = (2 * VISIBILITY_TIMEOUT_SECONDS + 4) * 1_000;

/** Lines of each job of the Bedrock batch run: 2/3 gpt-oss-120b chat (the batch route's share), the rest on demand. */
const BATCH_ROUTE_LINES = 600;
/** Share of the second Bedrock job's records Bedrock fails with a 500 (retried on demand once). */
const FAILED_RECORD_RATE = 0.05;
/** Every terminal status of a Bedrock batch inference job: their events are dropped for the second job. */
const BEDROCK_ENDED = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'];
/** Metadata of a dropped file whose chat lines must all run on demand (the batch route's opt-out). */
const ON_DEMAND_ONLY = { 'bedrock-batch': 'off' };

const PLATFORM_LOG = join(tmpdir(), `inference-platform-faults-seed-${SEED}.log`);

/** Codes a line or an answer may fail with when the backends fail past the retries. */
const BACKEND_ERROR_CODES = [
  'backend_unavailable',
  'all_backends_unavailable',
  'rate_limit_exceeded',
  'backend_timeout',
  'deadline_exceeded',
];
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];

/** Fractions of simulator calls answered 500, 429 and slowly: 20% in all, split by the seed. */
function simulatorFaultSplit(seed: number): { error: number; throttle: number; slow: number } {
  const random = mulberry32(seed);
  const weights = [0.5 + random(), 0.5 + random(), 0.5 + random()];
  const sum = weights.reduce((a, b) => a + b, 0);
  const [error, throttle, slow] = weights.map((weight) => (SIMULATOR_FAULT_SHARE * weight) / sum) as [number, number, number];
  return { error, throttle, slow };
}

/** The simulator draws error, then throttle, then slow: conditional rates that give `split` of all calls. */
function faceFaults(split: { error: number; throttle: number; slow: number }) {
  return {
    errorRate: split.error,
    throttleRate: split.throttle / (1 - split.error),
    slowRate: split.slow / (1 - split.error - split.throttle),
    slowMs: SLOW_MS,
    // Each 429 halves the core's concurrency for the backend already; a Retry-After pause
    // of a whole second on top, on 7% of calls, would hold it still most of the run.
    retryAfterSeconds: 0,
  };
}

/**
 * A batch file of `lines` requests in the OpenAI batch format, mixed like the queue
 * requests: one in five a chat completion (one backend call each, by the API's design),
 * the others bge-m3 embeddings of one to three inputs (batched across lines).
 */
function jobFile(lines: number): { text: string; customIds: string[] } {
  const customIds: string[] = [];
  const out: string[] = [];
  for (let n = 1; n <= lines; n++) {
    const customId = `line-${n}`;
    customIds.push(customId);
    out.push(
      JSON.stringify(
        n % 5 === 0
          ? {
              custom_id: customId,
              method: 'POST',
              url: '/v1/chat/completions',
              body: {
                model: n % 10 === 0 ? 'gpt-oss-20b' : 'gpt-oss-120b',
                messages: [{ role: 'user', content: `Question ${n}?` }],
                max_tokens: 16,
              },
            }
          : {
              custom_id: customId,
              method: 'POST',
              url: '/v1/embeddings',
              body: { model: 'bge-m3', input: Array.from({ length: 1 + (n % 3) }, (_, k) => `line ${n} passage ${k}`) },
            },
      ),
    );
  }
  return { text: `${out.join('\n')}\n`, customIds };
}

/**
 * A batch file for the Bedrock batch route: every line not a multiple of 3 a gpt-oss-120b
 * chat (400 of 600: the batch route's share, one Bedrock job), every 30th a gpt-oss-20b chat
 * (20: below the route's minimum, on demand), the other multiples of 3 bge-m3 embeddings
 * (on demand, GPU). custom_ids `<prefix>-<n>`.
 */
function batchRouteFile(prefix: string, lines: number): { text: string; customIds: string[]; batchLines: number } {
  const customIds: string[] = [];
  const out: string[] = [];
  let batchLines = 0;
  for (let n = 1; n <= lines; n++) {
    const customId = `${prefix}-${n}`;
    customIds.push(customId);
    const chatModel = n % 30 === 0 ? 'gpt-oss-20b' : n % 3 !== 0 ? 'gpt-oss-120b' : undefined;
    if (chatModel === 'gpt-oss-120b') batchLines++;
    out.push(
      JSON.stringify(
        chatModel
          ? {
              custom_id: customId,
              method: 'POST',
              url: '/v1/chat/completions',
              body: { model: chatModel, messages: [{ role: 'user', content: `${prefix} question ${n}?` }], max_tokens: 16 },
            }
          : {
              custom_id: customId,
              method: 'POST',
              url: '/v1/embeddings',
              body: { model: 'bge-m3', input: Array.from({ length: 1 + (n % 2) }, (_, k) => `${prefix} ${n} passage ${k}`) },
            },
      ),
    );
  }
  return { text: `${out.join('\n')}\n`, customIds, batchLines };
}

/** Request `i` of `sender`: one in five a chat completion, the others bge-m3 embeddings of one to three inputs. */
function queueRequest(sender: string, i: number, replyTo: string): SendMessageBatchRequestEntry {
  const customId = `${sender}-${i}`;
  const chat = i % 5 === 0;
  const body = chat
    ? {
        model: i % 10 === 0 ? 'gpt-oss-20b' : 'gpt-oss-120b',
        messages: [{ role: 'user', content: `Request ${customId}: say something.` }],
        max_tokens: 16,
      }
    : { model: 'bge-m3', input: Array.from({ length: 1 + (i % 3) }, (_, k) => `${customId} passage ${k}`) };
  return {
    Id: '0',
    MessageBody: JSON.stringify({ custom_id: customId, url: chat ? '/v1/chat/completions' : '/v1/embeddings', body, reply_to: replyTo }),
    MessageAttributes: { correlation_id: { DataType: 'String', StringValue: `corr-${customId}` } },
  };
}

interface SimStats {
  requests: number;
  faces: Record<
    'openai' | 'bedrock',
    { requests: number; injectedErrors: number; injectedThrottles: number; slowed: number; hung: number }
  >;
}
const simStats = async (simulator: string) => (await (await fetch(`${simulator}/_sim/stats`)).json()) as SimStats;
const setSim = async (simulator: string, patch: unknown) => {
  const response = await fetch(`${simulator}/_sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (!response.ok) throw new Error(`simulator config refused: ${response.status} ${await response.text()}`);
};
/**
 * Real-time calls made while the OpenAI face hangs: `HUNG_CALLS` chats on gpt-oss-20b (the
 * GPU pool gets a share of the time left, then Bedrock answers) and as many bge-m3
 * embeddings (GPU only: 504 deadline_exceeded or 503 backend_timeout, or 503 for a circuit
 * the hang opened). Each answer's status and error code.
 */
async function callsWhileHung(api: string, apiKey: string): Promise<Array<{ route: string; status: number; code: string | null }>> {
  const call = async (route: string, body: unknown) => {
    const response = await fetch(`${api}/v1/${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
    return { route, status: response.status, code: json.error?.code ?? null };
  };
  return Promise.all(
    Array.from({ length: HUNG_CALLS }, (_, i) => [
      call('chat/completions', { model: 'gpt-oss-20b', messages: [{ role: 'user', content: `hung ${i}?` }], max_tokens: 16 }),
      call('embeddings', { model: 'bge-m3', input: [`hung ${i}`] }),
    ]).flat(),
  );
}

const sumFaces = (stats: SimStats, field: 'requests' | 'injectedErrors' | 'injectedThrottles' | 'slowed') =>
  stats.faces.openai[field] + stats.faces.bedrock[field];

/** How many times each value occurs. */
function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
const over = (counts: Map<string, number>, n: number) => [...counts].filter(([, count]) => count > n).map(([value]) => value);

/** The `[fault] …` lines the local runtime printed, as key=value records. */
function injectedFaults(output: string): Array<Record<string, string>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('[fault] '))
    .map((line) => {
      const [, kind, ...pairs] = line.split(' ');
      return { kind: kind!, ...Object.fromEntries(pairs.map((pair) => pair.split('=') as [string, string])) };
    });
}

describe(`fault injection (seed ${SEED})`, () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;
  let s3: S3Client;
  let sqs: SQSClient;
  /** The table and the bucket, kept across the restart of the third test. */
  const dataDir = mkdtempSync(join(tmpdir(), `inference-platform-faults-${SEED}-`));
  /** What platforms stopped before the current one printed. */
  const earlierOutput: string[] = [];
  const environment: NodeJS.ProcessEnv = {
    CHUNK_MAX_LINES: '250',
    LOCAL_SQS_CONCURRENCY: '3',
    LOCAL_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_TIMEOUT_SECONDS),
    // Not the ingest queue: on a loaded machine, ingest of the 10,000-line file outlasts 5 s,
    // so the message was handed out again and again while the first run still worked, and
    // its fourth receive sent it to the ingest DLQ though its job completed. Deployed, the
    // queue hides a message 6x the function's timeout (5,400 s), so that cannot happen.
    LOCAL_QUEUE_VISIBILITY_TIMEOUTS: `IngestQueue:${INGEST_VISIBILITY_TIMEOUT_SECONDS}`,
    LOCAL_FAULT_SEED: String(SEED),
    LOCAL_SQS_DUPLICATE_RATE: String(DUPLICATE_RATE),
    LOCAL_CRASH_FUNCTIONS: Object.entries(CRASH_RATES)
      .map(([key, rate]) => `${key}:${rate}`)
      .join(','),
    LOCAL_DEAD_LETTER_FUNCTIONS: `worker:${DEAD_LETTER_RATE},requests:${REQUEST_DEAD_LETTER_RATE}`,
    // A hung backend costs an invocation its remaining time: a minute here, not 15 minutes.
    // The authorizer's 3 s is no margin on a machine shared with other suites: a timeout there
    // is API Gateway's 500, which would fail the suite's own polling.
    LOCAL_FUNCTION_TIMEOUTS: 'worker:60,chatCompletions:16,embeddings:6,authorizer:10',
    LOCAL_SCHEDULE_INTERVAL_MS: String(SWEEP_INTERVAL_MS),
    STALLED_AFTER_SECONDS: String(STALLED_AFTER_SECONDS),
    // Redrives are harmless (a chunk recorded is skipped); abandoning lines would not be.
    STALLED_MAX_REDRIVES: '20',
    LOCAL_DATA_DIR: dataDir,
    // The Bedrock batch route (off locally by default); its sweep runs on the schedule above.
    BEDROCK_BATCH_ROUTE: 'on',
    // The handlers' info lines would only fill the captured output.
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  const connect = async () => {
    platform = await startLocalPlatformProcess(environment);
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 4 });
    s3 = localS3Client(platform.s3);
    sqs = localSqsClient(platform.sqs);
  };
  const disconnect = async () => {
    sqs?.destroy();
    s3?.destroy();
    await platform?.stop();
    if (platform) earlierOutput.push(platform.output());
  };
  /** Everything the platforms printed so far. */
  const allOutput = () => [...earlierOutput, platform?.output() ?? ''].join('\n');

  beforeAll(connect, 90_000);

  afterAll(async () => {
    await disconnect();
    // What the platform printed, for a failure to be read after the fact.
    writeFileSync(PLATFORM_LOG, earlierOutput.join('\n'));
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('loses nothing and counts nothing twice: 10,000 job lines and 2,000 queue requests under faults', async () => {
    // Prepare: the simulator's faults, the reply queues, the file and the requests.
    const split = simulatorFaultSplit(SEED);
    const baseFaults = faceFaults(split);
    await setSim(platform.simulator, { seed: SEED, dimensions: 16, openai: baseFaults, bedrock: baseFaults });
    const simBefore = await simStats(platform.simulator);
    const replyQueues: Record<string, string> = {};
    for (const sender of SENDERS) replyQueues[sender] = await createQueue(sqs, `inference-platform-local-reply-faults-${sender}`);
    const requests = SENDERS.flatMap((sender) =>
      Array.from({ length: REQUESTS_PER_SENDER }, (_, i) => queueRequest(sender, i, replyQueues[sender]!)),
    );
    const requestIds = requests.map((entry) => JSON.parse(entry.MessageBody!).custom_id as string);
    const { text, customIds } = jobFile(JOB_LINES);
    const key = `inbox/local/faults-seed-${SEED}.jsonl`;
    const answerQueues = [...Object.values(replyQueues), platform.queues.ResultsQueue!];
    // A request held by the hung backend is answered once its call times out (a minute): the collector outlasts that.
    const collector = new Collector(sqs, answerQueues, 330_000);
    const started = Date.now();

    let answers: Received[];
    let job: OpenAI.Batches.Batch;
    let outageErrors: number;
    let hungCalls: number;
    let realTime: Array<{ route: string; status: number; code: string | null }>;
    /** When the backend came back for good (the outage's end), and how long the job took after it. */
    let recoveredAt: number;
    let recoveryMs: number;
    try {
      // Act: drop the file, send the requests over ~15 s, and take the OpenAI face down mid-run.
      await dropFile(s3, platform.bucket, key, text, ON_DEMAND_ONLY);
      const sending = Promise.all(
        SENDERS.map((sender) =>
          sendPaced(
            sqs,
            platform.queues.RequestsQueue!,
            requests.filter((r) => JSON.parse(r.MessageBody!).custom_id.startsWith(`${sender}-`)),
            SEND_PAUSE_MS,
          ),
        ),
      );
      const jobId = (await waitFor(
        async () => (await client.batches.list({ limit: 100 })).data.find((b) => b.metadata?.source_key === key),
        (batch) => batch !== undefined,
        60_000,
        500,
      ))!.id;
      await waitFor(
        () => client.batches.retrieve(jobId),
        (b) => TERMINAL.includes(b.status) || (b.request_counts?.completed ?? 0) >= 1_000,
        90_000,
        250,
      );
      // The OpenAI face fails every call, then hangs (real-time calls meet it), then it is back.
      // In this order: a hang first would open the circuits and hide the outage from most calls.
      const outageBefore = await simStats(platform.simulator);
      await setSim(platform.simulator, { openai: { errorRate: 1 } });
      await sleep(OUTAGE_MS);
      await setSim(platform.simulator, { openai: { errorRate: baseFaults.errorRate, hangRate: 1 } });
      const calling = callsWhileHung(platform.api, platform.apiKey!);
      await sleep(HANG_MS);
      await setSim(platform.simulator, { openai: { hangRate: 0 } });
      recoveredAt = Date.now();
      const outageAfter = await simStats(platform.simulator);
      outageErrors = outageAfter.faces.openai.injectedErrors - outageBefore.faces.openai.injectedErrors;
      hungCalls = outageAfter.faces.openai.hung - outageBefore.faces.openai.hung;
      realTime = await calling;
      await sending;
      job = await waitFor(
        () => client.batches.retrieve(jobId),
        (b) => TERMINAL.includes(b.status),
        180_000,
        250,
      );
      recoveryMs = Date.now() - recoveredAt;
      // Then until every queue of the platform is empty and no answer has arrived for a while.
      const platformQueues = ['IngestQueue', 'WorkQueue', 'FinalizeQueue', 'RequestsQueue', 'RequestsDeadLetterQueue'].map(
        (id) => platform.queues[id]!,
      );
      let quietSince = Date.now();
      let lastCount = -1;
      for (let i = 0; i < 240 && Date.now() - quietSince < QUIET_MS; i++) {
        const depth = (await Promise.all(platformQueues.map((url) => depthOf(sqs, url)))).reduce((a, b) => a + b, 0);
        if (depth > 0 || collector.received.length !== lastCount || collector.received.length < requests.length) quietSince = Date.now();
        lastCount = collector.received.length;
        await sleep(500);
      }
      answers = await collector.stop();
    } finally {
      // On failure too: no receive may outlive the platform.
      await collector.stop().catch(() => undefined);
    }
    const elapsedMs = Date.now() - started;
    const simAfter = await simStats(platform.simulator);
    const deadLetters: Record<string, Received[]> = {};
    for (const [id, url] of Object.entries(platform.queues))
      if (id.endsWith('DeadLetterQueue')) deadLetters[id] = await drainQueue(sqs, url);

    // Assess: the job's files.
    const results = parseJsonl(await readObject(s3, platform.bucket, `outputs/${job.id}/results.jsonl`));
    const errors = parseJsonl(await readObject(s3, platform.bucket, `outputs/${job.id}/errors.jsonl`));
    const lineIds = tally([...results, ...errors].map((line) => String(line.custom_id)));
    const missingLines = customIds.filter((id) => !lineIds.has(id));
    const twiceLines = over(lineIds, 1);
    const inputIds = new Set(customIds);
    const strayLines = [...lineIds.keys()].filter((id) => !inputIds.has(id));
    const lineErrorCodes = tally(errors.map((line) => String(failureOfLine(line)?.code)));
    // The queue requests' answers.
    const onResultsQueue = answers.filter((answer) => answer.queueUrl === platform.queues.ResultsQueue);
    const answerIds = tally(answers.map((answer) => String(answer.body?.custom_id)));
    const missingAnswers = requestIds.filter((id) => !answerIds.has(id));
    const twiceAnswered = over(answerIds, 1);
    const failedAnswers = answers.filter((answer) => answer.body && failureOfLine(answer.body));
    const answerErrorCodes = tally(failedAnswers.map((answer) => String(failureOfLine(answer.body)?.code)));
    const misrouted = answers.filter((answer) => answer.queueUrl !== replyQueues[String(answer.body?.custom_id).split('-')[0]!]);
    // Dead letters: each must be a message whose work is done anyway.
    const unaccounted: Received[] = [];
    for (const [id, messages] of Object.entries(deadLetters)) {
      for (const dead of messages) {
        const accounted =
          id === 'RequestsDeadLetterQueue'
            ? answerIds.get(String(dead.body?.custom_id)) === 1
            : ['WorkDeadLetterQueue', 'FinalizeDeadLetterQueue', 'IngestDeadLetterQueue'].includes(id) &&
              job.status === 'completed' &&
              job.request_counts?.total === JOB_LINES;
        if (!accounted) unaccounted.push(dead);
      }
    }
    const deadCount = Object.values(deadLetters).reduce((sum, messages) => sum + messages.length, 0);
    // The faults that were injected.
    const output = allOutput();
    const faults = injectedFaults(output);
    const deadLetteredOf = (queue: 'work' | 'requests') =>
      faults
        .filter((f) => f.kind === 'dead-letter' && f.queue === `inference-platform-local-${queue}`)
        .reduce((sum, f) => sum + Number(f.messages), 0);
    const deadLettered = deadLetteredOf('work');
    const requestsDeadLettered = deadLetteredOf('requests');
    const answeredDeadLettered = answerErrorCodes.get(DEAD_LETTERED) ?? 0;
    const redrives = output.split('\n').filter((line) => line.includes('stalled job: its unfinished chunks are sent again')).length;
    const realTimeCodes = tally(realTime.map((call) => `${call.route} ${call.status}${call.code ? ` ${call.code}` : ''}`));
    const crashes = (fn: string) => faults.filter((f) => f.kind === 'crash' && f.function === fn);
    const duplicated = (how: 'concurrent' | 'later') =>
      faults.filter((f) => f.kind === 'duplicate').reduce((sum, f) => sum + Number(f[how]), 0);
    const simCalls = sumFaces(simAfter, 'requests') - sumFaces(simBefore, 'requests');
    const codes = (counts: Map<string, number>) => [...counts].map(([code, n]) => `${code} ${n}`).join(', ') || 'none';

    const rows: Array<[string, string | number]> = [
      ['job lines (input)', JOB_LINES],
      ['  results.jsonl lines', results.length],
      ['  errors.jsonl lines', `${errors.length} (${codes(lineErrorCodes)})`],
      ['  custom_ids missing / twice / unknown', `${missingLines.length} / ${twiceLines.length} / ${strayLines.length}`],
      [
        '  job status, counters total / completed / failed',
        `${job.status}, ${job.request_counts?.total} / ${job.request_counts?.completed} / ${job.request_counts?.failed}`,
      ],
      ['queue requests sent', requests.length],
      [
        '  answers received',
        `${answers.length} (${answers.length - failedAnswers.length} results, ${failedAnswers.length} errors: ${codes(answerErrorCodes)})`,
      ],
      ['  requests unanswered / answered twice / misrouted', `${missingAnswers.length} / ${twiceAnswered.length} / ${misrouted.length}`],
      [
        'dead-letter messages (unaccounted)',
        `${deadCount} (${unaccounted.length})${
          deadCount
            ? ': ' +
              Object.entries(deadLetters)
                .filter(([, m]) => m.length)
                .map(([id, m]) => `${id} ${m.length}`)
                .join(', ')
            : ''
        }`,
      ],
      ['simulator calls', simCalls],
      [
        '  500s / 429s / slow (injected)',
        `${sumFaces(simAfter, 'injectedErrors') - sumFaces(simBefore, 'injectedErrors')} / ${sumFaces(simAfter, 'injectedThrottles') - sumFaces(simBefore, 'injectedThrottles')} / ${sumFaces(simAfter, 'slowed') - sumFaces(simBefore, 'slowed')}`,
      ],
      [
        '  rates 500 / 429 / slow (of all calls)',
        `${(split.error * 100).toFixed(1)}% / ${(split.throttle * 100).toFixed(1)}% / ${(split.slow * 100).toFixed(1)}%`,
      ],
      [`  OpenAI face hung ${HANG_MS / 1000} s: calls held unanswered`, hungCalls],
      ['  real-time calls while hung', codes(realTimeCodes)],
      [`  OpenAI face down ${OUTAGE_MS / 1000} s: calls failed`, outageErrors],
      ['  recovery: job completed after the backend came back', `${(recoveryMs / 1000).toFixed(1)} s`],
      ['chunk messages sent to the DLQ unprocessed (injected)', deadLettered],
      ['  stall sweep redrives', redrives],
      [
        'request messages sent to the DLQ unprocessed (injected) / answered dead_lettered',
        `${requestsDeadLettered} / ${answeredDeadLettered}`,
      ],
      [
        'worker crashed midway (chunk messages)',
        `${crashes('worker').length} (${crashes('worker').reduce((sum, c) => sum + Number(c.messages), 0)})`,
      ],
      [
        'requests consumer crashed midway (messages)',
        `${crashes('requests').length} (${crashes('requests').reduce((sum, c) => sum + Number(c.messages), 0)})`,
      ],
      ['messages delivered twice: at once / later', `${duplicated('concurrent')} / ${duplicated('later')}`],
      ['run time', `${(elapsedMs / 1000).toFixed(0)} s (the platform's output: ${PLATFORM_LOG})`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(
      [
        `fault suite, seed ${SEED} (recovery: ${(recoveryMs / 1000).toFixed(1)} s)`,
        ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      ].join('\n'),
    );

    // Every input line in exactly one of the two files, and the counters equal to them.
    expect({ missingLines: missingLines.slice(0, 5), twiceLines: twiceLines.slice(0, 5), strayLines: strayLines.slice(0, 5) }).toEqual({
      missingLines: [],
      twiceLines: [],
      strayLines: [],
    });
    expect(results.length + errors.length).toBe(JOB_LINES);
    expect(job.status).toBe('completed');
    expect(job.request_counts).toEqual({ total: JOB_LINES, completed: results.length, failed: errors.length });
    expect(results.every((line) => line.response?.status_code === 200 && line.error === null)).toBe(true);
    for (const code of lineErrorCodes.keys()) expect(BACKEND_ERROR_CODES).toContain(code);
    // Every queue request answered exactly once, on its sender's queue.
    expect({
      missingAnswers: missingAnswers.slice(0, 5),
      twiceAnswered: twiceAnswered.slice(0, 5),
      misrouted: misrouted.length,
      onResultsQueue: onResultsQueue.length,
    }).toEqual({ missingAnswers: [], twiceAnswered: [], misrouted: 0, onResultsQueue: 0 });
    expect(answers).toHaveLength(requests.length);
    // A request that reached the requests DLQ unanswered is answered there, with dead_lettered.
    for (const code of answerErrorCodes.keys()) expect([...BACKEND_ERROR_CODES, DEAD_LETTERED]).toContain(code);
    // Nothing unaccounted for in a dead-letter queue.
    expect(unaccounted.map((dead) => dead.message.Body?.slice(0, 200))).toEqual([]);
    // The faults did happen (a run without them would prove nothing).
    expect(sumFaces(simAfter, 'injectedErrors') - sumFaces(simBefore, 'injectedErrors')).toBeGreaterThan(0);
    expect(sumFaces(simAfter, 'injectedThrottles') - sumFaces(simBefore, 'injectedThrottles')).toBeGreaterThan(0);
    expect(sumFaces(simAfter, 'slowed') - sumFaces(simBefore, 'slowed')).toBeGreaterThan(0);
    expect(outageErrors).toBeGreaterThan(0);
    expect(hungCalls).toBeGreaterThan(0);
    expect(deadLettered).toBeGreaterThan(0);
    expect(requestsDeadLettered).toBeGreaterThan(0);
    expect(answeredDeadLettered).toBeGreaterThan(0);
    // No redrive is needed when every message that went to the DLQ was a second delivery of a chunk
    // recorded anyway; the counts above (every line once, nothing unaccounted in a DLQ) are the proof.
    // The real-time path while the backend hangs: answered, fallen back, or refused in the OpenAI shape; never a 500.
    for (const call of realTime) {
      expect([200, 429, 503, 504]).toContain(call.status);
      if (call.status !== 200) expect([...HUNG_ERROR_CODES, ...BACKEND_ERROR_CODES]).toContain(call.code);
    }
    expect(crashes('worker').length).toBeGreaterThan(0);
    expect(crashes('requests').length).toBeGreaterThan(0);
    expect(duplicated('concurrent')).toBeGreaterThan(0);
    expect(duplicated('later')).toBeGreaterThan(0);
  }, 420_000);

  it('loses nothing and mixes nothing when an input is replaced or deleted mid-run; no job is left unfinished', async () => {
    // Prepare: two jobs of the same file, and the small file that replaces one of them.
    const LINES = 1_500;
    const { text, customIds } = jobFile(LINES);
    const replacedKey = `inbox/local/faults-replaced-seed-${SEED}.jsonl`;
    const deletedKey = `inbox/local/faults-deleted-seed-${SEED}.jsonl`;
    const newIds = Array.from({ length: 300 }, (_, i) => `new-${i + 1}`);
    const replacement =
      newIds
        .map((id) =>
          JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input: `${id} passage` } }),
        )
        .join('\n') + '\n';
    const jobOf = (key: string) =>
      waitFor(
        async () => (await client.batches.list({ limit: 100 })).data.filter((b) => b.metadata?.source_key === key),
        (batches) => batches.length > 0,
        60_000,
        200,
      );
    const started = Date.now();

    // Act: drop both, and once each job has results, replace one input and delete the other.
    await dropFile(s3, platform.bucket, replacedKey, text, ON_DEMAND_ONLY);
    await dropFile(s3, platform.bucket, deletedKey, text, ON_DEMAND_ONLY);
    const [replacedJob] = await jobOf(replacedKey);
    const [deletedJob] = await jobOf(deletedKey);
    const hasResults = (b: OpenAI.Batches.Batch) => TERMINAL.includes(b.status) || (b.request_counts?.completed ?? 0) > 0;
    await Promise.all([
      waitFor(() => client.batches.retrieve(replacedJob!.id), hasResults, 120_000, 100).then(() =>
        dropFile(s3, platform.bucket, replacedKey, replacement),
      ),
      waitFor(() => client.batches.retrieve(deletedJob!.id), hasResults, 120_000, 100).then(() =>
        s3.send(new DeleteObjectCommand({ Bucket: platform.bucket, Key: deletedKey })),
      ),
    ]);
    const ended = await Promise.all(
      [replacedJob!, deletedJob!].map((job) =>
        waitFor(
          () => client.batches.retrieve(job.id),
          (b) => TERMINAL.includes(b.status),
          180_000,
          500,
        ),
      ),
    );
    const newJob = (
      await waitFor(
        () => jobOf(replacedKey),
        (batches) => batches.length === 2,
        60_000,
        200,
      )
    ).find((b) => b.id !== replacedJob!.id)!;
    const newEnded = await waitFor(
      () => client.batches.retrieve(newJob.id),
      (b) => TERMINAL.includes(b.status),
      180_000,
      500,
    );
    const elapsedMs = Date.now() - started;

    // Assess: each job's files hold every one of its input lines exactly once, its counters match.
    const filesOf = async (job: OpenAI.Batches.Batch) => ({
      results: parseJsonl(await readObject(s3, platform.bucket, `outputs/${job.id}/results.jsonl`)),
      errors: parseJsonl(await readObject(s3, platform.bucket, `outputs/${job.id}/errors.jsonl`)),
    });
    const rows: string[] = [];
    for (const [job, code] of [
      [ended[0]!, 'file_changed'],
      [ended[1]!, 'file_not_found'],
    ] as const) {
      const { results, errors } = await filesOf(job);
      const ids = tally([...results, ...errors].map((line) => String(line.custom_id)));
      const lost = errors.filter((line) => failureOfLine(line)?.code === code).length;
      rows.push(
        `  ${code === 'file_changed' ? 'replaced' : 'deleted '} mid-run: ${job.status}${job.errors?.data?.[0] ? ` (${job.errors.data[0].code})` : ''}, ${results.length} results, ${errors.length} errors (${lost} ${code})`,
      );
      // A line whose chunk was lost has no custom_id to give back (the input is gone): it is named line-<n>, as the input's own ids are here.
      expect({
        missing: customIds.filter((id) => !ids.has(id)).length,
        twice: over(ids, 1).length,
        stray: [...ids.keys()].filter((id) => !id.startsWith('line-')).length,
      }).toEqual({ missing: 0, twice: 0, stray: 0 });
      expect(results.length + errors.length).toBe(LINES);
      expect(job.request_counts).toEqual({ total: LINES, completed: results.length, failed: errors.length });
      expect(['failed', 'completed']).toContain(job.status);
      // Failed exactly when lines were lost to the change, naming that cause: the cause is
      // recorded with the chunk record that wins, so a duplicate delivery that read the input
      // after the change cannot fail a job whose chunk another delivery's results won.
      if (job.status === 'failed') {
        expect(job.errors?.data?.[0]?.code).toBe(code);
        expect(lost).toBeGreaterThan(0);
      }
      if (lost > 0) expect(job.status).toBe('failed');
      if (results.length === LINES) expect(job.status).toBe('completed');
      for (const line of errors) expect([...BACKEND_ERROR_CODES, code]).toContain(failureOfLine(line)?.code);
      // Nothing of the new upload in the old job's files.
      expect(results.some((line) => String(line.custom_id).startsWith('new-'))).toBe(false);
    }
    const fresh = await filesOf(newEnded);
    const freshIds = tally([...fresh.results, ...fresh.errors].map((line) => String(line.custom_id)));
    rows.push(`  the new upload: ${newEnded.status}, ${fresh.results.length} results, ${fresh.errors.length} errors`);
    console.log([`fault suite, seed ${SEED}: inputs changed mid-run (${(elapsedMs / 1000).toFixed(0)} s)`, ...rows].join('\n'));
    expect(newEnded.status).toBe('completed');
    expect({ missing: newIds.filter((id) => !freshIds.has(id)).length, twice: over(freshIds, 1).length, size: freshIds.size }).toEqual({
      missing: 0,
      twice: 0,
      size: newIds.length,
    });
  }, 300_000);
  it('loses nothing and counts nothing twice through Bedrock batch inference: a Bedrock job that fails as a whole, a missed state-change event', async () => {
    // Prepare: the simulator's seeded faults (as the first run's, should this run alone), a
    // client of its Bedrock control plane, the two files; the next Bedrock job fails as a whole.
    const split = simulatorFaultSplit(SEED);
    await setSim(platform.simulator, { seed: SEED, dimensions: 16, openai: faceFaults(split), bedrock: faceFaults(split) });
    const bedrock = new BedrockClient({
      endpoint: platform.simulator,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: new NodeHttpHandler(),
    });
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: platform.dynamodb,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    const failing = { ...batchRouteFile('failed', BATCH_ROUTE_LINES), key: `inbox/local/faults-bedrock-failed-seed-${SEED}.jsonl` };
    const missed = { ...batchRouteFile('missed', BATCH_ROUTE_LINES), key: `inbox/local/faults-bedrock-missed-seed-${SEED}.jsonl` };
    /** The Bedrock jobs of a platform job (named `<job id>-c<chunk>`). */
    const bedrockJobsOf = async (jobId: string): Promise<ModelInvocationJobSummary[]> => {
      const prefix = `${jobId.replace(/_/g, '-')}-c`;
      const { invocationJobSummaries = [] } = await bedrock.send(
        new ListModelInvocationJobsCommand({ nameContains: prefix, maxResults: 100 }),
      );
      return invocationJobSummaries.filter((job) => job.jobName?.startsWith(prefix));
    };
    const jobOf = async (key: string) =>
      (await waitFor(
        async () => (await client.batches.list({ limit: 100 })).data.find((b) => b.metadata?.source_key === key),
        (batch) => batch !== undefined,
        60_000,
        200,
        `the job of ${key}`,
      ))!;
    const ended = (jobId: string) =>
      waitFor(
        () => client.batches.retrieve(jobId),
        (b) => TERMINAL.includes(b.status),
        240_000,
        500,
        `batch ${jobId} to end`,
      );
    const started = Date.now();
    let failedJob: OpenAI.Batches.Batch;
    let missedJob: OpenAI.Batches.Batch;
    /** When (after the start) the first Bedrock job had failed, and each job ended. */
    let bedrockFailedAfterMs = 0;
    let endedAfterMs: number[] = [];
    try {
      // Act: the first job's Bedrock job fails (its event is sent: it races the sweep).
      await setSim(platform.simulator, { bedrockBatch: { jobOutcome: 'failed', failedRecordRate: 0, dropEvents: [] } });
      await dropFile(s3, platform.bucket, failing.key, failing.text);
      const failedId = (await jobOf(failing.key)).id;
      await waitFor(
        () => bedrockJobsOf(failedId),
        (jobs) => jobs.some((job) => job.status === 'Failed'),
        120_000,
        250,
        'the first Bedrock job to fail',
      );
      bedrockFailedAfterMs = Date.now() - started;
      // The second job's Bedrock job completes, some records failed, and no event says it ended.
      await setSim(platform.simulator, {
        bedrockBatch: { jobOutcome: 'normal', failedRecordRate: FAILED_RECORD_RATE, failedRecordCode: 500, dropEvents: BEDROCK_ENDED },
      });
      await dropFile(s3, platform.bucket, missed.key, missed.text);
      const missedId = (await jobOf(missed.key)).id;
      const done = await Promise.all(
        [failedId, missedId].map((id) => ended(id).then((batch) => ({ batch, afterMs: Date.now() - started }))),
      );
      [failedJob, missedJob] = [done[0]!.batch, done[1]!.batch];
      endedAfterMs = done.map(({ afterMs }) => afterMs);
    } finally {
      await setSim(platform.simulator, { bedrockBatch: { jobOutcome: 'normal', failedRecordRate: 0, dropEvents: [] } });
    }
    const elapsedMs = Date.now() - started;

    // Assess: for each job, its files, its Bedrock jobs, its usage by route (as the job store counts it).
    const events = (await (await fetch(`${platform.events}/_events`)).json()) as Array<{
      source: string;
      detail: { batchJobArn?: string; status?: string };
    }>;
    const jobs = new DynamoDbJobStore(ddb, platform.tableName);
    const batchRecords = new DynamoDbBatchInferenceStore(ddb, platform.tableName);
    const rows: string[] = [];
    for (const [batch, file, how] of [
      [failedJob!, failing, 'failed as a whole'],
      [missedJob!, missed, 'its end event dropped'],
    ] as const) {
      const results = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/results.jsonl`));
      const errors = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/errors.jsonl`));
      const ids = tally([...results, ...errors].map((line) => String(line.custom_id)));
      const inputIds = new Set(file.customIds);
      const errorCodes = tally(errors.map((line) => String(failureOfLine(line)?.code)));
      const bedrockJobs = await bedrockJobsOf(batch.id);
      const endEvents = events.filter(
        (event) =>
          event.source === 'aws.bedrock' &&
          bedrockJobs.some((job) => job.jobArn === event.detail.batchJobArn) &&
          BEDROCK_ENDED.includes(String(event.detail.status)),
      );
      const sentOnDemand = platform
        .output()
        .split('\n')
        .filter((line) => line.includes('its chunk runs on demand') && line.includes(batch.id)).length;
      const stored = (await jobs.get(batch.id))!;
      const byRoute = stored.usage.byRoute ?? [];
      const routeSum = (field: 'requests' | 'inputTokens' | 'outputTokens') => byRoute.reduce((sum, usage) => sum + usage[field], 0);
      const batchRoute = byRoute.filter((usage) => usage.route === 'bedrock-batch');
      const recordsUsage = await batchInferenceUsage(batchRecords, batch.id);
      const resultsUsage = (field: 'prompt_tokens' | 'completion_tokens') =>
        results.reduce((sum, line) => sum + Number(line.response?.body?.usage?.[field] ?? 0), 0);
      const cost = (batch as unknown as { cost: { total: number; by_route: Record<string, number> } }).cost;
      const usage = batch.usage!;
      // What Bedrock says it answered: the manifest of each of the job's Bedrock jobs that wrote one.
      const manifests: Array<{
        totalRecordCount: number;
        successRecordCount: number;
        errorRecordCount: number;
        inputTokenCount: number;
        outputTokenCount: number;
      }> = [];
      for (const job of bedrockJobs) {
        if (job.status !== 'Completed') continue;
        const prefix = job.outputDataConfig!.s3OutputDataConfig!.s3Uri!.replace(`s3://${platform.bucket}/`, '').replace(/\/?$/, '/');
        manifests.push(JSON.parse(await readObject(s3, platform.bucket, `${prefix}${job.jobArn!.split('/').pop()}/manifest.json.out`)));
      }
      const answered = manifests.reduce(
        (sum, m) => ({
          requests: sum.requests + m.successRecordCount,
          inputTokens: sum.inputTokens + m.inputTokenCount,
          outputTokens: sum.outputTokens + m.outputTokenCount,
        }),
        { requests: 0, inputTokens: 0, outputTokens: 0 },
      );
      rows.push(
        `  ${how}: ${batch.status}, ${results.length} results, ${errors.length} errors (${[...errorCodes].map(([code, n]) => `${code} ${n}`).join(', ') || 'none'})`,
        `    Bedrock jobs ${bedrockJobs.map((job) => job.status).join(', ')}; end events delivered ${endEvents.length}; chunk sent on demand ${sentOnDemand} time(s); ${file.batchLines} lines sent to batch inference, ${answered.requests} answered by it (${manifests.reduce((sum, m) => sum + m.errorRecordCount, 0)} records failed, run again on demand)`,
        `    usage ${usage.input_tokens} in / ${usage.output_tokens} out; cost ${cost.total} USD: ${Object.entries(cost.by_route)
          .map(([route, usd]) => `${route} ${usd}`)
          .join(', ')}`,
      );

      // Every input line in exactly one of the two files, and the counters equal to them.
      expect({
        missing: file.customIds.filter((id) => !ids.has(id)).slice(0, 5),
        twice: over(ids, 1).slice(0, 5),
        stray: [...ids.keys()].filter((id) => !inputIds.has(id)).slice(0, 5),
      }).toEqual({ missing: [], twice: [], stray: [] });
      expect(batch.status).toBe('completed');
      expect(batch.request_counts).toEqual({ total: BATCH_ROUTE_LINES, completed: results.length, failed: errors.length });
      expect(results.every((line) => line.response?.status_code === 200 && line.error === null)).toBe(true);
      for (const code of errorCodes.keys()) expect(BACKEND_ERROR_CODES).toContain(code);
      // One Bedrock job for the batch chunk, whatever the duplicate deliveries, crashes and redrives.
      expect(bedrockJobs).toHaveLength(1);
      // Usage counted once: the job's equals its result lines', and its routes add up to it
      // (a line counts on the one route that answered it; a record retried on demand is not also kept).
      expect({ input: usage.input_tokens, output: usage.output_tokens }).toEqual({
        input: resultsUsage('prompt_tokens'),
        output: resultsUsage('completion_tokens'),
      });
      expect({ requests: routeSum('requests'), input: routeSum('inputTokens'), output: routeSum('outputTokens') }).toEqual({
        requests: results.length,
        input: usage.input_tokens,
        output: usage.output_tokens,
      });
      // The bedrock-batch route holds exactly what Bedrock answered (its manifest), in the job and in
      // the Bedrock job's own record: a chunk recorded by both the event and the sweep would count it twice.
      const batchTokens = { requests: answered.requests, inputTokens: answered.inputTokens, outputTokens: answered.outputTokens };
      expect(
        batchRoute.reduce(
          (sum, u) => ({
            requests: sum.requests + u.requests,
            inputTokens: sum.inputTokens + u.inputTokens,
            outputTokens: sum.outputTokens + u.outputTokens,
          }),
          { requests: 0, inputTokens: 0, outputTokens: 0 },
        ),
      ).toEqual(batchTokens);
      expect(
        Object.values(recordsUsage).reduce(
          (sum, u) => ({ inputTokens: sum.inputTokens + u.inputTokens, outputTokens: sum.outputTokens + u.outputTokens }),
          { inputTokens: 0, outputTokens: 0 },
        ),
      ).toEqual({ inputTokens: answered.inputTokens, outputTokens: answered.outputTokens });
      // The cost: the routes add up to the total, the batch route priced on Bedrock's figures alone.
      expect(cost.total).toBeCloseTo(
        Object.values(cost.by_route).reduce((sum, usd) => sum + usd, 0),
        6,
      );
      expect(cost.by_route['bedrock-batch'] ?? 0).toBeCloseTo(
        priceUsage(DEFAULT_PRICE_TABLE, batchRoute).by_route['bedrock-batch'] ?? 0,
        6,
      );
      if (how === 'failed as a whole') {
        // Bedrock answered nothing: every line ran on demand; its Failed event reached the platform.
        expect(bedrockJobs[0]!.status).toBe('Failed');
        expect(endEvents.map((event) => event.detail.status)).toEqual(['Failed']);
        expect(batchRoute).toEqual([]);
        expect(cost.by_route['bedrock-batch']).toBeUndefined();
        // Sent on demand by one look only: the events and the sweep that saw it failed too found it settled.
        expect(sentOnDemand).toBe(1);
      } else {
        // No event said it ended: the sweep found it; Bedrock failed some records, which ran again on demand.
        expect(bedrockJobs[0]!.status).toBe('Completed');
        expect(endEvents).toEqual([]);
        expect(manifests[0]).toMatchObject({ totalRecordCount: file.batchLines });
        expect(manifests[0]!.errorRecordCount).toBeGreaterThan(0);
        expect(answered.requests).toBe(file.batchLines - manifests[0]!.errorRecordCount);
        expect(cost.by_route['bedrock-batch']).toBeGreaterThan(0);
      }
    }
    const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
    console.log(
      [
        `fault suite, seed ${SEED}: Bedrock batch inference under faults (${seconds(elapsedMs)}; the first Bedrock job failed at ${seconds(bedrockFailedAfterMs)}, the jobs ended at ${endedAfterMs.map(seconds).join(' and ')})`,
        ...rows,
      ].join('\n'),
    );
    bedrock.destroy();
    ddb.destroy();
  }, 420_000);

  it('finishes a job interrupted by a restart of the local platform, through the stall sweep, every line exactly once', async () => {
    // Prepare: a job of its own, under the same faults.
    const { text, customIds } = jobFile(RESTART_LINES);
    const key = `inbox/local/faults-restart-seed-${SEED}.jsonl`;
    const started = Date.now();
    await dropFile(s3, platform.bucket, key, text, ON_DEMAND_ONLY);
    const [found] = await waitFor(
      async () => (await client.batches.list({ limit: 100 })).data.filter((b) => b.metadata?.source_key === key),
      (batches) => batches.length > 0,
      60_000,
      200,
    );
    const before = await waitFor(
      () => client.batches.retrieve(found!.id),
      (b) => TERMINAL.includes(b.status) || (b.request_counts?.completed ?? 0) > 0,
      120_000,
      100,
    );

    // Act: stop the platform mid-job (its queues are lost with it) and start it on the same data folder.
    await disconnect();
    const stoppedAt = Date.now();
    await connect();
    const restartedAt = Date.now();
    const job = await waitFor(
      () => client.batches.retrieve(found!.id),
      (b) => TERMINAL.includes(b.status),
      150_000,
      250,
    );
    const finishedAfterMs = Date.now() - restartedAt;

    // Assess: the job finished on the restarted platform with every line once, in one of its files.
    const results = parseJsonl(await readObject(s3, platform.bucket, `outputs/${job.id}/results.jsonl`));
    const errors = parseJsonl(await readObject(s3, platform.bucket, `outputs/${job.id}/errors.jsonl`));
    const ids = tally([...results, ...errors].map((line) => String(line.custom_id)));
    const redrives = platform
      .output()
      .split('\n')
      .filter((line) => line.includes('stalled job:')).length;
    console.log(
      [
        `fault suite, seed ${SEED}: platform restarted mid-job (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        `  stopped at ${before.request_counts?.completed} / ${RESTART_LINES} lines done (${before.status}), down ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s`,
        `  after the restart: ${job.status}, ${results.length} results, ${errors.length} errors, ${redrives} stall sweep redrives or finalizes asked again`,
        `  restart recovery: job finished ${(finishedAfterMs / 1000).toFixed(1)} s after the platform was back`,
      ].join('\n'),
    );
    expect({
      missing: customIds.filter((id) => !ids.has(id)).length,
      twice: over(ids, 1).length,
      stray: [...ids.keys()].filter((id) => !id.startsWith('line-')).length,
    }).toEqual({ missing: 0, twice: 0, stray: 0 });
    expect(job.status).toBe('completed');
    expect(job.request_counts).toEqual({ total: RESTART_LINES, completed: results.length, failed: errors.length });
    for (const line of errors) expect(BACKEND_ERROR_CODES).toContain(failureOfLine(line)?.code);
    if (before.status === 'in_progress') expect(redrives).toBeGreaterThan(0);
  }, 300_000);
});
