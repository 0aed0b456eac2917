import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startLocalS3, type LocalS3 } from '../../../../shared/devTools/localPlatform/s3';
import { s3ClientFor } from './standIns';

/**
 * Conformance of the local S3 with S3's conditional requests, as the S3 API reference
 * states them (GetObject / HeadObject `If-Match`, `If-None-Match`, `If-Modified-Since`,
 * `If-Unmodified-Since`, RFC 7232; PutObject conditional writes, "How to prevent object
 * overwrites with conditional writes" in the S3 User Guide):
 *
 * - If-Match: the object only if its ETag is the one given, otherwise 412 Precondition Failed.
 * - If-None-Match: the object only if its ETag differs, otherwise 304 Not Modified.
 * - If-Modified-Since: the object only if modified since, otherwise 304 Not Modified.
 * - If-Unmodified-Since: the object only if not modified since, otherwise 412.
 * - If-Match true and If-Unmodified-Since false: 200 OK and the data.
 * - If-None-Match false and If-Modified-Since true: 304 Not Modified.
 * - PutObject If-None-Match: * on an existing key: 412; If-Match with another ETag: 412;
 *   If-Match on a key with no current version: 404 NoSuchKey.
 */
const BUCKET = 'conditional';
const KEY = 'inbox/acme/input.jsonl';
const WRONG_ETAG = '"00000000000000000000000000000000"';

const statusOf = async (promise: Promise<unknown>): Promise<{ status: number | undefined; name?: string }> => {
  try {
    const output = (await promise) as { $metadata: { httpStatusCode?: number } };
    return { status: output.$metadata.httpStatusCode };
  } catch (error) {
    const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { status: failure.$metadata?.httpStatusCode, name: failure.name };
  }
};

