import OpenAI, { toFile } from 'openai';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { dropFile, localS3Client, parseJsonl, readObject } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';

/**
 * Bedrock batch inference's output, as AWS documents it ("View the results of a batch
 * inference job"): one `<input file>.out` per input, a record per line —
 * `{recordId, modelInput, modelOutput}`, or `{recordId, modelInput, error: {errorCode,
 * errorMessage}}` where the error replaces modelOutput — and a `manifest.json.out`.
 */
const BedrockSuccess = z.strictObject({
  recordId: z.string().min(1),
  modelInput: z.record(z.string(), z.unknown()),
  modelOutput: z.record(z.string(), z.unknown()),
});
const BedrockError = z.strictObject({
  recordId: z.string().min(1),
  modelInput: z.record(z.string(), z.unknown()),
  error: z.strictObject({ errorCode: z.number().int(), errorMessage: z.string().min(1) }),
});
const BedrockRecord = z.union([BedrockSuccess, BedrockError]);
const Manifest = z.strictObject({
  totalRecordCount: z.number().int().nonnegative(),
  processedRecordCount: z.number().int().nonnegative(),
  successRecordCount: z.number().int().nonnegative(),
  errorRecordCount: z.number().int().nonnegative(),
  inputTokenCount: z.number().int().nonnegative(),
  outputTokenCount: z.number().int().nonnegative(),
});
/** A Converse response body: what modelOutput is for a Converse modelInput. */
const ConverseOutput = z.object({
  output: z.object({ message: z.object({ role: z.literal('assistant'), content: z.array(z.record(z.string(), z.unknown())).min(1) }) }),
  stopReason: z.enum(['end_turn', 'max_tokens', 'tool_use', 'content_filtered']),
  usage: z.object({
    inputTokens: z.number().int().positive(),
    outputTokens: z.number().int().positive(),
    totalTokens: z.number().int().positive(),
  }),
});
/** Titan text embeddings' InvokeModel body. */
const TitanOutput = z.object({ embedding: z.array(z.number()).min(1), inputTextTokenCount: z.number().int().positive() });

