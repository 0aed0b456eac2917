import OpenAI from 'openai';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { waitFor } from '../helpers/waitFor';

/** What `POST /v1/files/presigned` answers (our route; the `openai` client reaches it with `client.post`). */
interface PresignedUpload {
  file: OpenAI.FileObject;
  upload_url: string;
  method: 'PUT';
  expires_at: number;
  max_bytes: number;
}

const LINES = 5;
const JSONL = Array.from(
  { length: LINES },
  (_, i) =>
    `${JSON.stringify({ custom_id: `line-${i}`, method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input: `text ${i}` } })}\n`,
).join('');

/**
 * A presigned upload end to end on the local platform: the URL from the route, the bytes
 * PUT to it with plain `fetch` (straight to the local S3, no API in between), then the
 * official `openai` client runs a batch over the file id and reads its results.
 */
describe('presigned uploads (POST /v1/files/presigned)', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess();
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const presign = () => client.post<PresignedUpload>('/files/presigned', { body: { filename: 'presigned.jsonl', purpose: 'batch' } });

  it('PUTs a file to the URL with fetch, then runs a batch over it with the openai client', async () => {
    // Act
    const presigned = await presign();
    const before = await client.files.retrieve(presigned.file.id);
    const put = await fetch(presigned.upload_url, { method: presigned.method, body: JSONL });
    const after = await client.files.retrieve(presigned.file.id);
    const created = await client.batches.create({ input_file_id: presigned.file.id, endpoint: '/v1/embeddings', completion_window: '24h' });
    const batch = await waitFor(
      () => client.batches.retrieve(created.id),
      (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status),
      120_000,
      500,
    );
    const results = await (await client.files.content(batch.output_file_id!)).text();

    // Assess
    expect(presigned.file).toMatchObject({ object: 'file', purpose: 'batch', status: 'pending', filename: 'presigned.jsonl' });
    expect(presigned.upload_url).toContain(`/files/local/${presigned.file.id}`);
    expect(before.status).toBe('pending');
    expect(put.status).toBe(200);
    expect(after).toMatchObject({ status: 'processed', bytes: Buffer.byteLength(JSONL) });
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: LINES, completed: LINES, failed: 0 } });
    const lines = results
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.custom_id).sort()).toEqual(Array.from({ length: LINES }, (_, i) => `line-${i}`));
    expect(lines.every((line) => line.response?.status_code === 200)).toBe(true);
  }, 180_000);

  it('refuses a batch over a file whose bytes were never PUT (400 file_not_ready)', async () => {
    // Act
    const presigned = await presign();
    const refused = client.batches.create({ input_file_id: presigned.file.id, endpoint: '/v1/embeddings', completion_window: '24h' });

    // Assess
    await expect(refused).rejects.toMatchObject({ status: 400, code: 'file_not_ready', param: 'input_file_id' });
  }, 60_000);
});
