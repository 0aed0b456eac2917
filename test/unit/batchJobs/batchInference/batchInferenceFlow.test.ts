import { ModelCatalogue } from '../../../../shared/domain/catalogue';
import { ingestObject, type IngestDeps } from '../../../../shared/batchJobs/ingest/ingestObject';
import { submitBatchChunk } from '../../../../shared/batchJobs/batchInference/submitBatchChunk';
import {
  handleBatchJobStateChange,
  stopBatchInference,
  sweepBatchInference,
} from '../../../../shared/batchJobs/batchInference/sweepBatchInference';
import { batchInferenceUsage } from '../../../../shared/batchJobs/batchInference/batchInferenceUsage';
import type { BatchInferenceDeps } from '../../../../shared/batchJobs/batchInference/types';
import { runChunk } from '../../../../shared/batchJobs/run/runChunk';
import { finalizeJob } from '../../../../shared/batchJobs/finalize/finalizeJob';
import type { ChunkMessage, FinalizeMessage } from '../../../../shared/batchJobs/job/Job';
import type { BatchOutputLine } from '../../../../shared/domain/outputLines';
import { fakeInferenceRuntime } from '../../../helpers/fakeProviderWorld';
import { FakeProvider } from '../../../helpers/fakeProvider';
import { FakeBatchInference, MemoryBatchInferenceStore } from '../../../helpers/fakeBatchInference';
import { MemoryEvents, MemoryFileStore, MemoryJobStore, MemoryObjectStore, MemorySender } from '../../../helpers/memoryPorts';

const BUCKET = 'platform-test';
const NOW = new Date('2026-03-01T12:00:00Z');
const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'big',
      kind: 'chat',
      contextTokens: 2_000,
      maxOutputTokens: 100,
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'big', baseUrls: ['http://127.0.0.1:1'] },
        // Small quotas, so a test crosses them: 20 records at least, 60 at most, one Bedrock job at a time.
        {
          provider: 'bedrock',
          id: 'bedrock-big',
          model: 'vendor.big-1:0',
          batchInference: { minRecords: 20, maxRecords: 60, maxConcurrentJobs: 1 },
        },
      ],
    },
    {
      id: 'small',
      kind: 'chat',
      contextTokens: 2_000,
      maxOutputTokens: 100,
      backends: [
        { provider: 'openai-compatible', id: 'gpu-small', model: 'small', baseUrls: ['http://127.0.0.1:1'] },
        { provider: 'bedrock', id: 'bedrock-small', model: 'vendor.small-1:0', batchInference: { minRecords: 20 } },
      ],
    },
  ],
});

const line = (customId: string, model: string) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: customId }], max_tokens: 10 },
  });