describe('Bedrock in, Bedrock out, through the local platform', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;
  let s3: S3Client;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({ CHUNK_MAX_LINES: '8' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    s3 = localS3Client(platform.s3);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const finished = (id: string) =>
    waitFor(
      () => client.batches.retrieve(id),
      (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status),
    );

  it('a dropped Converse-format file (model in x-amz-meta-model) writes <file>.out records and a manifest as Bedrock does', async () => {
    // Prepare: 20 records, every fifth without a recordId, and one invalid.
    const inputs = Array.from({ length: 20 }, (_, i) => ({
      ...(i % 5 === 4 ? {} : { recordId: `CALL${String(i).padStart(7, '0')}` }),
      modelInput: {
        system: [{ text: 'Answer briefly.' }],
        messages: [{ role: 'user', content: [{ text: `Summarise call ${i}.` }] }],
        inferenceConfig: { maxTokens: 64 },
      },
    }));
    const invalid = { recordId: 'BAD0000001', modelInput: { messages: [{ role: 'robot', content: [{ text: 'x' }] }] } };
    const key = 'inbox/local/calls.jsonl';
    const text = `${[...inputs, invalid].map((line) => JSON.stringify(line)).join('\n')}\n`;

    // Act
    await dropFile(s3, platform.bucket, key, text, { model: 'gpt-oss-20b' });
    const listed = await waitFor(
      async () => (await client.batches.list({ limit: 100 })).data.find((b) => b.metadata?.source_key === key),
      (batch) => batch !== undefined,
    );
    const batch = await finished(listed!.id);

    // Assess: the batch, and its one output file: every record in it, successes and the error.
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 21, completed: 20, failed: 1 }, error_file_id: null });
    // The batch object: the endpoint and model every line used, and the reasoning tokens the backends reported.
    expect(batch).toMatchObject({ endpoint: '/v1/chat/completions', model: 'gpt-oss-20b' });
    expect(batch.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(batch.usage!.output_tokens_details.reasoning_tokens).toBeLessThan(batch.usage!.output_tokens);
    const records = parseJsonl(await readObject(s3, platform.bucket, `outputs/${batch.id}/calls.jsonl.out`)).map((r) =>
      BedrockRecord.parse(r),
    );
    expect(await (await client.files.content(batch.output_file_id!)).text()).toBe(
      await readObject(s3, platform.bucket, `outputs/${batch.id}/calls.jsonl.out`),
    );
    expect(records).toHaveLength(21);
    for (const [i, input] of inputs.entries()) {
      const recordId = input.recordId ?? String(i + 1).padStart(11, '0');
      const record = records.find((r) => r.recordId === recordId);
      expect(record).toBeDefined();
      expect(record!.modelInput).toEqual(input.modelInput);
      const output = ConverseOutput.parse(BedrockSuccess.parse(record).modelOutput);
      expect(output.output.message.content.some((block) => typeof block.text === 'string' && block.text !== '')).toBe(true);
    }
    expect(records.filter((r) => /^\d{11}$/.test(r.recordId))).toHaveLength(4);
    const error = BedrockError.parse(records.find((r) => r.recordId === 'BAD0000001'));
    expect(error).toMatchObject({
      modelInput: invalid.modelInput,
      error: { errorCode: 400, errorMessage: expect.stringMatching(/^invalid_body: Line 21: /) },
    });
    // The manifest: Bedrock's counts, the tokens the records' usage adds up to.
    const manifest = Manifest.parse(JSON.parse(await readObject(s3, platform.bucket, `outputs/${batch.id}/manifest.json.out`)));
    const usage = records.flatMap((r) => ('modelOutput' in r ? [ConverseOutput.parse(r.modelOutput).usage] : []));
    expect(manifest).toEqual({
      totalRecordCount: 21,
      processedRecordCount: 21,
      successRecordCount: 20,
      errorRecordCount: 1,
      inputTokenCount: usage.reduce((sum, u) => sum + u.inputTokens, 0),
      outputTokenCount: usage.reduce((sum, u) => sum + u.outputTokens, 0),
    });
  }, 120_000);

  it('an uploaded Titan-format file (files.create + batches.create with metadata.model) completes in Bedrock format', async () => {
    // Prepare: before metadata.model, such a file failed every line with model_not_found.
    const inputs = Array.from({ length: 12 }, (_, i) => ({
      recordId: `DOC${i}`,
      modelInput: { inputText: `document ${i}`, dimensions: 256 },
    }));
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${inputs.map((line) => JSON.stringify(line)).join('\n')}\n`), 'docs.jsonl'),
      purpose: 'batch',
    });

    // Act
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
      metadata: { model: 'titan-embed-text-v2' },
    });
    const batch = await finished(created.id);

    // Assess
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 12, completed: 12, failed: 0 }, error_file_id: null });
    expect(batch).toMatchObject({ endpoint: '/v1/embeddings', model: 'titan-embed-text-v2' });
    const records = parseJsonl(await (await client.files.content(batch.output_file_id!)).text()).map((r) => BedrockSuccess.parse(r));
    expect(records.map((r) => r.recordId).sort()).toEqual(inputs.map((i) => i.recordId).sort());
    for (const record of records) {
      expect(record.modelInput).toEqual(inputs.find((i) => i.recordId === record.recordId)!.modelInput);
      expect(TitanOutput.parse(record.modelOutput).embedding).toHaveLength(256);
    }
    const manifest = Manifest.parse(JSON.parse(await readObject(s3, platform.bucket, `outputs/${batch.id}/manifest.json.out`)));
    expect(manifest).toMatchObject({
      totalRecordCount: 12,
      processedRecordCount: 12,
      successRecordCount: 12,
      errorRecordCount: 0,
      outputTokenCount: 0,
    });
    expect(manifest.inputTokenCount).toBe(records.reduce((sum, r) => sum + TitanOutput.parse(r.modelOutput).inputTextTokenCount, 0));
    // The manifest is a file of the Files API too.
    const files = await client.files.list();
    expect(files.data.some((f) => f.filename === 'manifest.json.out' && f.bytes === JSON.stringify(manifest).length)).toBe(true);
  }, 120_000);

  it('metadata.output_format converts: an OpenAI-format file gets Bedrock records, keyed by custom_id', async () => {
    // Prepare
    const lines = Array.from({ length: 5 }, (_, i) => ({
      custom_id: `q-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: `Question ${i}?` }], max_tokens: 32 },
    }));
    const file = await client.files.create({
      file: await toFile(Buffer.from(lines.map((line) => JSON.stringify(line)).join('\n')), 'questions.jsonl'),
      purpose: 'batch',
    });

    // Act
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { output_format: 'bedrock' },
    });
    const batch = await finished(created.id);
    const refused = await client.batches
      .create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { output_format: 'csv' } })
      .catch((e: unknown) => e);

    // Assess: the gpt-oss InvokeModel body is OpenAI-shaped, so is its modelOutput.
    expect(batch.status).toBe('completed');
    const records = parseJsonl(await (await client.files.content(batch.output_file_id!)).text()).map((r) => BedrockSuccess.parse(r));
    expect(records.map((r) => r.recordId).sort()).toEqual(lines.map((l) => l.custom_id));
    for (const record of records) {
      expect(record.modelInput).toEqual(lines.find((l) => l.custom_id === record.recordId)!.body);
      expect(record.modelOutput).toMatchObject({ object: 'chat.completion', model: 'gpt-oss-20b' });
    }
    expect(refused).toMatchObject({ status: 400, param: 'metadata.output_format' });
  }, 120_000);
});
