import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import OpenAI, { toFile } from 'openai';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { localS3Client } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';

/** 200 MiB of input, 100 MiB of results at least, as the issue asks. */
const MIN_INPUT_BYTES = 200 * 1024 * 1024;
const MIN_OUTPUT_BYTES = 100 * 1024 * 1024;
/** Few, long lines: 220 embeddings lines of 32 inputs of 30,000 characters (~7,500 tokens each, under bge-m3's 8,192), each line under 1 MiB. */
const LINES = 220;
const INPUTS_PER_LINE = 32;
const INPUT_CHARS = 30_000;
/** Parts as the client cuts them: under the 4.5 MB a part may have through API Gateway and Lambda. */
const PART_BYTES = 4 * 1024 * 1024;

/**
 * Files of hundreds of MB through the API with the official `openai` client, end to end
 * on the local platform (its gateway, handlers, DynamoDB, S3 and queues): a 200 MiB input
 * through the Uploads API, a batch over it, a results file over 100 MiB read back through
 * `files.content()` (a streamed response), `files.list` oldest first by purpose, and
 * `files.delete`, after which the object is gone from the bucket. 48 s on a quiet 2-core
 * machine, 4 to 5 minutes on a heavily shared one; memory is measured in the benchmark (item 9), not here.
 */
describe('files of hundreds of MB through the API', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;
  let s3: S3Client;
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'large-files-'));
    platform = await startLocalPlatformProcess({ LOCAL_SQS_CONCURRENCY: '2' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0, timeout: 600_000 });
    s3 = localS3Client(platform.s3);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('uploads 200 MiB in parts, runs a batch over it, reads 100+ MiB of results back, lists and deletes', async () => {
    // Prepare: the input file, written to disk a line at a time.
    const path = join(folder, 'embeddings.jsonl');
    const md5 = createHash('md5');
    const out = createWriteStream(path);
    for (let line = 0; line < LINES; line += 1) {
      const input = Array.from({ length: INPUTS_PER_LINE }, (_, i) =>
        `${line}-${i} ${'lorem ipsum '.repeat(INPUT_CHARS / 12)}`.slice(0, INPUT_CHARS),
      );
      const text = `${JSON.stringify({ custom_id: `line-${line}`, method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input } })}\n`;
      md5.update(text);
      if (!out.write(text)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const { size } = await stat(path);
    const small = await client.files.create({ file: await toFile(Buffer.from('{"custom_id":"a"}\n'), 'small.jsonl'), purpose: 'batch' });

    // Act: the Uploads API, parts sent three at a time, in whatever order they finish.
    const upload = await client.uploads.create({
      bytes: size,
      filename: 'embeddings.jsonl',
      mime_type: 'application/jsonl',
      purpose: 'batch',
    });
    const partIds: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let index = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: PART_BYTES })) {
      const at = index++;
      const sent = client.uploads.parts.create(upload.id, { data: await toFile(chunk as Buffer, `part-${at}`) }).then((part) => {
        partIds[at] = part.id;
      });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= 3) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const completed = await client.uploads.complete(upload.id, { part_ids: partIds, md5: md5.digest('hex') });
    const input = completed.file!;
    const created = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/embeddings', completion_window: '24h' });
    const batch = await waitFor(
      () => client.batches.retrieve(created.id),
      (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status),
      900_000,
      2_000,
    );
    const output = await client.files.retrieve(batch.output_file_id!);
    // Read the results as they stream in, a line at a time, never holding the whole file.
    const response = await client.files.content(output.id);
    let received = 0;
    let rest = '';
    const customIds: string[] = [];
    const decoder = new TextDecoder();
    for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) {
      received += piece.length;
      const lines = (rest + decoder.decode(piece, { stream: true })).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const parsed = JSON.parse(line);
        if (parsed.response?.status_code === 200 && parsed.response.body.data.length === INPUTS_PER_LINE) customIds.push(parsed.custom_id);
      }
    }
    const ascending = await client.files.list({ order: 'asc', purpose: 'batch' });
    const outputs = await client.files.list({ order: 'asc', purpose: 'batch_output' });
    const deleted = await client.files.delete(input.id);
    const deletedOutput = await client.files.delete(output.id);
    const headOf = (key: string) =>
      s3.send(new HeadObjectCommand({ Bucket: platform.bucket, Key: key })).then(
        () => 'present',
        (error: { name?: string }) => error.name,
      );

    // Assess
    expect(size).toBeGreaterThanOrEqual(MIN_INPUT_BYTES);
    expect(index).toBeGreaterThan(45);
    expect(completed).toMatchObject({ status: 'completed', bytes: size, file: { object: 'file', bytes: size, purpose: 'batch' } });
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: LINES, completed: LINES, failed: 0 } });
    expect(output.bytes).toBeGreaterThanOrEqual(MIN_OUTPUT_BYTES);
    expect(received).toBe(output.bytes);
    expect(rest).toBe('');
    expect(customIds.sort()).toEqual(Array.from({ length: LINES }, (_, line) => `line-${line}`).sort());
    expect(ascending.data.map((file) => file.id)).toEqual([small.id, input.id]);
    expect(outputs.data.map((file) => file.id)).toEqual([output.id]);
    expect([deleted, deletedOutput]).toEqual([
      { id: input.id, object: 'file', deleted: true },
      { id: output.id, object: 'file', deleted: true },
    ]);
    expect(await headOf(`files/local/${input.id}`)).toBe('NotFound');
    expect(await headOf(`outputs/${batch.id}/results.jsonl`)).toBe('NotFound');
    await expect(client.files.retrieve(input.id)).rejects.toMatchObject({ status: 404 });
  }, 1_200_000);
});
