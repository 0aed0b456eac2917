import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../../shared/adapters/aws/S3ObjectStore';
import { ObjectChangedError, ObjectMissingError } from '../../../../shared/batchJobs/job/errors';
import { startLocalS3, type LocalS3 } from '../../../../shared/devTools/localPlatform/s3';

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

describe('S3ObjectStore against s3rver', () => {
  let server: LocalS3;
  let store: S3ObjectStore;

  beforeAll(async () => {
    server = await startLocalS3({ port: 0 });
    await server.createBucket('bucket');
    store = new S3ObjectStore(
      new S3Client({
        endpoint: server.url,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
  });
  afterAll(() => server.close());

  it('writes a string with metadata and reads it whole and by byte range', async () => {
    await store.write('bucket', 'inbox/t/a.jsonl', 'line one\nline two\n', { metadata: { model: 'titan-embed-text-v2' } });
    const head = await store.head('bucket', 'inbox/t/a.jsonl');
    expect(head).toMatchObject({ size: 18, metadata: { model: 'titan-embed-text-v2' } });
    expect(await text(await store.read('bucket', 'inbox/t/a.jsonl'))).toBe('line one\nline two\n');
    expect(await text(await store.read('bucket', 'inbox/t/a.jsonl', { start: 9, end: 16, ifMatch: head!.etag }))).toBe('line two');
  });

  it('a read pinned to a replaced version throws ObjectChangedError, a read of a deleted key ObjectMissingError', async () => {
    // Prepare
    await store.write('bucket', 'inbox/t/pinned.jsonl', 'old\n');
    const before = await store.head('bucket', 'inbox/t/pinned.jsonl');
    await store.write('bucket', 'inbox/t/pinned.jsonl', 'new\n');

    // Act
    const changed = await store
      .read('bucket', 'inbox/t/pinned.jsonl', { start: 0, end: 2, ifMatch: before!.etag })
      .catch((error: unknown) => error);
    const missing = await store.read('bucket', 'inbox/t/never.jsonl', { ifMatch: before!.etag }).catch((error: unknown) => error);

    // Assess
    expect(changed).toBeInstanceOf(ObjectChangedError);
    expect(missing).toBeInstanceOf(ObjectMissingError);
  });

  it('answers undefined for a missing object', async () => {
    expect(await store.head('bucket', 'nope')).toBeUndefined();
  });

  it('uploads a stream larger than one part, multipart', async () => {
    const line = `${'x'.repeat(1023)}\n`;
    const lines = 10 * 1024; // 10 MiB: two parts of 8 MiB
    await store.write(
      'bucket',
      'big.jsonl',
      Readable.from(
        (function* () {
          for (let i = 0; i < lines; i++) yield Buffer.from(line);
        })(),
      ),
    );
    expect((await store.head('bucket', 'big.jsonl'))!.size).toBe(lines * 1024);
    expect(await text(await store.read('bucket', 'big.jsonl', { start: 1024 * 9000, end: 1024 * 9000 + 9 }))).toBe('xxxxxxxxxx');
  });
});
