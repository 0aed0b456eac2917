import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import { DynamoDbFileStore } from '../../../shared/adapters/aws/DynamoDbFileStore';
import { DynamoDbJobStore } from '../../../shared/adapters/aws/DynamoDbJobStore';
import { S3ObjectStore } from '../../../shared/adapters/aws/S3ObjectStore';
import { ingestObject } from '../../../shared/batchJobs/ingest/ingestObject';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import type { InferenceInput, InferenceOutput } from '../../../shared/domain/inference';
import type { ChunkMessage, FinalizeMessage } from '../../../shared/batchJobs/job/Job';
import type { ChunkCounts, JobStore } from '../../../shared/batchJobs/job/ports';
import type { ObjectStore } from '../../../shared/domain/ports';
import { finalizeJob } from '../../../shared/batchJobs/finalize/finalizeJob';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import type { RunChunkDeps } from '../../../shared/batchJobs/run/types';
import { startLocalS3, type LocalS3 } from '../../../shared/devTools/localPlatform/s3';
import { ModelRouter } from '../../../shared/routing/ModelRouter';
import { parseJsonl } from '../../helpers/batchFiles';
import { FakeProvider } from '../../helpers/fakeProvider';
import { startTestTable } from '../../helpers/localDynamoDb';
import { MemoryEvents, MemorySender } from '../../helpers/memoryPorts';

/**
 * SQS delivers at least once and Lambda dies mid-work: a chunk delivered twice (one
 * after the other, and at the same time) and a worker killed halfway through a chunk
 * must leave the counts and the output files exact. Real stores: DynamoDB (dynalite)
 * and S3 (s3rver) through the platform's adapters.
 */
