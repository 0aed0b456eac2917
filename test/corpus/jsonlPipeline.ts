import { fakeInferenceRuntime } from '../helpers/fakeProviderWorld';
import { Readable } from 'node:stream';
import { ingestObject, type IngestDeps, type IngestSummary } from '../../shared/batchJobs/ingest/ingestObject';
import { loadConfig, type BatchLimits } from '../../shared/config/config';
import { jobKeys, type ChunkMessage, type FinalizeMessage, type Job } from '../../shared/batchJobs/job/Job';
import type { BatchOutputLine } from '../../shared/domain/outputLines';
import { finalizeJob } from '../../shared/batchJobs/finalize/finalizeJob';
import { runChunk } from '../../shared/batchJobs/run/runChunk';
import type { FinalizeJobDeps } from '../../shared/batchJobs/finalize/types';
import type { RunChunkDeps } from '../../shared/batchJobs/run/types';
import { loadCatalogue } from '../../shared/routing/defaultCatalogue';
import { MemoryEvents, MemoryFileStore, MemoryJobStore, MemoryObjectStore, MemorySender } from '../helpers/memoryPorts';
import { PoisonAwareProvider } from '../unit/batchJobs/jobWorld';

export const PIPELINE_BUCKET = 'inference-platform-test';
export const PIPELINE_TENANT = 'corpus';

/** The platform's default limits (1 MiB lines, 100,000 lines, 2 GiB files) with chunks small enough to make several. */
const DEFAULT_LIMITS: BatchLimits = { ...loadConfig({}).limits, chunkMaxLines: 4 };

/** Reads in 64 KiB pieces, as a network stream gives them: the memory fake's 7-byte pieces would make a 10 MB file crawl. */
class PipelineObjectStore extends MemoryObjectStore {
  override async read(bucket: string, key: string, options: { start?: number; end?: number } = {}): Promise<Readable> {
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) throw Object.assign(new Error(`NoSuchKey: ${bucket}/${key}`), { name: 'NoSuchKey' });
    this.reads += 1;
    const body = object.body.subarray(options.start ?? 0, options.end === undefined ? undefined : options.end + 1);
    const pieces: Buffer[] = [];
    for (let i = 0; i < body.length; i += 64 * 1024) pieces.push(body.subarray(i, i + 64 * 1024));
    return Readable.from(pieces);
  }
}

/** How a dropped file ended, with everything the user gets back. */
export interface PipelineOutcome {
  summary: IngestSummary;
  job: Job;
  results: BatchOutputLine[];
  errors: BatchOutputLine[];
  /** Chunk deliveries the worker ran, and finalize runs. */
  chunkRuns: number;
}

/**
 * The batch pipeline in process, over the memory fakes: ingest streams the dropped file
 * and plans chunks; the worker runs each chunk through a real BatchingCore and router
 * (the default catalogue, as `npm start` serves it, whose backends are fake providers
 * that refuse any input containing `POISON`); finalize stitches the output files. Every
 * message a step sends is delivered to the next, as SQS would.
 */
export function makePipeline(limits: Partial<BatchLimits> = {}) {
  const config = loadConfig({ GPU_CHAT_URLS: 'http://127.0.0.1:1', GPU_EMBED_URLS: 'http://127.0.0.1:1' });
  const { router, core } = fakeInferenceRuntime(loadCatalogue(config), (id) => new PoisonAwareProvider(id));
  const jobs = new MemoryJobStore();
  const objects = new PipelineObjectStore();
  const chunks = new MemorySender<ChunkMessage>();
  const finalize = new MemorySender<FinalizeMessage>();
  const allLimits = { ...DEFAULT_LIMITS, ...limits };
  let ids = 0;
  const ingest: IngestDeps = {
    jobs,
    objects,
    chunks,
    resolveModel: (id, kind) => router.model(id, kind),
    listModels: () => router.listModels(),
    limits: allLimits,
  };
  const worker: RunChunkDeps = {
    jobs,
    objects,
    finalize,
    core,
    router,
    maxLineBytes: allLimits.maxLineBytes,
    newAttemptId: () => `a${++ids}`,
    newId: () => `id${++ids}`,
    now: Date.now,
  };
  const finalizer: FinalizeJobDeps = { jobs, files: new MemoryFileStore(), objects, events: new MemoryEvents(), now: Date.now };

  /** Drops `body` at `key` and runs it through ingest, every chunk and finalize. */
  async function run(
    key: string,
    body: Buffer,
    options: { metadata?: Record<string, string>; contentType?: string } = {},
  ): Promise<PipelineOutcome> {
    // The corpus checks each line's code in the OpenAI output, whatever the input's format.
    const metadata = { 'output-format': 'openai', ...options.metadata };
    await objects.write(PIPELINE_BUCKET, key, body, {
      metadata,
      contentType: options.contentType ?? 'application/jsonl',
    });
    const head = (await objects.head(PIPELINE_BUCKET, key))!;
    const sentBefore = chunks.sent.length;
    const finalizeBefore = finalize.sent.length;
    const summary = await ingestObject(ingest, {
      tenantId: PIPELINE_TENANT,
      bucket: PIPELINE_BUCKET,
      key,
      etag: head.etag,
      metadata,
    });
    let chunkRuns = 0;
    for (const message of chunks.sent.slice(sentBefore)) {
      // A chunk not settled by its deadline goes back to the queue: deliver it again, a bounded number of times.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        chunkRuns += 1;
        if ((await runChunk(worker, message, { deadline: Date.now() + 30_000 })).status !== 'retry_later') break;
      }
    }
    for (const message of finalize.sent.slice(finalizeBefore)) await finalizeJob(finalizer, message);
    const job = (await jobs.get(summary.jobId))!;
    return {
      summary,
      job,
      results: linesOf(objects.text(PIPELINE_BUCKET, jobKeys.results(job.id))),
      errors: linesOf(objects.text(PIPELINE_BUCKET, jobKeys.errors(job.id))),
      chunkRuns,
    };
  }

  return { run, jobs, objects, limits: allLimits };
}

function linesOf(text: string | undefined): BatchOutputLine[] {
  return (text ?? '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as BatchOutputLine);
}
