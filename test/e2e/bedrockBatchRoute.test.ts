import OpenAI, { toFile } from 'openai';
import { BedrockClient, ListModelInvocationJobsCommand } from '@aws-sdk/client-bedrock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { localS3Client, parseJsonl, readObject } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';
import type { ChunkMessage, ChunkPlan } from '../../shared/batchJobs/job/Job';

/**
 * The Bedrock batch-inference route through the local platform and the simulator's
 * Bedrock control plane (Create/Get/List/StopModelInvocationJob over the local S3), with
 * the real clients: the openai client for the Batch API, @aws-sdk/client-bedrock to see
 * what Bedrock was asked.
 */
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
type OutputLine = { custom_id: string; response: { status_code: number; body: any } | null; error: { code: string } | null };

describe('Bedrock batch inference as a route, end to end', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;
  let bedrock: BedrockClient;

  beforeAll(async () => {
    // The sweep every second, so the test does not wait on the 2-minute schedule.
    platform = await startLocalPlatformProcess({ BEDROCK_BATCH_ROUTE: 'on', LOCAL_SCHEDULE_INTERVAL_MS: '1000' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    bedrock = new BedrockClient({ endpoint: platform.simulator, region: 'us-east-1', credentials, requestHandler: new NodeHttpHandler() });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  async function simConfig(bedrockBatch: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${platform.simulator}/_sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bedrockBatch }),
    });
    expect(response.status).toBe(200);
  }

  const chatLine = (customId: string, model: string) =>
    JSON.stringify({
      custom_id: customId,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model, messages: [{ role: 'user', content: `Say something about ${customId}.` }], max_tokens: 16 },
    });

  async function submit(lines: string[]): Promise<string> {
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'requests.jsonl'),
      purpose: 'batch',
    });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    return batch.id;
  }

  const ended = (id: string, timeoutMs = 240_000) =>
    waitFor(
      () => client.batches.retrieve(id),
      (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status),
      timeoutMs,
      500,
      `batch ${id} to end`,
    );

  async function outputs(fileId: string | null | undefined): Promise<OutputLine[]> {
    if (!fileId) return [];
    return parseJsonl<OutputLine>(await (await client.files.content(fileId)).text());
  }

  const jobsOf = async (namePrefix: string) =>
    (
      (await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: namePrefix, maxResults: 100 }))).invocationJobSummaries ?? []
    ).filter((job) => job.jobName?.startsWith(namePrefix));

  async function chunkPlan(jobId: string): Promise<ChunkPlan[]> {
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.dynamodb, region: 'us-east-1', credentials }));
    const { Items = [] } = await ddb.send(
      new QueryCommand({
        TableName: platform.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
        ExpressionAttributeValues: { ':pk': `JOB#${jobId}`, ':c': 'CHUNK#' },
      }),
    );
    return Items as ChunkPlan[];
  }

  it('5,000 lines: gpt-oss-120b through batch inference, the 20b share below the minimum on demand, failed records retried, every custom_id once, usage adds up, a redelivered submit starts nothing', async () => {
    // Prepare: every 100th line is gpt-oss-20b (50 lines: below the minimum of 100), the rest
    // gpt-oss-120b; 2% of Bedrock's records fail with a 500 (retryable); jobs run for a few seconds.
    await simConfig({ failedRecordRate: 0.02, failedRecordCode: 500, msPerRecord: 2, queueDelayMs: 500, jobOutcome: 'normal' });
    const ids = Array.from({ length: 5000 }, (_, i) => `req-${i + 1}`);
    const lines = ids.map((id, i) => chatLine(id, (i + 1) % 100 === 0 ? 'gpt-oss-20b' : 'gpt-oss-120b'));

    // Act
    const batchId = await submit(lines);
    const jobName = `${batchId.replace(/_/g, '-')}-c`;
    const [submitted] = await waitFor(
      () => jobsOf(jobName),
      (jobs) => jobs.length > 0,
      120_000,
      250,
      'a Bedrock job',
    );
    // A redelivered submit message: the batch chunk sent to the work queue again.
    const batchChunk = (await chunkPlan(batchId)).find((chunk) => chunk.batch)!;
    const job = (await jobItem(batchId))!;
    const { bucket, key, etag, format } = job.source;
    const message: ChunkMessage = {
      kind: 'chunk',
      tenantId: job.tenantId,
      jobId: batchId,
      chunk: batchChunk,
      source: { bucket, key, ...(etag ? { etag } : {}), ...(format ? { format } : {}) },
    };
    const sqs = new SQSClient({ endpoint: platform.sqs, region: 'us-east-1', credentials });
    await sqs.send(new SendMessageCommand({ QueueUrl: platform.queues.WorkQueue!, MessageBody: JSON.stringify(message) }));
    const batch = await ended(batchId);
    // The redelivered message has been taken (the work queue is empty, nothing in flight).
    await waitFor(
      async () =>
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: platform.queues.WorkQueue!,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          )
        ).Attributes ?? {},
      (attributes) => attributes.ApproximateNumberOfMessages === '0' && attributes.ApproximateNumberOfMessagesNotVisible === '0',
      60_000,
      250,
      'the work queue to drain',
    );

    // Assess: one Bedrock job, for the 4,950 gpt-oss-120b lines; the redelivery started nothing.
    expect(batch.status).toBe('completed');
    const bedrockJobs = await jobsOf(jobName);
    expect(bedrockJobs).toHaveLength(1);
    expect(bedrockJobs[0]!.jobArn).toBe(submitted!.jobArn);
    expect(bedrockJobs[0]!.modelId).toContain('openai.gpt-oss-120b-1:0');
    expect(batchChunk.lineCount - batchChunk.skipLines.length).toBe(4950);
    // Bedrock failed some records (2%, errorCode 500): they were run again on demand.
    const chunkFolder = `bedrock-batch/output/${batchId}/${String(batchChunk.index).padStart(6, '0')}/${submitted!.jobArn!.split('/').pop()}`;
    const manifest = JSON.parse(await readObject(localS3Client(platform.s3), platform.bucket, `${chunkFolder}/manifest.json.out`));
    expect(manifest).toMatchObject({ totalRecordCount: 4950, processedRecordCount: 4950 });
    expect(manifest.errorRecordCount).toBeGreaterThan(0);
    // Every custom_id exactly once, all answered (failed records were retried on demand).
    const results = await outputs(batch.output_file_id);
    const errors = await outputs(batch.error_file_id);
    expect(errors).toEqual([]);
    expect(results.map((line) => line.custom_id).sort()).toEqual([...ids].sort());
    expect(new Set(results.map((line) => line.custom_id)).size).toBe(5000);
    expect(results.every((line) => line.response?.status_code === 200)).toBe(true);
    expect(batch.request_counts).toEqual({ total: 5000, completed: 5000, failed: 0 });
    // Usage adds up: the batch's usage is the sum of its result lines' usage.
    const sum = (field: 'prompt_tokens' | 'completion_tokens') =>
      results.reduce((total, line) => total + line.response!.body.usage[field], 0);
    expect((batch as any).usage.input_tokens).toBe(sum('prompt_tokens'));
    expect((batch as any).usage.output_tokens).toBe(sum('completion_tokens'));
    // The cost: the batch route priced at its own (half) price, and the routes add up to the total.
    const cost = (batch as any).cost as { total: number; by_route: Record<string, number> };
    expect(cost.by_route['bedrock-batch']).toBeGreaterThan(0);
    expect(cost.total).toBeCloseTo(
      Object.values(cost.by_route).reduce((total, usd) => total + usd, 0),
      5,
    );
  }, 300_000);

  it('a batch cancelled while its Bedrock job runs ends cancelled, with Bedrock’s partial output in its results and every other line in its errors', async () => {
    // Prepare: a slow Bedrock job (300 records at 100 ms each).
    await simConfig({ failedRecordRate: 0, msPerRecord: 100, queueDelayMs: 0, jobOutcome: 'normal' });
    const ids = Array.from({ length: 300 }, (_, i) => `c-${i + 1}`);
    const batchId = await submit(ids.map((id) => chatLine(id, 'gpt-oss-120b')));
    const jobName = `${batchId.replace(/_/g, '-')}-c`;
    await waitFor(
      () => jobsOf(jobName),
      (jobs) => jobs[0]?.status === 'InProgress',
      120_000,
      250,
      'the Bedrock job to run',
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // Act
    const cancelling = await client.batches.cancel(batchId);
    const batch = await ended(batchId);

    // Assess
    expect(cancelling.status).toBe('cancelling');
    expect(batch.status).toBe('cancelled');
    expect((await jobsOf(jobName))[0]!.status).toBe('Stopped');
    const results = await outputs(batch.output_file_id);
    const errors = await outputs(batch.error_file_id);
    expect(results.length).toBeGreaterThan(0);
    expect(results.length).toBeLessThan(300);
    expect(errors.length).toBe(300 - results.length);
    expect(errors.every((line) => (line.error?.code ?? line.response?.body?.error?.code) === 'batch_cancelled')).toBe(true);
    expect([...results, ...errors].map((line) => line.custom_id).sort()).toEqual([...ids].sort());
  }, 300_000);

  it('a Bedrock job that fails as a whole sends its lines back on demand: nothing lost, nothing counted twice', async () => {
    // Prepare: the next Bedrock job fails without output.
    await simConfig({ failedRecordRate: 0, msPerRecord: 0.2, queueDelayMs: 0, jobOutcome: 'failed' });
    const ids = Array.from({ length: 150 }, (_, i) => `f-${i + 1}`);

    // Act
    const batchId = await submit(ids.map((id) => chatLine(id, 'gpt-oss-120b')));
    const batch = await ended(batchId);
    await simConfig({ jobOutcome: 'normal' });

    // Assess
    const jobs = await jobsOf(`${batchId.replace(/_/g, '-')}-c`);
    expect(jobs.map((job) => job.status)).toEqual(['Failed']);
    expect(batch.status).toBe('completed');
    const results = await outputs(batch.output_file_id);
    expect(await outputs(batch.error_file_id)).toEqual([]);
    expect(results.map((line) => line.custom_id).sort()).toEqual([...ids].sort());
    expect(batch.request_counts).toEqual({ total: 150, completed: 150, failed: 0 });
  }, 300_000);

  it('a missed state-change event: the sweep finds the ended Bedrock job with GetModelInvocationJob', async () => {
    // Prepare: Bedrock sends no event for a job's end.
    await simConfig({
      msPerRecord: 0.2,
      queueDelayMs: 0,
      jobOutcome: 'normal',
      dropEvents: ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'],
    });
    const ids = Array.from({ length: 120 }, (_, i) => `m-${i + 1}`);

    // Act
    const batch = await ended(await submit(ids.map((id) => chatLine(id, 'gpt-oss-120b'))));
    await simConfig({ dropEvents: [] });

    // Assess
    expect(batch.status).toBe('completed');
    expect((await outputs(batch.output_file_id)).map((line) => line.custom_id).sort()).toEqual([...ids].sort());
  }, 300_000);

  async function jobItem(batchId: string): Promise<{ tenantId: string; source: ChunkMessage['source'] } | undefined> {
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.dynamodb, region: 'us-east-1', credentials }));
    const { Items = [] } = await ddb.send(
      new QueryCommand({
        TableName: platform.tableName,
        KeyConditionExpression: 'pk = :pk AND sk = :job',
        ExpressionAttributeValues: { ':pk': `JOB#${batchId}`, ':job': 'JOB' },
      }),
    );
    return Items[0] as { tenantId: string; source: ChunkMessage['source'] } | undefined;
  }
});