describe('chunk redelivery and a worker killed mid-chunk', () => {
  const BUCKET = 'platform';
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let s3server: LocalS3;
  let jobs: JobStore;
  let objects: ObjectStore;

  beforeAll(async () => {
    table = await startTestTable();
    s3server = await startLocalS3({ port: 0 });
    await s3server.createBucket(BUCKET);
    jobs = new DynamoDbJobStore(table.documentClient, table.tableName);
    objects = new S3ObjectStore(
      new S3Client({
        endpoint: s3server.url,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      }),
    );
  });
  afterAll(async () => {
    await s3server.close();
    await table.close();
  });

  const catalogue = ModelCatalogue.parse({
    models: [
      {
        id: 'chat-a',
        kind: 'chat',
        contextTokens: 2_000,
        maxOutputTokens: 100,
        backends: [{ provider: 'openai-compatible', id: 'gpu', model: 'served', baseUrls: ['http://127.0.0.1:1'] }],
      },
    ],
  });
  const provider = new FakeProvider('gpu');
  const router = new ModelRouter(catalogue, { providerFor: () => provider, failureThreshold: 5, cooldownMs: 1_000 });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { baseBackoffMs: 1, maxBackoffMs: 1 });
  const limits = { maxLinesPerJob: 10_000, maxLineBytes: 100_000, maxFileBytes: 10_000_000, chunkMaxLines: 200, chunkMaxBytes: 1_000_000 };

  it('counts each chunk once and the files hold every line exactly once', async () => {
    // Prepare: a 600-line file → 3 chunks of 200.
    const lines = Array.from({ length: 600 }, (_, i) =>
      JSON.stringify({
        custom_id: `r${i + 1}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'chat-a', messages: [{ role: 'user', content: `q${i + 1}` }], max_tokens: 5 },
      }),
    );
    await objects.write(BUCKET, 'inbox/t1/file.jsonl', `${lines.join('\n')}\n`);
    const head = await objects.head(BUCKET, 'inbox/t1/file.jsonl');
    const chunkQueue = new MemorySender<ChunkMessage>();
    const finalizeQueue = new MemorySender<FinalizeMessage>();
    const summary = await ingestObject(
      { jobs, objects, chunks: chunkQueue, limits, resolveModel: (id, kind) => router.model(id, kind) },
      { tenantId: 't1', bucket: BUCKET, key: 'inbox/t1/file.jsonl', etag: head!.etag },
    );
    expect(chunkQueue.sent).toHaveLength(3);
    const [first, second, third] = chunkQueue.sent as [ChunkMessage, ChunkMessage, ChunkMessage];
    const deps = (overrides: Partial<RunChunkDeps> = {}): RunChunkDeps => ({
      jobs,
      objects,
      finalize: finalizeQueue,
      core,
      router,
      maxLineBytes: limits.maxLineBytes,
      newAttemptId: () => randomUUID(),
      now: Date.now,
      ...overrides,
    });
    const deadline = () => Date.now() + 60_000;

    // Act 1: chunk 0 delivered twice, one after the other.
    const a = await runChunk(deps(), first, { deadline: deadline() });
    const b = await runChunk(deps(), first, { deadline: deadline() });
    // Act 2: chunk 1 delivered twice at the same time.
    const [c, d] = await Promise.all([
      runChunk(deps(), second, { deadline: deadline() }),
      runChunk(deps(), second, { deadline: deadline() }),
    ]);
    // Act 3: chunk 2's worker is killed twice halfway: once while writing its part files,
    // once after writing them but before recording the chunk (the process dies: the error escapes).
    const dieOnWrite: ObjectStore = {
      ...objects,
      head: objects.head.bind(objects),
      read: objects.read.bind(objects),
      write: async (bucket, key, body) => {
        if (key.includes('.results.')) {
          await objects.write(bucket, key, 'half a line of a dying wor');
          throw new Error('worker killed while writing');
        }
        return objects.write(bucket, key, body);
      },
    };
    await expect(runChunk(deps({ objects: dieOnWrite }), third, { deadline: deadline() })).rejects.toThrow('worker killed');
    const dieBeforeRecord = Object.create(jobs) as JobStore;
    dieBeforeRecord.recordChunkDone = async (_jobId: string, _index: number, _attempt: string, _counts: ChunkCounts) => {
      throw new Error('worker killed before recording');
    };
    await expect(runChunk(deps({ jobs: dieBeforeRecord }), third, { deadline: deadline() })).rejects.toThrow('worker killed');
    const afterCrashes = await jobs.get(summary.jobId);
    // Redelivery after the crashes finishes the chunk.
    const e = await runChunk(deps(), third, { deadline: deadline() });

    // Assess
    expect([a.status, b.status]).toEqual(['done', 'already_done']);
    expect([c.status, d.status].sort()).toEqual(['already_done', 'done']);
    expect(afterCrashes!.chunksDone).toBe(2);
    expect(e.status).toBe('done');
    const job = await jobs.get(summary.jobId);
    expect(job).toMatchObject({
      status: 'in_progress',
      chunksDone: 3,
      chunksTotal: 3,
      requestCounts: { total: 600, completed: 600, failed: 0 },
    });
    expect(finalizeQueue.sent).toHaveLength(1);

    // Finalize, twice: one set of files, exact.
    const events = new MemoryEvents();
    const files = new DynamoDbFileStore(table.documentClient, table.tableName);
    await finalizeJob({ jobs, files, objects, events, now: Date.now }, finalizeQueue.sent[0]!);
    const again = await finalizeJob({ jobs, files, objects, events, now: Date.now }, finalizeQueue.sent[0]!);
    expect(again.status).toBe('already_final');
    const final = await jobs.get(summary.jobId);
    expect(final).toMatchObject({ status: 'completed', requestCounts: { total: 600, completed: 600, failed: 0 } });
    const results = parseJsonl(await streamText(await objects.read(BUCKET, `outputs/${summary.jobId}/results.jsonl`)));
    expect(results).toHaveLength(600);
    expect(new Set(results.map((r) => r.custom_id))).toEqual(new Set(lines.map((_, i) => `r${i + 1}`)));
    expect(events.events).toHaveLength(1);
  });

  it("a chunk delivered twice at once across an input change: only the winning delivery's outcome counts (its results, no failure cause)", async () => {
    // Prepare: a 200-line file, one chunk. Delivery X reads the input before it is replaced;
    // delivery Y reads after (412, file_changed) and reaches the chunk's record first, but X's
    // record lands first. Gates on recordChunkDone fix that order.
    const key = 'inbox/t1/raced.jsonl';
    const lines = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        custom_id: `x${i + 1}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'chat-a', messages: [{ role: 'user', content: `q${i + 1}` }], max_tokens: 5 },
      }),
    );
    await objects.write(BUCKET, key, `${lines.join('\n')}\n`);
    const head = await objects.head(BUCKET, key);
    const chunkQueue = new MemorySender<ChunkMessage>();
    const finalizeQueue = new MemorySender<FinalizeMessage>();
    const summary = await ingestObject(
      { jobs, objects, chunks: chunkQueue, limits, resolveModel: (id, kind) => router.model(id, kind) },
      { tenantId: 't1', bucket: BUCKET, key, etag: head!.etag },
    );
    expect(chunkQueue.sent).toHaveLength(1);
    const message = chunkQueue.sent[0]!;
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { open, opened };
    };
    const xAtRecord = gate();
    const yAtRecord = gate();
    const xRecorded = gate();
    const xJobs = Object.create(jobs) as JobStore;
    xJobs.recordChunkDone = async (...args: Parameters<JobStore['recordChunkDone']>) => {
      xAtRecord.open();
      await yAtRecord.opened;
      try {
        return await jobs.recordChunkDone(...args);
      } finally {
        xRecorded.open();
      }
    };
    const yJobs = Object.create(jobs) as JobStore;
    yJobs.recordChunkDone = async (...args: Parameters<JobStore['recordChunkDone']>) => {
      yAtRecord.open();
      await xRecorded.opened;
      return jobs.recordChunkDone(...args);
    };
    const deps = (store: JobStore): RunChunkDeps => ({
      jobs: store,
      objects,
      finalize: finalizeQueue,
      core,
      router,
      maxLineBytes: limits.maxLineBytes,
      newAttemptId: () => randomUUID(),
      now: Date.now,
    });

    // Act: X runs up to its record; the input is replaced; Y runs; then both records land, X's first.
    const x = runChunk(deps(xJobs), message, { deadline: Date.now() + 60_000 });
    await xAtRecord.opened;
    await objects.write(BUCKET, key, `${lines.slice(0, 5).join('\n')}\n`);
    const y = runChunk(deps(yJobs), message, { deadline: Date.now() + 60_000 });
    const [xResult, yResult] = await Promise.all([x, y]);
    await finalizeJob(
      { jobs, files: new DynamoDbFileStore(table.documentClient, table.tableName), objects, events: new MemoryEvents(), now: Date.now },
      finalizeQueue.sent[0]!,
    );

    // Assess: X's results won the chunk, so the job completed with every line a result and no cause.
    expect([xResult.status, yResult.status]).toEqual(['done', 'already_done']);
    const final = await jobs.get(summary.jobId);
    expect(final).toMatchObject({ status: 'completed', requestCounts: { total: 200, completed: 200, failed: 0 } });
    expect(final!.failure).toBeUndefined();
    const results = parseJsonl(await streamText(await objects.read(BUCKET, `outputs/${summary.jobId}/results.jsonl`)));
    expect(results).toHaveLength(200);
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts).toString('utf8');
}
