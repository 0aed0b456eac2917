import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import type { ObjectAssembly } from '../../domain/ports';

/** S3's smallest part but the last of a multipart upload: 5 MiB. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's most parts in one multipart upload. */
export const S3_MAX_PARTS = 10_000;

/**
 * One S3 multipart upload, its parts uploaded (UploadPart) or copied from objects of the
 * same bucket (UploadPartCopy, with `x-amz-copy-source-range` for a byte range). Part
 * numbers follow the order of the calls, so parts may be sent at once; `complete` waits
 * for all of them and lists them in order.
 */
export class S3ObjectAssembly implements ObjectAssembly {
  readonly #parts: Array<Promise<CompletedPart>> = [];

  /**
   * `sdk` is `@aws-sdk/client-s3` as the store imported it (at its first call, so a
   * function that rarely writes to S3 does not load the package at cold start).
   */
  constructor(
    private readonly client: S3Client,
    private readonly sdk: typeof import('@aws-sdk/client-s3'),
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
  ) {}

  upload(body: Buffer): Promise<void> {
    return this.#add(async (PartNumber) => {
      const { ETag } = await this.client.send(
        new this.sdk.UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body }),
      );
      return { PartNumber, ETag };
    });
  }

  copy(key: string, range?: { start: number; end: number }): Promise<void> {
    return this.#add(async (PartNumber) => {
      const { CopyPartResult } = await this.client.send(
        new this.sdk.UploadPartCopyCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          PartNumber,
          CopySource: copySourceOf(this.bucket, key),
          ...(range ? { CopySourceRange: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return { PartNumber, ETag: CopyPartResult?.ETag };
    });
  }

  async complete(): Promise<void> {
    const parts = await Promise.all(this.#parts);
    await this.client.send(
      new this.sdk.CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }

  async abort(): Promise<void> {
    // Parts still being sent would outlive the abort and be stored: let them end first.
    await Promise.allSettled(this.#parts);
    await this.client.send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }));
  }

  #add(send: (partNumber: number) => Promise<CompletedPart>): Promise<void> {
    const partNumber = this.#parts.length + 1;
    if (partNumber > S3_MAX_PARTS) return Promise.reject(new Error(`S3 takes at most ${S3_MAX_PARTS} parts in one upload`));
    const part = send(partNumber);
    // Kept for `complete`, which reports a failure; the caller is told through the promise returned.
    part.catch(() => undefined);
    this.#parts.push(part);
    return part.then(() => undefined);
  }
}

/** `x-amz-copy-source`: the bucket and the key, URL-encoded (slashes kept), as S3 documents it. */
export function copySourceOf(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