describe('Bedrock batch inference: the state-change event alone', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;

  beforeAll(async () => {
    // The sweep every ten minutes: within the test only the EventBridge rule can end the chunk.
    platform = await startLocalPlatformProcess({ BEDROCK_BATCH_ROUTE: 'on', LOCAL_SCHEDULE_INTERVAL_MS: '600000' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('Bedrock’s "Batch Inference Job State Change" event reaches the batchInference function through its rule, which records the chunk', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `ev-${i + 1}`);
    const lines = ids.map((id) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-oss-120b', messages: [{ role: 'user', content: id }], max_tokens: 16 },
      }),
    );
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'requests.jsonl'),
      purpose: 'batch',
    });
    const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = await waitFor(
      () => client.batches.retrieve(created.id),
      (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status),
      240_000,
      500,
      'the batch to end',
    );
    expect(batch.status).toBe('completed');
    const events = (await (await fetch(`${platform.events}/_events`)).json()) as { source: string; detail: { status?: string } }[];
    expect(events.some((event) => event.source === 'aws.bedrock' && event.detail.status === 'Completed')).toBe(true);
    const results = parseJsonl<{ custom_id: string }>(await (await client.files.content(batch.output_file_id!)).text());
    expect(results.map((line) => line.custom_id).sort()).toEqual([...ids].sort());
  }, 300_000);
});