function world() {
  const { router, core, providers } = fakeInferenceRuntime(catalogue, (id) => new FakeProvider(id));
  const jobs = new MemoryJobStore();
  const objects = new MemoryObjectStore();
  const files = new MemoryFileStore();
  const chunks = new MemorySender<ChunkMessage>();
  const finalize = new MemorySender<FinalizeMessage>();
  const bedrock = new FakeBatchInference(objects);
  const batchJobs = new MemoryBatchInferenceStore();
  let ids = 0;
  const deps: BatchInferenceDeps = {
    jobs,
    objects,
    finalize,
    core,
    router,
    maxLineBytes: 64 * 1024,
    newAttemptId: () => `a${++ids}`,
    newId: () => `id${++ids}`,
    now: () => NOW.getTime(),
    batchJobs,
    bedrock,
    chunks,
  };
  const ingest: IngestDeps = {
    jobs,
    objects,
    files,
    chunks,
    batchInference: true,
    resolveModel: (id, kind) => router.model(id, kind),
    listModels: () => router.listModels(),
    limits: { maxLinesPerJob: 10_000, maxLineBytes: 4096, maxFileBytes: 10 << 20, chunkMaxLines: 50, chunkMaxBytes: 1 << 20 },
    now: () => NOW,
  };
  // The core measures its deadline on the real clock.
  const options = { deadline: Date.now() + 60_000 };
  /** Delivers every queued chunk message once, as the worker does; returns how many. */
  async function deliver(): Promise<number> {
    const queued = chunks.sent.splice(0);
    for (const message of queued) {
      if (message.chunk.batch) await submitBatchChunk(deps, message, options);
      else await runChunk(deps, message, options);
    }
    return queued.length;
  }
  async function drop(lines: string[], metadata: Record<string, string> = {}) {
    const key = 'inbox/tenant-1/input.jsonl';
    await objects.write(BUCKET, key, lines.map((l) => `${l}\n`).join(''), { metadata });
    const etag = (await objects.head(BUCKET, key))!.etag.replaceAll('"', '');
    return ingestObject(ingest, { tenantId: 'tenant-1', bucket: BUCKET, key, etag });
  }
  async function finish(jobId: string): Promise<{ results: BatchOutputLine[]; errors: BatchOutputLine[] }> {
    for (const message of finalize.sent.splice(0))
      await finalizeJob({ jobs, files, objects, events: new MemoryEvents(), now: () => NOW.getTime() }, message);
    const job = (await jobs.get(jobId))!;
    const read = (fileId?: string) =>
      fileId
        ? (objects.text(BUCKET, files.files.get(fileId)!.key) ?? '')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as BatchOutputLine)
        : [];
    return { results: read(job.outputFileId), errors: read(job.errorFileId) };
  }
  return { deps, jobs, objects, bedrock, batchJobs, chunks, providers, deliver, drop, finish, options };
}

