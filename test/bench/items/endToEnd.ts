import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { jobIdForObject } from '../../../shared/batchJobs/ingest/createJobForObject';
import type { SimulatorStatsSnapshot } from '../../../shared/devTools/gpuSimulator/SimulatorStats';
import { localS3Client, openAiBatchFile } from '../../helpers/batchFiles';
import { startLocalPlatformProcess } from '../../helpers/localPlatform';
import { benchEnv, simulatorCatalogue } from '../benchCatalogue';
import { startSimulatorProcess } from '../simulatorProcess';
import { nowMs, round, sleep } from '../stats';
import { priceJob, type JobCallCost } from './awsCost';
import { jobPhases, type JobPhases } from './jobPhases';

/**
 * Item 6, end to end, and the call count of item 4: the whole local platform (S3, SQS,
 * the functions behind their real triggers, DynamoDB, finalize) in a child process, as
 * `npm start` runs it, with every AWS SDK call it makes counted (`awsCallCounter.cjs`).
 * The GPU is the simulator in a process of its own, configured like item 1's
 * (`GPU_LIKE`), and the functions get the bench catalogue, the caps of item 1 (the
 * platform's own simulator still serves Bedrock batch inference, which this job does not use). A JSONL file is put under `inbox/local/`
 * with the S3 client; the clock stops when the job's completion event is published, and
 * the Batch API then confirms the job. Completion is watched on the EventBridge stand-in,
 * which makes no AWS call, so the count holds the job's calls and nothing of the watching.
 */

/** Item 6's result (and item 4's calls per request). */
export interface EndToEndResult {
  lines: number;
  /** Core items: a chat line is one, an embeddings line one per input. */
  items: number;
  wallSeconds: number;
  /** Chat lines (sequences of the generation engine) and embeddings inputs (items of the passes). */
  chatItems: number;
  embeddingItems: number;
  /**
   * The fastest the simulator could serve them: its two engines run side by side, so the
   * slower of chat items / chat ceiling and embeddings items / passes' ceiling.
   */
  bestPossibleSeconds: number;
  fractionOfBest: number;
  batch: { status: string; request_counts: { total: number; completed: number; failed: number } };
  simulator: {
    /** Delivered against the ceiling over the simulator's active span, per engine. */
    busy: { embeddings: number | null; chat: number | null };
    maxItemsPerSecond: number;
    maxChatRequestsPerSecond: number | null;
    meanItemsPerPass: number;
    meanDecodeBatch: number;
    passes: number;
    steps: number;
    requests: number;
    activeSeconds: number;
  };
  platformEnv: Record<string, string>;
  awsCalls: JobCallCost;
  /** Where the time went (ingest, queueing, processing, finalize), from the platform's log lines; absent if they were not found. */
  phases?: JobPhases;
}

interface CountFile {
  at: number;
  counts: Record<string, number>;
}

async function readCounts(file: string): Promise<CountFile> {
  // Written every 100 ms by the preload; wait for a copy newer than this call.
  const since = Date.now();
  for (;;) {
    await sleep(150);
    const copy = JSON.parse(await readFile(file, 'utf8')) as CountFile;
    if (copy.at >= since) return copy;
    if (Date.now() - since > 2_000) return copy;
  }
}

