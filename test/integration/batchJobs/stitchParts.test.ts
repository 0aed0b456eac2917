import { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { S3ObjectStore } from '../../../shared/adapters/aws/S3ObjectStore';
import { countedPartMetadata } from '../../../shared/batchJobs/lines/constants';
import { stitchParts, type StitchPart } from '../../../shared/batchJobs/lines/stitchParts';
import type { ObjectAssembler, ObjectStore } from '../../../shared/domain/ports';
import { startLocalS3, type LocalS3 } from '../../../shared/devTools/localPlatform/s3';

/*
 * Finalize's stitching against the S3 stand-in (which, as S3, refuses a part but the
 * last under 5 MiB): parts of 5 MiB and more whose writer counted their lines are copied
 * (UploadPartCopy), the small ones read and gathered, and the object written is byte for
 * byte the one streaming every part writes.
 */

const BUCKET = 'stitch';
const MiB = 1024 * 1024;

/** `bytes` or a little more of JSON lines, numbered from `from`, each ending in a newline. */
function lines(bytes: number, from: number): { text: string; count: number } {
  const out: string[] = [];
  let size = 0;
  for (let n = from; size < bytes; n += 1) {
    const line = `${JSON.stringify({ custom_id: `line-${n}`, response: { body: { pad: 'x'.repeat(900 + (n % 50)) } } })}\n`;
    out.push(line);
    size += line.length;
  }
  return { text: out.join(''), count: out.length };
}

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

describe('stitchParts against the S3 stand-in', () => {
  let server: LocalS3;
  let client: S3Client;
  let store: S3ObjectStore;
  /** The same bucket without the assembler: every part streamed, as before copies. */
  let streamingOnly: ObjectStore;
  let calls: { starts: number; copies: Array<{ key: string; range?: { start: number; end: number } }>; uploads: number[] };
  let counting: ObjectStore;

  beforeAll(async () => {
    server = await startLocalS3({ port: 0 });
    await server.createBucket(BUCKET);
    client = new S3Client({
      endpoint: server.url,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    store = new S3ObjectStore(client);
    streamingOnly = { head: store.head.bind(store), read: store.read.bind(store), write: store.write.bind(store) };
    const assembler: ObjectAssembler = {
      minPartBytes: store.assembler.minPartBytes,
      start: async (bucket, key, options) => {
        calls.starts += 1;
        const assembly = await store.assembler.start(bucket, key, options);
        return {
          upload: (body) => {
            calls.uploads.push(body.length);
            return assembly.upload(body);
          },
          copy: (source, range) => {
            calls.copies.push(range ? { key: source, range } : { key: source });
            return assembly.copy(source, range);
          },
          complete: () => assembly.complete(),
          abort: () => assembly.abort(),
        };
      },
    };
    counting = { ...streamingOnly, assembler };
  });
  beforeEach(() => {
    calls = { starts: 0, copies: [], uploads: [] };
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  /** Writes a part; `counted` parts carry their line count, as the worker's do. */
  const put = async (key: string, body: string, counted: number | undefined) =>
    store.write(BUCKET, key, body, counted === undefined ? {} : { metadata: countedPartMetadata(counted) });

  it('copies the large counted parts, tops up small bytes before one with a ranged read, and writes what streaming writes', async () => {
    // Prepare: small parts between large ones, one small part without a final newline, one large part not counted.
    const big1 = lines(6 * MiB, 0);
    const big2 = lines(11 * MiB, 10_000);
    const big3 = lines(6 * MiB, 30_000);
    const uncounted = lines(6 * MiB, 40_000);
    const small = lines(200 * 1024, 50_000);
    await put('p/big1', big1.text, big1.count);
    await put('p/small-a', small.text, small.count);
    await put('p/big2', big2.text, big2.count);
    await put('p/no-newline', '{"custom_id":"last"}', undefined);
    await put('p/big3', big3.text, big3.count);
    await put('p/uncounted', uncounted.text, undefined);
    await put('p/empty', '', 0);
    await put('p/big1-again', big1.text, big1.count);
    const parts: StitchPart[] = [
      'p/big1',
      'p/small-a',
      'p/big2',
      'p/no-newline',
      'p/big3',
      'p/uncounted',
      'p/empty',
      'p/big1-again',
      { key: 'p/small-a', rewrite: (line) => line.replace('line-', 'rewritten-') },
    ];

    // Act
    const streamed = await stitchParts(streamingOnly, BUCKET, parts, 'out/streamed.jsonl');
    const stitched = await stitchParts(counting, BUCKET, parts, 'out/stitched.jsonl');

    // Assess: the same object, the same tally.
    const expected = await text(await store.read(BUCKET, 'out/streamed.jsonl'));
    const written = await text(await store.read(BUCKET, 'out/stitched.jsonl'));
    expect(written.length).toBe(expected.length);
    expect(written === expected).toBe(true);
    expect({ bytes: stitched.bytes, lines: stitched.lines }).toEqual({ bytes: streamed.bytes, lines: streamed.lines });
    expect(streamed.lines).toBe(big1.count * 2 + small.count * 2 + big2.count + 1 + big3.count + uncounted.count);
    expect(written.endsWith('\n')).toBe(true);
    // big1 copied whole; big2 topped up after small-a (ranged read) and its rest copied by range; big3
    // after the lone short line read whole (its rest would be under 5 MiB); the uncounted part read
    // (8 MiB uploaded, the rest kept); big1-again topped up to 5 MiB and its rest copied by range.
    const topUp = 5 * MiB - small.text.length;
    expect(calls.starts).toBe(1);
    expect(calls.copies).toEqual([
      { key: 'p/big1' },
      { key: 'p/big2', range: { start: topUp, end: big2.text.length - 1 } },
      { key: 'p/big1-again', range: { start: expect.any(Number), end: big1.text.length - 1 } },
    ]);
    expect(calls.uploads.slice(0, -1).every((size) => size >= 5 * MiB)).toBe(true);
  });

  it('streams when no part is large enough to copy, with no multipart upload', async () => {
    // Prepare
    const a = lines(100 * 1024, 0);
    const b = lines(100 * 1024, 1_000);
    await put('q/a', a.text, a.count);
    await put('q/b', b.text, b.count);

    // Act
    const stitched = await stitchParts(counting, BUCKET, ['q/a', 'q/b'], 'out/small.jsonl');

    // Assess
    expect(calls.starts).toBe(0);
    expect(stitched).toEqual({ bucket: BUCKET, key: 'out/small.jsonl', bytes: a.text.length + b.text.length, lines: a.count + b.count });
    expect(await text(await store.read(BUCKET, 'out/small.jsonl'))).toBe(a.text + b.text);
  });

  it("reads no part the store reports empty, as a job's error parts mostly are", async () => {
    // Prepare: one small part among empty ones.
    const a = lines(10 * 1024, 0);
    await put('e/empty-1', '', 0);
    await put('e/a', a.text, a.count);
    await put('e/empty-2', '', 0);
    const reads: string[] = [];
    const watched: ObjectStore = {
      ...counting,
      read: (bucket, key, options) => {
        reads.push(key);
        return store.read(bucket, key, options);
      },
    };

    // Act
    const stitched = await stitchParts(watched, BUCKET, ['e/empty-1', 'e/a', 'e/empty-2'], 'out/sparse.jsonl');

    // Assess
    expect(reads).toEqual(['e/a']);
    expect(stitched).toEqual({ bucket: BUCKET, key: 'out/sparse.jsonl', bytes: a.text.length, lines: a.count });
    expect(await text(await store.read(BUCKET, 'out/sparse.jsonl'))).toBe(a.text);
  });
});