describe('Bedrock batch inference route (in memory)', () => {
  it('runs a model’s big share through batch inference and the rest on demand; every custom_id once, usage adds up', async () => {
    // Prepare: 100 lines of `big` (two Bedrock jobs of 50: max 60), 10 of `small` (below its minimum of 20).
    const w = world();
    const lines = Array.from({ length: 110 }, (_, i) => line(`req-${i + 1}`, i % 11 === 10 ? 'small' : 'big'));
    const { jobId } = await w.drop(lines);
    // Act: the worker takes each chunk; a redelivered batch chunk is taken again.
    const batchMessages = w.chunks.sent.filter((m) => m.chunk.batch);
    await w.deliver();
    w.chunks.sent.push(...structuredClone(batchMessages));
    await w.deliver();
    // Assess: two batch chunks, one submitted (one slot), the other waiting; the redelivery started nothing.
    expect(batchMessages).toHaveLength(2);
    expect(w.bedrock.jobs.size).toBe(1);
    const records = await w.batchJobs.listForJob(jobId);
    expect(records.map((r) => r.state)).toEqual(['submitted', 'waiting']);
    expect(records.map((r) => r.records)).toEqual([50, 50]);
    const input = w.objects
      .text(BUCKET, records[0]!.inputKey)!
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(input[0]).toEqual({ recordId: '00000000001', modelInput: { messages: [{ role: 'user', content: 'req-1' }], max_tokens: 10 } });

    // Act: the first Bedrock job ends; one record failed for throttling (retried on demand), one refused (400).
    const [first] = [...w.bedrock.jobs.keys()];
    await w.bedrock.finish(first!, 'PartiallyCompleted', (_, index) =>
      index === 3
        ? { errorCode: 429, errorMessage: 'Too many requests' }
        : index === 4
          ? { errorCode: 400, errorMessage: 'bad request' }
          : 'ok',
    );
    expect(await handleBatchJobStateChange(w.deps, { batchJobArn: first!, batchJobName: records[0]!.jobName }, w.options)).toBe('recorded');
    // A second event for the same job counts nothing twice.
    expect(await handleBatchJobStateChange(w.deps, { batchJobArn: first!, batchJobName: records[0]!.jobName }, w.options)).toBe(
      'already_settled',
    );
    // The freed slot went to the waiting chunk; the sweep catches its end without an event.
    expect(w.bedrock.jobs.size).toBe(2);
    const [, second] = [...w.bedrock.jobs.keys()];
    await w.bedrock.finish(second!, 'Completed');
    const swept = await sweepBatchInference(w.deps, w.options);
    expect(swept.settled).toEqual([`${jobId}#${records[1]!.chunkIndex}`]);

    // Assess: every custom_id once, in results or errors.
    const { results, errors } = await w.finish(jobId);
    const ids = [...results, ...errors].map((l) => l.custom_id).sort();
    expect(ids).toEqual(lines.map((_, i) => `req-${i + 1}`).sort());
    expect(errors).toHaveLength(1);
    expect(errors[0]!.custom_id).toBe('req-5');
    expect(errors[0]!.response).toMatchObject({ status_code: 400, body: { error: { code: 'bedrock_batch_error' } } });
    const fromBatch = results.filter((l) =>
      String((l.response!.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content).startsWith('batch:'),
    );
    expect(fromBatch).toHaveLength(98);
    expect(results.find((l) => l.custom_id === 'req-4')!.response!.body).toMatchObject({ choices: [{ message: { content: 'gpu:big' } }] });
    const job = (await w.jobs.get(jobId))!;
    expect(job.status).toBe('completed');
    expect(job.requestCounts).toEqual({ total: 110, completed: 109, failed: 1 });
    // Usage: 98 batch answers at 11 + 5, 11 on-demand answers (10 small, 1 retried) at 3 + 2.
    expect(job.usage).toMatchObject({ promptTokens: 98 * 11 + 11 * 3, completionTokens: 98 * 5 + 11 * 2 });
    const settled = await w.batchJobs.listForJob(jobId);
    expect(settled.map((r) => r.usage)).toEqual([
      { inputTokens: 48 * 11, outputTokens: 48 * 5 },
      { inputTokens: 50 * 11, outputTokens: 50 * 5 },
    ]);
    expect(await batchInferenceUsage(w.batchJobs, jobId)).toEqual({ 'vendor.big-1:0': { inputTokens: 98 * 11, outputTokens: 98 * 5 } });
    expect(w.bedrock.createCalls.filter((c) => c.jobName === records[0]!.jobName)).toHaveLength(1);
  });

  it('waits, never fails, while Bedrock refuses for its quota, and submits on a later sweep', async () => {
    const w = world();
    const { jobId } = await w.drop(Array.from({ length: 30 }, (_, i) => line(`r${i}`, 'big')));
    w.bedrock.busy = true;
    await w.deliver();
    expect((await w.batchJobs.listForJob(jobId)).map((r) => r.state)).toEqual(['waiting']);
    expect(w.batchJobs.slots.get('vendor.big-1:0')).toEqual([undefined]);
    w.bedrock.busy = false;
    expect((await sweepBatchInference(w.deps, w.options)).submitted).toHaveLength(1);
    expect((await w.batchJobs.listForJob(jobId)).map((r) => r.state)).toEqual(['submitted']);
  });

  it('keeps a job on demand when its owner opts out (x-amz-meta-bedrock-batch: off, as metadata.bedrock_batch)', async () => {
    const w = world();
    await w.drop(
      Array.from({ length: 30 }, (_, i) => line(`r${i}`, 'big')),
      { 'bedrock-batch': 'off' },
    );
    expect(w.chunks.sent.length).toBeGreaterThan(0);
    expect(w.chunks.sent.some((m) => m.chunk.batch)).toBe(false);
    const opted = world();
    await opted.drop(Array.from({ length: 30 }, (_, i) => line(`r${i}`, 'big')));
    expect(opted.chunks.sent.some((m) => m.chunk.batch)).toBe(true);
  });

  it('a cancel stops the Bedrock job; its partial output is kept and every other line is batch_cancelled', async () => {
    const w = world();
    const lines = Array.from({ length: 40 }, (_, i) => line(`r${i}`, 'big'));
    const { jobId } = await w.drop(lines);
    const redelivered = structuredClone(w.chunks.sent);
    await w.deliver();
    await w.jobs.transition(jobId, 'cancelling', {}, NOW);
    expect(await stopBatchInference(w.deps, jobId)).toBe(1);
    // The stall sweep's redrive of the batch chunk while it is stopping changes nothing.
    w.chunks.sent.push(...redelivered);
    await w.deliver();
    expect((await w.jobs.chunkAttempts(jobId)).size).toBe(0);
    const [arn] = [...w.bedrock.jobs.keys()];
    expect(w.bedrock.stopCalls).toEqual([arn]);
    // Bedrock writes what it finished on stop: the first 15 records.
    await w.bedrock.finish(arn!, 'Stopped', (_, index) => (index < 15 ? 'ok' : 'missing'));
    await sweepBatchInference(w.deps, w.options);
    const { results, errors } = await w.finish(jobId);
    const job = (await w.jobs.get(jobId))!;
    expect(job.status).toBe('cancelled');
    expect(results).toHaveLength(15);
    expect(errors).toHaveLength(25);
    expect(
      errors.every(
        (l) => l.error?.code === 'batch_cancelled' || (l.response?.body as { error: { code: string } })?.error?.code === 'batch_cancelled',
      ),
    ).toBe(true);
  });

  it('sends a Bedrock job that failed as a whole back on demand', async () => {
    const w = world();
    const { jobId } = await w.drop(Array.from({ length: 30 }, (_, i) => line(`r${i}`, 'big')));
    await w.deliver();
    const [arn] = [...w.bedrock.jobs.keys()];
    w.bedrock.jobs.get(arn!)!.status = 'Failed';
    await sweepBatchInference(w.deps, w.options);
    expect((await w.batchJobs.listForJob(jobId)).map((r) => r.state)).toEqual(['on_demand']);
    expect(await w.deliver()).toBe(1);
    const { results, errors } = await w.finish(jobId);
    expect(results).toHaveLength(30);
    expect(errors).toHaveLength(0);
  });

  it('runs a Bedrock job that failed as a whole on demand once, though its events and the sweep all look at it at once', async () => {
    // Prepare: the Bedrock job failed without output; its events (one per status it went
    // through) arrive after it ended, while the sweep runs.
    const w = world();
    const { jobId } = await w.drop(Array.from({ length: 30 }, (_, i) => line(`r${i}`, 'big')));
    await w.deliver();
    const [arn] = [...w.bedrock.jobs.keys()];
    w.bedrock.jobs.get(arn!)!.status = 'Failed';
    const [record] = await w.batchJobs.listForJob(jobId);
    const event = (status: string) => ({ batchJobArn: arn!, batchJobName: record!.jobName, status });

    // Act
    const outcomes = await Promise.all([
      ...['Submitted', 'Validating', 'InProgress', 'Failed', 'Failed'].map((status) =>
        handleBatchJobStateChange(w.deps, event(status), w.options),
      ),
      sweepBatchInference(w.deps, w.options),
    ]);

    // Assess: one look sent the chunk on demand, the others found it settled; it runs once.
    expect(outcomes.filter((outcome) => outcome === 'sent_on_demand')).toHaveLength(1);
    expect(w.chunks.sent).toHaveLength(1);
    expect(w.chunks.sent[0]!.chunk.batch).toBeUndefined();
    expect((await w.batchJobs.listForJob(jobId)).map((r) => r.state)).toEqual(['on_demand']);
    expect(w.batchJobs.slots.get('vendor.big-1:0')).toEqual([undefined]);
    await w.deliver();
    const { results, errors } = await w.finish(jobId);
    expect(results).toHaveLength(30);
    expect(errors).toHaveLength(0);
  });
});
