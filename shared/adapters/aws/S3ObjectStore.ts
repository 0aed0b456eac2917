import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { ObjectChangedError, ObjectMissingError } from '../../batchJobs/job/errors';
import type { DeletableObjectStore, ObjectAssembler, ObjectInfo } from '../../domain/ports';
import { type ClientSource, clientOnFirstUse } from './lazyClient';
import { S3_MIN_PART_BYTES, S3ObjectAssembly } from './S3ObjectAssembly';

/** Parts of a streamed upload: S3's 5 MiB minimum plus room, two in flight (bounded memory). */
const PART_SIZE = 8 * 1024 * 1024;

/** `@aws-sdk/client-s3`, imported at the first S3 call of the process (see {@link S3ObjectStore}). */
let s3Sdk: Promise<typeof import('@aws-sdk/client-s3')> | undefined;
const loadS3Sdk = () => {
  s3Sdk ??= import('@aws-sdk/client-s3');
  return s3Sdk;
};

/**
 * The platform bucket through the S3 API. Streams are uploaded multipart, so writes take constant memory.
 *
 * The SDK's commands are imported at the first call: a function that builds its client at
 * cold start (`createS3Client`) has loaded the package by then, and one that rarely calls
 * S3 gives a loader (`loadS3Client`), so its cold start loads neither (see lazyClient.ts).
 */
export class S3ObjectStore implements DeletableObjectStore {
  readonly #client: () => Promise<S3Client>;

  constructor(client: ClientSource<S3Client>) {
    this.#client = clientOnFirstUse(client);
  }

  /** The client and the SDK's commands. */
  #s3(): Promise<[S3Client, typeof import('@aws-sdk/client-s3')]> {
    return Promise.all([this.#client(), loadS3Sdk()]);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const [client, { HeadObjectCommand }] = await this.#s3();
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        size: head.ContentLength ?? 0,
        etag: head.ETag ?? '',
        metadata: head.Metadata ?? {},
        ...(head.ContentType ? { contentType: head.ContentType } : {}),
      };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async read(bucket: string, key: string, options: { start?: number; end?: number; ifMatch?: string } = {}): Promise<Readable> {
    const range = options.start === undefined && options.end === undefined ? undefined : `bytes=${options.start ?? 0}-${options.end ?? ''}`;
    const [client, { GetObjectCommand }] = await this.#s3();
    let Body: unknown;
    try {
      ({ Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range, IfMatch: options.ifMatch })));
    } catch (error) {
      throw readFailure(error, bucket, key);
    }
    if (!(Body instanceof Readable)) throw new Error(`S3 returned no stream for ${bucket}/${key}`);
    return Body;
  }

  async write(
    bucket: string,
    key: string,
    body: string | Buffer | Readable,
    options: { contentType?: string; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    const params = { Bucket: bucket, Key: key, ContentType: options.contentType ?? 'application/jsonl', Metadata: options.metadata };
    const [client, { PutObjectCommand }] = await this.#s3();
    if (!(body instanceof Readable)) {
      await client.send(new PutObjectCommand({ ...params, Body: body }));
      return;
    }
    const { Upload } = await import('@aws-sdk/lib-storage');
    await new Upload({ client, params: { ...params, Body: body }, partSize: PART_SIZE, queueSize: 2 }).done();
  }

  /** Multipart uploads whose parts are uploaded or copied from objects of the bucket (UploadPartCopy). */
  readonly assembler: ObjectAssembler = {
    minPartBytes: S3_MIN_PART_BYTES,
    start: async (bucket, key, options = {}) => {
      const [client, sdk] = await this.#s3();
      const { UploadId } = await client.send(
        new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: options.contentType ?? 'application/jsonl' }),
      );
      if (!UploadId) throw new Error(`S3 returned no upload id for ${bucket}/${key}`);
      return new S3ObjectAssembly(client, sdk, bucket, key, UploadId);
    },
  };

  async delete(bucket: string, key: string): Promise<void> {
    const [client, { DeleteObjectCommand }] = await this.#s3();
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
}

/**
 * A failed GetObject as the port names it: 412 (the version pinned by `IfMatch` is no
 * longer there) is {@link ObjectChangedError}, 404 is {@link ObjectMissingError}; anything
 * else (throttling, a network error) is thrown as it came, to be retried.
 */
export function readFailure(error: unknown, bucket: string, key: string): unknown {
  const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = failure.$metadata?.httpStatusCode;
  if (failure.name === 'PreconditionFailed' || status === 412) return new ObjectChangedError(bucket, key, { cause: error });
  if (failure.name === 'NoSuchKey' || failure.name === 'NotFound' || status === 404)
    return new ObjectMissingError(bucket, key, { cause: error });
  return error;
}
