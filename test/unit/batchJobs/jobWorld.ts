import { FAKE_CATALOGUE, fakeInferenceRuntime } from '../../helpers/fakeProviderWorld';
import type { ModelCatalogue } from '../../../shared/domain/catalogue';
import type { ChatCall, ChatResult, EmbeddingInput, EmbeddingResult } from '../../../shared/domain/inference';
import type { ItemResult } from '../../../shared/batchingCore/types';
import { BackendRejectedError } from '../../../shared/errors/backendErrors';
import type { ChunkMessage, ChunkPlan, Job } from '../../../shared/batchJobs/job/Job';
import type { FinalizeMessage } from '../../../shared/batchJobs/job/Job';
import type { FinalizeJobDeps } from '../../../shared/batchJobs/finalize/types';
import type { RunChunkDeps } from '../../../shared/batchJobs/run/types';
import type { EmbedOptions } from '../../../shared/providers/types';
import { FakeProvider } from '../../helpers/fakeProvider';
import { MemoryEvents, MemoryFileStore, MemoryJobStore, MemoryObjectStore, MemorySender } from '../../helpers/memoryPorts';

/** Inputs containing this are refused by the backend, alone or in a batch (a poison request). */
export const POISON = 'POISON';

/** A fake provider that refuses any call carrying a poison input, as a real backend rejects a whole batch. */
export class PoisonAwareProvider extends FakeProvider {
  override async chat(call: ChatCall): Promise<ChatResult> {
    if (call.messages.some((m) => typeof m.content === 'string' && m.content.includes(POISON))) {
      this.chatCalls.push(call);
      throw new BackendRejectedError('The model refused this input.', { backendId: this.name });
    }
    return super.chat(call);
  }

  override async embed(model: string, inputs: EmbeddingInput[], options?: EmbedOptions): Promise<ItemResult<EmbeddingResult>[]> {
    if (inputs.some((input) => typeof input === 'string' && input.includes(POISON))) {
      this.embedCalls.push({ model, inputs });
      throw new BackendRejectedError('The model refused this batch.', { backendId: this.name });
    }
    return super.embed(model, inputs, options);
  }
}

const catalogue = FAKE_CATALOGUE;

export const BUCKET = 'platform-test';
export const INPUT_KEY = 'inbox/tenant-1/input.jsonl';
export const JOB_ID = 'batch_0001';
export const TENANT = 'tenant-1';
/** The tests' now: well inside the jobs' completion window unless a test says otherwise. */
export const NOW_MS = 1_700_000_100_000;

/** A chat line of the OpenAI batch format. */
export const chatLine = (customId: string, content: string) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'chat-a', messages: [{ role: 'user', content }], max_tokens: 10 },
  });

/** An embeddings line of the OpenAI batch format. */
export const embeddingLine = (customId: string, input: string | string[]) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/embeddings', body: { model: 'embed-b', input } });

/**
 * Everything a worker and a finalize step need, in memory, with a real batching core over
 * a model router whose backends are fake providers; ids count up so outputs are stable.
 */
export function makeWorld(models: ModelCatalogue = catalogue) {
  const { router, core, providers } = fakeInferenceRuntime(models, (id) => new PoisonAwareProvider(id));
  const jobs = new MemoryJobStore();
  const objects = new MemoryObjectStore();
  const files = new MemoryFileStore();
  const events = new MemoryEvents();
  const finalize = new MemorySender<FinalizeMessage>();
  let attempts = 0;
  let ids = 0;
  const worker: RunChunkDeps = {
    jobs,
    objects,
    finalize,
    core,
    router,
    maxLineBytes: 64 * 1024,
    newAttemptId: () => `a${++attempts}`,
    newId: () => `id${++ids}`,
    now: () => NOW_MS,
  };
  const finalizer: FinalizeJobDeps = { jobs, files, objects, events, now: () => NOW_MS };
  return { jobs, objects, files, events, finalize, providers, core, router, worker, finalizer };
}

export type World = ReturnType<typeof makeWorld>;

/** Puts an input file whose lines are `lines`, and plans it into chunks of the given line counts. */
export async function putInput(
  world: World,
  lines: readonly string[],
  chunkSizes: readonly number[] = [lines.length],
  skipLines: readonly number[] = [],
) {
  const text = lines.map((line) => `${line}\n`).join('');
  await world.objects.write(BUCKET, INPUT_KEY, text);
  const etag = (await world.objects.head(BUCKET, INPUT_KEY))!.etag;
  const chunks: ChunkPlan[] = [];
  let line = 0;
  let byte = 0;
  for (const [index, size] of chunkSizes.entries()) {
    const bytes = lines.slice(line, line + size).reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);
    const firstLine = line + 1;
    chunks.push({
      index,
      startByte: byte,
      endByte: byte + bytes - 1,
      firstLine,
      lineCount: size,
      skipLines: skipLines.filter((n) => n >= firstLine && n < firstLine + size),
    });
    line += size;
    byte += bytes;
  }
  return { etag, chunks };
}

/** A job of `chunks` chunks in the given status, created in the store. */
export async function createJob(
  world: World,
  options: { chunksTotal: number; total: number; status?: Job['status']; expiresAt?: number; etag?: string; ingestFailed?: number },
): Promise<Job> {
  const job: Job = {
    id: JOB_ID,
    tenantId: TENANT,
    status: options.status ?? 'in_progress',
    source: { bucket: BUCKET, key: INPUT_KEY, etag: options.etag, format: 'openai' },
    completionWindow: '24h',
    metadata: { source_key: INPUT_KEY },
    requestCounts: { total: options.total, completed: 0, failed: options.ingestFailed ?? 0 },
    usage: { promptTokens: 0, completionTokens: 0 },
    chunksTotal: options.chunksTotal,
    chunksDone: 0,
    createdAt: NOW_MS / 1000 - 100,
    expiresAt: options.expiresAt ?? NOW_MS / 1000 + 86_400,
  };
  await world.jobs.create(job);
  return job;
}

/** The chunk message ingest sends for `chunk`. */
export function chunkMessage(chunk: ChunkPlan, etag?: string): ChunkMessage {
  return { kind: 'chunk', tenantId: TENANT, jobId: JOB_ID, chunk, source: { bucket: BUCKET, key: INPUT_KEY, etag, format: 'openai' } };
}

/** The parsed lines of a JSONL object. */
export function jsonLines(text: string | undefined): Record<string, any>[] {
  return (text ?? '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** A deadline comfortably in the future for the fake backends. */
export const later = () => Date.now() + 30_000;