describe('local S3: conditional requests as S3 answers them', () => {
  let s3: LocalS3;
  let client: S3Client;
  let etag: string;
  let lastModified: Date;

  beforeAll(async () => {
    s3 = await startLocalS3({ port: 0 });
    await s3.createBucket(BUCKET);
    client = s3ClientFor(s3.url);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: '{"a":1}\n{"b":2}\n' }));
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    etag = head.ETag!;
    lastModified = head.LastModified!;
  });

  afterAll(async () => {
    client.destroy();
    await s3.close();
  });

  const get = (conditions: Record<string, unknown>, range?: string) =>
    client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, ...(range ? { Range: range } : {}), ...conditions }));
  const head = (conditions: Record<string, unknown>) => client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY, ...conditions }));
  const earlier = () => new Date(lastModified.getTime() - 60_000);
  const later = () => new Date(lastModified.getTime() + 60_000);

  it('GET with the current ETag in If-Match answers the object (200, and 206 for a range)', async () => {
    // Act
    const whole = await get({ IfMatch: etag });
    const ranged = await get({ IfMatch: etag }, 'bytes=0-7');

    // Assess
    expect(await whole.Body!.transformToString()).toBe('{"a":1}\n{"b":2}\n');
    expect(whole.$metadata.httpStatusCode).toBe(200);
    expect(await ranged.Body!.transformToString()).toBe('{"a":1}\n');
    expect(ranged.$metadata.httpStatusCode).toBe(206);
  });

  it('GET and HEAD with another ETag in If-Match answer 412 PreconditionFailed, ranged or not', async () => {
    // Act
    const whole = await statusOf(get({ IfMatch: WRONG_ETAG }));
    const ranged = await statusOf(get({ IfMatch: WRONG_ETAG }, 'bytes=0-7'));
    const headed = await statusOf(head({ IfMatch: WRONG_ETAG }));

    // Assess
    expect(whole).toEqual({ status: 412, name: 'PreconditionFailed' });
    expect(ranged).toEqual({ status: 412, name: 'PreconditionFailed' });
    expect(headed.status).toBe(412);
  });

  it('If-Match accepts the ETag unquoted and within a list', async () => {
    // Act
    const bare = await statusOf(get({ IfMatch: etag.replace(/"/g, '') }));
    const listed = await statusOf(get({ IfMatch: `${WRONG_ETAG}, ${etag}` }));

    // Assess
    expect(bare.status).toBe(200);
    expect(listed.status).toBe(200);
  });

  it('GET and HEAD with the current ETag (or *) in If-None-Match answer 304; another ETag gets the object', async () => {
    // Act
    const same = await statusOf(get({ IfNoneMatch: etag }));
    const star = await statusOf(get({ IfNoneMatch: '*' }));
    const headed = await statusOf(head({ IfNoneMatch: etag }));
    const other = await statusOf(get({ IfNoneMatch: WRONG_ETAG }));

    // Assess
    expect(same.status).toBe(304);
    expect(star.status).toBe(304);
    expect(headed.status).toBe(304);
    expect(other.status).toBe(200);
  });

  it('If-Modified-Since answers 304 when not modified since, the object when modified since', async () => {
    // Act
    const notModified = await statusOf(get({ IfModifiedSince: later() }));
    const sameSecond = await statusOf(get({ IfModifiedSince: lastModified }));
    const modified = await statusOf(get({ IfModifiedSince: earlier() }));

    // Assess
    expect(notModified.status).toBe(304);
    expect(sameSecond.status).toBe(304);
    expect(modified.status).toBe(200);
  });

  it('If-Unmodified-Since answers 412 when modified since, the object when not', async () => {
    // Act
    const modified = await statusOf(get({ IfUnmodifiedSince: earlier() }));
    const unmodified = await statusOf(get({ IfUnmodifiedSince: later() }));

    // Assess
    expect(modified).toEqual({ status: 412, name: 'PreconditionFailed' });
    expect(unmodified.status).toBe(200);
  });

  it('If-Match true and If-Unmodified-Since false: 200 OK and the data', async () => {
    // Act
    const output = await get({ IfMatch: etag, IfUnmodifiedSince: earlier() });

    // Assess
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(await output.Body!.transformToString()).toBe('{"a":1}\n{"b":2}\n');
  });

  it('If-None-Match false and If-Modified-Since true: 304 Not Modified', async () => {
    // Act
    const outcome = await statusOf(get({ IfNoneMatch: etag, IfModifiedSince: earlier() }));

    // Assess
    expect(outcome.status).toBe(304);
  });

  it('a GET with If-Match of a key that does not exist answers 404 NoSuchKey', async () => {
    // Act
    const outcome = await statusOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'inbox/acme/missing.jsonl', IfMatch: etag })));

    // Assess
    expect(outcome).toEqual({ status: 404, name: 'NoSuchKey' });
  });

  it('PUT with If-None-Match: * creates a new key, and answers 412 for an existing one (leaving it as it was)', async () => {
    // Prepare
    const key = 'inbox/acme/once.jsonl';

    // Act
    const created = await statusOf(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first\n', IfNoneMatch: '*' })));
    const again = await statusOf(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second\n', IfNoneMatch: '*' })));
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));

    // Assess
    expect(created.status).toBe(200);
    expect(again).toEqual({ status: 412, name: 'PreconditionFailed' });
    expect(await stored.Body!.transformToString()).toBe('first\n');
  });

  it('PUT with If-Match replaces only the version named: another ETag answers 412, a missing key 404 NoSuchKey', async () => {
    // Prepare
    const key = 'inbox/acme/swap.jsonl';
    const first = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v1\n' }));

    // Act
    const stale = await statusOf(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v0\n', IfMatch: WRONG_ETAG })));
    const swapped = await statusOf(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v2\n', IfMatch: first.ETag })));
    const missing = await statusOf(
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbox/acme/none.jsonl', Body: 'x\n', IfMatch: first.ETag })),
    );
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));

    // Assess
    expect(stale).toEqual({ status: 412, name: 'PreconditionFailed' });
    expect(swapped.status).toBe(200);
    expect(missing).toEqual({ status: 404, name: 'NoSuchKey' });
    expect(await stored.Body!.transformToString()).toBe('v2\n');
  });

  it('a read pinned to the ETag of a replaced object fails with 412 instead of reading the new bytes', async () => {
    // Prepare
    const key = 'inbox/acme/replaced.jsonl';
    const first = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'old line\n' }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'new line\n' }));

    // Act
    const outcome = await statusOf(
      client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=0-3', IfMatch: first.ETag })),
    );

    // Assess
    expect(outcome).toEqual({ status: 412, name: 'PreconditionFailed' });
  });
});
