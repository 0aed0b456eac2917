import OpenAI, { toFile } from 'openai';
import type { S3Client } from '@aws-sdk/client-s3';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { dropFile, localS3Client, openAiBatchFile, parseJsonl, readObject } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';
import { failureOfLine } from '../../shared/domain/outputLines';

/**
 * Batch jobs end to end through the local platform: S3 → ingest queue → ingest →
 * work queue → workers → DynamoDB → finalize → outputs and the completion event.
 */
describe('batch jobs through the local platform', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;
  let s3: S3Client;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({ CHUNK_MAX_LINES: '250', LOCAL_SQS_CONCURRENCY: '3' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    s3 = localS3Client(platform.s3);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** The batch whose metadata names `key` as its source, once it exists. */
  const batchOf = (key: string) =>
    waitFor(
      async () => (await client.batches.list({ limit: 100 })).data.find((b) => b.metadata?.source_key === key),
      (batch) => batch !== undefined,
    );
  const finished = (id: string) =>
    waitFor(
      () => client.batches.retrieve(id),
      (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status),
    );

  it('a dropped 5,000-line file with 20 broken lines completes, every custom_id exactly once', async () => {
    // Prepare: 20 broken lines of different kinds at known line numbers.
    const kinds = [
      '{"custom_id": "broken-json", "method": "POST"',
      '{"method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-oss-20b", "messages": [{"role": "user", "content": "x"}]}}',
      '{"custom_id": "bad-url-LINE", "method": "POST", "url": "/v1/images", "body": {}}',
      '{"custom_id": "bad-model-LINE", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}}',
      '{"custom_id": "bad-body-LINE", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-oss-20b", "messages": [{"role": "robot", "content": "x"}]}}',
    ];
    const brokenLines = Array.from({ length: 20 }, (_, i) => 7 + i * 249);
    const broken = new Map(brokenLines.map((line, i) => [line, kinds[i % kinds.length]!.replace('LINE', String(line))]));
    const { text, customIds } = openAiBatchFile(5_000, broken);
    const key = 'inbox/local/drop-5000.jsonl';
    // Act
    await dropFile(s3, platform.bucket, key, text);
    const batch = await finished((await batchOf(key))!.id);
    // Assess
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 5_000, completed: 4_980, failed: 20 });
    const results = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/results.jsonl`));
    const errors = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/errors.jsonl`));
    expect(results).toHaveLength(4_980);
    expect(errors).toHaveLength(20);
    const seen = [...results, ...errors].map((line) => line.custom_id).filter((id) => id !== null && !String(id).startsWith('line-'));
    expect(new Set(results.map((r) => r.custom_id))).toEqual(new Set(customIds));
    expect(new Set(seen).size).toBe(seen.length);
    for (const line of brokenLines) expect(errors.some((e) => failureOfLine(e)!.message.includes(`Line ${line}`))).toBe(true);
    expect(results.every((r) => r.response.status_code === 200 && r.error === null)).toBe(true);
    const chat = results.find((r) => r.custom_id === 'req-1');
    expect(chat.response.body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-oss-20b',
      choices: [{ message: { role: 'assistant' } }],
    });
    const embedding = results.find((r) => r.custom_id === 'req-3');
    expect(embedding.response.body.data).toHaveLength(2);
    // The completion event carries the counts and where the results are.
    const events = (await (await fetch(`${platform.events}/_events`)).json()) as { detail: Record<string, any> }[];
    const completed = events.filter((e) => e.detail.jobId === batch.id);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.detail).toMatchObject({ status: 'completed', request_counts: { total: 5_000, completed: 4_980, failed: 20 } });
  }, 240_000);

  it('the openai client runs a batch: files.create, batches.create, retrieve until completed, files.content', async () => {
    // Prepare
    const { text, customIds } = openAiBatchFile(300);
    // Act
    const file = await client.files.create({ file: await toFile(Buffer.from(text), 'requests.jsonl'), purpose: 'batch' });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { team: 'e2e' },
    });
    const batch = await finished(created.id);
    // Assess
    expect(created.status).toBe('validating');
    expect(batch).toMatchObject({
      status: 'completed',
      input_file_id: file.id,
      metadata: { team: 'e2e' },
      request_counts: { total: 300, completed: 200, failed: 100 },
    });
    const output = parseJsonl(await (await client.files.content(batch.output_file_id!)).text());
    expect(output.map((line) => line.custom_id).sort()).toEqual(customIds.filter((_, i) => (i + 1) % 3 !== 0).sort());
    expect(output.every((line) => line.id.startsWith('batch_req_') && line.response.body.object === 'chat.completion')).toBe(true);
    // Lines for another endpoint than the batch's are refused, each naming its line.
    const errors = parseJsonl(await (await client.files.content(batch.error_file_id!)).text());
    expect(errors).toHaveLength(100);
    expect(errors[0].error.message).toContain('Line 3');
    // Our extension: the job's cost by route, which adds up to its total (the openai client passes it through).
    const { cost } = batch as unknown as { cost: { currency: string; total: number; by_route: Record<string, number> } };
    expect(cost.currency).toBe('usd');
    expect(cost.total).toBeGreaterThan(0);
    expect(Object.values(cost.by_route).reduce((sum, usd) => sum + usd, 0)).toBeCloseTo(cost.total, 6);
  }, 120_000);

  it('a Bedrock-format file asked for OpenAI output (x-amz-meta-output-format) runs to completion with results keyed by recordId', async () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ recordId: `rec-${i}`, modelInput: { inputText: `document ${i}` } }),
    );
    const key = 'inbox/local/bedrock-titan.jsonl';
    await dropFile(s3, platform.bucket, key, `${lines.join('\n')}\n`, { model: 'amazon.titan-embed-text-v2:0', 'output-format': 'openai' });
    const batch = await finished((await batchOf(key))!.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 50, completed: 50, failed: 0 });
    const results = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/results.jsonl`));
    expect(results.map((r) => r.custom_id).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `rec-${i}`).sort());
    expect(results[0].response.body).toMatchObject({ object: 'list', model: 'titan-embed-text-v2' });
  }, 120_000);

  it('cancelling a running job ends it cancelled, keeps finished results, and starts no chunk after', async () => {
    // Prepare: a slow backend so the job is still running when the cancel lands.
    const setSim = (patch: unknown) =>
      fetch(`${platform.simulator}/_sim/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patch),
      });
    await setSim({ addedLatencyMs: 300 });
    try {
      const { text, customIds } = openAiBatchFile(4_000);
      const key = 'inbox/local/to-cancel.jsonl';
      await dropFile(s3, platform.bucket, key, text);
      const running = await waitFor(
        async () => client.batches.retrieve((await batchOf(key))!.id),
        (b) => (b.request_counts?.completed ?? 0) > 0,
      );
      // Act
      const cancelling = await client.batches.cancel(running.id);
      const atCancel = await client.batches.retrieve(running.id);
      const batch = await finished(running.id);
      // Assess
      expect(cancelling.status).toBe('cancelling');
      expect(batch.status).toBe('cancelled');
      const results = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/results.jsonl`));
      const errors = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/errors.jsonl`));
      expect(results.length).toBe(batch.request_counts!.completed);
      expect(results.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.error.code === 'batch_cancelled')).toBe(true);
      expect([...results, ...errors].map((l) => l.custom_id).sort()).toEqual([...customIds].sort());
      // At most the chunks already running when the cancel landed finished after it:
      // 3 concurrent workers × 4 chunks a batch × 250 lines.
      expect(results.length - atCancel.request_counts!.completed).toBeLessThanOrEqual(3 * 4 * 250);
      expect(results.length).toBeLessThan(4_000);
    } finally {
      await setSim({ addedLatencyMs: 0 });
    }
  }, 240_000);
});
