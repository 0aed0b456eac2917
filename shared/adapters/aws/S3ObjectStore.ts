import { Readable } from 'node:stream';
import {
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ObjectChangedError, ObjectMissingError } from '../../batchJobs/job/errors';
import type { DeletableObjectStore, ObjectAssembler, ObjectInfo } from '../../domain/ports';
import { S3_MIN_PART_BYTES, S3ObjectAssembly } from './S3ObjectAssembly';

/** Parts of a streamed upload: S3's 5 MiB minimum plus room, two in flight (bounded memory). */
const PART_SIZE = 8 * 1024 * 1024;

/** The platform bucket through the S3 API. Streams are uploaded multipart, so writes take constant memory. */
export class S3ObjectStore implements DeletableObjectStore {
  constructor(private readonly client: S3Client) {}

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        size: head.ContentLength ?? 0,
        etag: head.ETag ?? '',
        metadata: head.Metadata ?? {},
        ...(head.ContentType ? { contentType: head.ContentType } : {}),
      };
    } catch (error) {
      if (
        error instanceof NotFound ||
        (error as { name?: string }).name === 'NotFound' ||
        (error as { name?: string }).name === 'NoSuchKey'
      )
        return undefined;
      throw error;
    }
  }

  async read(bucket: string, key: string, options: { start?: number; end?: number; ifMatch?: string } = {}): Promise<Readable> {
    const range = options.start === undefined && options.end === undefined ? undefined : `bytes=${options.start ?? 0}-${options.end ?? ''}`;
    let Body: unknown;
    try {
      ({ Body } = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range, IfMatch: options.ifMatch })));
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
    if (!(body instanceof Readable)) {
      await this.client.send(new PutObjectCommand({ ...params, Body: body }));
      return;
    }
    await new Upload({ client: this.client, params: { ...params, Body: body }, partSize: PART_SIZE, queueSize: 2 }).done();
  }

  /** Multipart uploads whose parts are uploaded or copied from objects of the bucket (UploadPartCopy). */
  readonly assembler: ObjectAssembler = {
    minPartBytes: S3_MIN_PART_BYTES,
    start: async (bucket, key, options = {}) => {
      const { UploadId } = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: options.contentType ?? 'application/jsonl' }),
      );
      if (!UploadId) throw new Error(`S3 returned no upload id for ${bucket}/${key}`);
      return new S3ObjectAssembly(this.client, bucket, key, UploadId);
    },
  };

  async delete(bucket: string, key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
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
