import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { startLocalS3, type LocalS3 } from '../../../../shared/devTools/localPlatform/s3';
import { s3ClientFor } from './standIns';

/*
 * The S3 stand-in against S3's documented multipart behaviour (UploadPartCopy,
 * CompleteMultipartUpload): a part is copied from an object, whole or by
 * `x-amz-copy-source-range: bytes=first-last` (zero-based, inclusive); its ETag is the
 * MD5 of the bytes copied; every part but the last must be at least 5 MiB, or
 * CompleteMultipartUpload answers 400 EntityTooSmall; a copy into an upload that does not
 * exist is NoSuchUpload, from a key that does not exist NoSuchKey; AbortMultipartUpload
 * drops the upload (204), after which it is NoSuchUpload.
 */

const BUCKET = 'copies';
const MiB = 1024 * 1024;

/** Bytes that differ along the object, so a misplaced range shows. */
function patterned(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let at = 0; at < size; at += 1) bytes[at] = (at * 31 + seed) % 251;
  return bytes;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('S3 stand-in: UploadPartCopy, AbortMultipartUpload and the 5 MiB part minimum', () => {
  let s3: LocalS3;
  let client: S3Client;
  const big = patterned(6 * MiB, 7);
  const small = patterned(1000, 3);

  beforeAll(async () => {
    s3 = await startLocalS3({ port: 0 });
    await s3.createBucket(BUCKET);
    client = s3ClientFor(s3.url);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'parts/big part.jsonl', Body: big }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'parts/small.jsonl', Body: small }));
  });

  afterAll(async () => {
    client.destroy();
    await s3.close();
  });

  const start = async (key: string) => (await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))).UploadId!;
  const copy = async (key: string, uploadId: string, partNumber: number, source: string, range?: string) => {
    const { CopyPartResult } = await client.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        CopySource: `${BUCKET}/${source.split('/').map(encodeURIComponent).join('/')}`,
        ...(range ? { CopySourceRange: range } : {}),
      }),
    );
    return { PartNumber: partNumber, ETag: CopyPartResult!.ETag! } satisfies CompletedPart;
  };
  const read = async (key: string) =>
    Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error as S3ServiceException,
    );

  it('copies a whole object and a byte range as parts, beside an uploaded part, in part-number order; each part ETag is its MD5', async () => {
    // Prepare
    const key = 'out/joined.jsonl';
    const uploadId = await start(key);
    const tail = patterned(5 * MiB + 17, 11);

    // Act: part 1 the big object whole, part 2 uploaded, part 3 a range of the big object (the last, any size).
    const first = await copy(key, uploadId, 1, 'parts/big part.jsonl');
    const { ETag: secondTag } = await client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 2, Body: tail }),
    );
    const third = await copy(key, uploadId, 3, 'parts/big part.jsonl', 'bytes=100-1099');
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: [first, { PartNumber: 2, ETag: secondTag! }, third] },
      }),
    );

    // Assess
    expect(first.ETag).toBe(`"${md5(big)}"`);
    expect(third.ETag).toBe(`"${md5(big.subarray(100, 1100))}"`);
    expect((await read(key)).equals(Buffer.concat([big, tail, big.subarray(100, 1100)]))).toBe(true);
  });

  it('takes a last part under 5 MiB, copied from a small object', async () => {
    // Prepare
    const key = 'out/small-last.jsonl';
    const uploadId = await start(key);

    // Act
    const parts = [await copy(key, uploadId, 1, 'parts/big part.jsonl'), await copy(key, uploadId, 2, 'parts/small.jsonl')];
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );

    // Assess
    expect((await read(key)).equals(Buffer.concat([big, small]))).toBe(true);
  });

  it('refuses a part other than the last under 5 MiB at CompleteMultipartUpload: 400 EntityTooSmall, and makes no object', async () => {
    // Prepare: a small copied part first, then a big one.
    const key = 'out/too-small.jsonl';
    const uploadId = await start(key);
    const parts = [await copy(key, uploadId, 1, 'parts/small.jsonl'), await copy(key, uploadId, 2, 'parts/big part.jsonl')];

    // Act
    const error = await failure(
      client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
    );

    // Assess
    expect(error).toMatchObject({ name: 'EntityTooSmall', $metadata: { httpStatusCode: 400 } });
    expect(await failure(read(key))).toMatchObject({ name: 'NoSuchKey' });
  });

  it('drops an aborted upload: 204, then NoSuchUpload for a part copied into it or a second abort', async () => {
    // Prepare
    const key = 'out/aborted.jsonl';
    const uploadId = await start(key);
    await copy(key, uploadId, 1, 'parts/small.jsonl');

    // Act
    const aborted = await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    const copyAfter = await failure(copy(key, uploadId, 2, 'parts/small.jsonl'));
    const abortAgain = await failure(client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })));

    // Assess
    expect(aborted.$metadata.httpStatusCode).toBe(204);
    expect(copyAfter).toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    expect(abortAgain).toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
  });

  it('answers NoSuchUpload for an unknown upload, NoSuchKey for a missing source, InvalidArgument for a range past the end', async () => {
    // Prepare
    const key = 'out/errors.jsonl';
    const uploadId = await start(key);

    // Act
    const noUpload = await failure(copy(key, 'no-such-upload', 1, 'parts/small.jsonl'));
    const noSource = await failure(copy(key, uploadId, 1, 'parts/missing.jsonl'));
    const pastEnd = await failure(copy(key, uploadId, 1, 'parts/small.jsonl', 'bytes=0-1000'));
    const malformed = await failure(copy(key, uploadId, 1, 'parts/small.jsonl', 'bytes=10-'));

    // Assess
    expect(noUpload).toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    expect(noSource).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(pastEnd).toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    expect(malformed).toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
  });
});
