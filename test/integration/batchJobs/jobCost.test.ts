import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbJobStore } from '../../../shared/adapters/aws/DynamoDbJobStore';
import { BatchService } from '../../../shared/batchJobs/api/BatchService';
import { finalizeJob, JOB_COMPLETED_EVENT } from '../../../shared/batchJobs/finalize/finalizeJob';
import type { Job } from '../../../shared/batchJobs/job/Job';
import { runChunk } from '../../../shared/batchJobs/run/runChunk';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import { parsePriceTable } from '../../../shared/domain/pricing';
import { createProvider } from '../../../shared/providers/createProvider';
import { FakeProvider } from '../../helpers/fakeProvider';
import { fakeInferenceRuntime } from '../../helpers/fakeProviderWorld';
import { startTestTable } from '../../helpers/localDynamoDb';
import { MemoryEvents, MemoryFileStore, MemoryObjectStore, MemorySender } from '../../helpers/memoryPorts';

const bedrock = mockClient(BedrockRuntimeClient);
const BUCKET = 'platform-test';
const KEY = 'inbox/tenant-1/mixed.jsonl';
const NOW_MS = 1_700_000_100_000;
const GPT_OSS = 'openai.gpt-oss-120b-1:0';

/** One model on the GPU pool, one only on Bedrock (which offers Flex): a job mixes the two routes. */
const CATALOGUE = ModelCatalogue.parse({
  models: [
    {
      id: 'chat-gpu',
      kind: 'chat',
      contextTokens: 8_000,
      backends: [
        {
          provider: 'openai-compatible',
          id: 'gpu',
          model: 'served',
          baseUrls: ['http://127.0.0.1:1'],
          throughput: { inputTokensPerSecond: 1, outputTokensPerSecond: 1 },
        },
      ],
    },
    {
      id: 'chat-bedrock',
      kind: 'chat',
      contextTokens: 8_000,
      backends: [{ provider: 'bedrock', id: 'bedrock', model: GPT_OSS, region: 'us-east-1', serviceTiers: ['standard', 'flex'] }],
    },
  ],
});

const line = (customId: string, model: string) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 },
  });

describe('the cost of a finished job (DynamoDB job store, batch object, completion event)', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  beforeAll(async () => {
    table = await startTestTable();
  });
  afterAll(() => table.close());

  it('carries the cost per route in the batch object and the event, adding up with the usage', async () => {
    // Prepare: batch work asks Bedrock for Flex; Bedrock says it served Flex.
    bedrock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 1_000, outputTokens: 4_000, totalTokens: 5_000 },
      metrics: { latencyMs: 1 },
      serviceTier: { type: 'flex' },
    });
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    const { router, core } = fakeInferenceRuntime(CATALOGUE, (id) =>
      id === 'bedrock'
        ? (createProvider(CATALOGUE.models[1]!.backends[0]!, { bedrockClient: client, serviceTier: 'flex' }) as unknown as FakeProvider)
        : new FakeProvider(id),
    );
    const jobs = new DynamoDbJobStore(table.documentClient, table.tableName);
    const objects = new MemoryObjectStore();
    const files = new MemoryFileStore();
    const events = new MemoryEvents();
    const prices = parsePriceTable(JSON.stringify({ gpuInstanceHour: { 'g6e.xlarge': 3.6 } }));
    const lines = [line('g1', 'chat-gpu'), line('b1', 'chat-bedrock'), line('g2', 'chat-gpu'), line('b2', 'chat-bedrock')];
    const text = lines.map((l) => `${l}\n`).join('');
    await objects.write(BUCKET, KEY, text);
    const job: Job = {
      id: 'batch_cost1',
      tenantId: 'tenant-1',
      status: 'in_progress',
      source: { bucket: BUCKET, key: KEY, format: 'openai' },
      completionWindow: '24h',
      metadata: {},
      requestCounts: { total: 4, completed: 0, failed: 0 },
      usage: { promptTokens: 0, completionTokens: 0 },
      chunksTotal: 2,
      chunksDone: 0,
      createdAt: NOW_MS / 1000 - 100,
      expiresAt: NOW_MS / 1000 + 86_400,
    };
    await jobs.create(job);
    const firstBytes = Buffer.byteLength(`${lines[0]}\n${lines[1]}\n`);
    const chunks = [
      { index: 0, startByte: 0, endByte: firstBytes - 1, firstLine: 1, lineCount: 2, skipLines: [] },
      { index: 1, startByte: firstBytes, endByte: Buffer.byteLength(text) - 1, firstLine: 3, lineCount: 2, skipLines: [] },
    ];
    let ids = 0;
    const worker = {
      jobs,
      objects,
      finalize: new MemorySender(),
      core,
      router,
      maxLineBytes: 64 * 1024,
      newAttemptId: () => `a${++ids}`,
      newId: () => `id${++ids}`,
      now: () => NOW_MS,
    };

    // Act: two chunks, the first delivered twice (the redelivery must not count twice), then finalize.
    for (const chunk of [chunks[0]!, chunks[0]!, chunks[1]!]) {
      await runChunk(
        worker,
        { kind: 'chunk', tenantId: 'tenant-1', jobId: job.id, chunk, source: job.source },
        { deadline: Date.now() + 30_000 },
      );
    }
    await finalizeJob(
      { jobs, files, objects, events, now: () => NOW_MS, prices },
      { kind: 'finalize', tenantId: 'tenant-1', jobId: job.id },
    );
    const service = new BatchService({ jobs, files, objects, ingest: new MemorySender(), prices });
    const batch = await service.retrieve('tenant-1', job.id);

    // Assess: two GPU lines (3 + 2 tokens each, 1 token/s: 10 s of a $3.60/h server) and two Bedrock Flex lines.
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
    const flex = (2 * 1_000 * 0.075 + 2 * 4_000 * 0.3) / 1e6;
    expect(batch.cost.by_route).toEqual({ gpu: 0.01, 'bedrock-flex': flex });
    expect(batch.cost.total).toBeCloseTo(0.01 + flex, 9);
    expect(bedrock.commandCalls(ConverseCommand).every((call) => call.args[0].input.serviceTier?.type === 'flex')).toBe(true);

    // The usage by route adds up to the job's usage, which the batch object shows.
    const stored = (await jobs.get(job.id))!;
    const byRoute = stored.usage.byRoute ?? [];
    expect(byRoute.reduce((sum, usage) => sum + usage.inputTokens, 0)).toBe(batch.usage.input_tokens);
    expect(byRoute.reduce((sum, usage) => sum + usage.outputTokens, 0)).toBe(batch.usage.output_tokens);
    expect(byRoute.reduce((sum, usage) => sum + usage.requests, 0)).toBe(batch.request_counts.completed);

    // The completion event carries the same cost.
    const event = events.events.find((published) => published.detailType === JOB_COMPLETED_EVENT);
    expect(event?.detail.cost).toEqual(batch.cost);
  });
});