/** Runs a job of `lines` lines (the mixed chat/embeddings file of the e2e tests) through the local platform. */
export async function runEndToEnd(
  lines: number,
  log: (line: string) => void,
  platformEnv: Record<string, string> = {},
): Promise<EndToEndResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
  const countFile = join(dir, 'aws-calls.json');
  const gpu = await startSimulatorProcess();
  const gpuEnv = benchEnv(gpu.url, simulatorCatalogue(gpu.url));
  const platform = await startLocalPlatformProcess({
    GPU_CHAT_URLS: gpuEnv.GPU_CHAT_URLS!,
    GPU_EMBED_URLS: gpuEnv.GPU_EMBED_URLS!,
    MODEL_CATALOGUE: gpuEnv.MODEL_CATALOGUE!,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: gpu.url,
    ...platformEnv,
    NODE_OPTIONS: `--require ${join(__dirname, '..', 'awsCallCounter.cjs')}`,
    AWS_CALL_COUNT_FILE: countFile,
    // INFO for the few lines a job's phases are read from (ingest done, each chunk done, job finalized).
    POWERTOOLS_LOG_LEVEL: 'INFO',
  }).catch(async (error: unknown) => {
    await gpu.stop();
    throw error;
  });
  const s3 = localS3Client(platform.s3);
  try {
    const { text } = openAiBatchFile(lines);
    const embeddingLines = Math.floor(lines / 3);
    const chatItems = lines - embeddingLines;
    const embeddingItems = 2 * embeddingLines;
    const items = chatItems + embeddingItems;
    const key = `inbox/local/bench-${lines}.jsonl`;
    await gpu.reset();
    const before = await readCounts(countFile);
    const started = nowMs();
    const droppedAt = Date.now();
    const put = await s3.send(new PutObjectCommand({ Bucket: platform.bucket, Key: key, Body: text, ContentType: 'application/jsonl' }));
    const jobId = jobIdForObject(platform.bucket, key, put.ETag!);
    let lastLog = started;
    for (;;) {
      const events = (await (await fetch(`${platform.events}/_events`)).json()) as Array<{ detail?: { jobId?: string; status?: string } }>;
      if (events.some((event) => event.detail?.jobId === jobId)) break;
      if (nowMs() - started > 15 * 60_000) throw new Error(`job ${jobId} did not complete within 15 minutes`);
      if (nowMs() - lastLog > 10_000) {
        lastLog = nowMs();
        log(`  item 6: ${Math.round((lastLog - started) / 1000)} s, waiting for ${jobId}`);
      }
      await sleep(100);
    }
    const wallSeconds = (nowMs() - started) / 1000;
    const completionSeenAt = Date.now();
    const stats: SimulatorStatsSnapshot = await gpu.stats();
    const after = await readCounts(countFile);
    const response = await fetch(`${platform.api}/v1/batches/${jobId}`, { headers: { authorization: `Bearer ${platform.apiKey}` } });
    const batch = (await response.json()) as EndToEndResult['batch'];
    const chatCeiling = stats.generation.maxSequencesPerSecond;
    const best = Math.max(embeddingItems / stats.maxItemsPerSecond, chatCeiling ? chatItems / chatCeiling : 0);
    const result: EndToEndResult = {
      lines,
      items,
      chatItems,
      embeddingItems,
      wallSeconds: round(wallSeconds, 2),
      bestPossibleSeconds: round(best, 2),
      fractionOfBest: round(best / wallSeconds, 4),
      batch: { status: batch.status, request_counts: batch.request_counts },
      simulator: {
        busy: {
          embeddings: stats.delivered === null ? null : round(stats.delivered, 4),
          chat: stats.generation.delivered === null ? null : round(stats.generation.delivered, 4),
        },
        maxItemsPerSecond: round(stats.maxItemsPerSecond, 1),
        maxChatRequestsPerSecond: chatCeiling === null ? null : round(chatCeiling, 1),
        meanItemsPerPass: round(stats.passes.meanItems, 1),
        meanDecodeBatch: round(stats.generation.meanDecodeBatch, 1),
        passes: stats.passes.count,
        steps: stats.generation.steps,
        requests: stats.requests,
        activeSeconds: round(stats.activeMs / 1000, 2),
      },
      platformEnv,
      awsCalls: priceJob(before.counts, after.counts, lines),
    };
    const phases = jobPhases(platform.output(), jobId, droppedAt, completionSeenAt);
    if (phases) result.phases = phases;
    log(
      `  item 6: ${lines} lines (${items} items) in ${result.wallSeconds} s (best possible ${result.bestPossibleSeconds} s), simulator busy: embeddings ${result.simulator.busy.embeddings}, chat ${result.simulator.busy.chat}; ${result.simulator.meanItemsPerPass} items/pass, ${result.simulator.meanDecodeBatch} sequences/step, batch ${batch.status}`,
    );
    if (phases)
      log(
        `  item 6 phases: ingest ${phases.seconds.ingest} s, queueing ${phases.seconds.queueing} s, processing ${phases.seconds.processing} s (${phases.chunks.count} chunks of ${phases.chunks.meanSeconds} s, ${phases.chunks.meanInFlight} at once), finalize ${phases.seconds.finalize} s`,
      );
    return result;
  } finally {
    s3.destroy();
    await platform.stop();
    await gpu.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
