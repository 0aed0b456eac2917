import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { UploadUrlSigner } from '../../batchJobs/job/ports';

/**
 * Presigned S3 PUT URLs (SigV4 query authentication). The URL carries the rights of the
 * role that signs it, so that role needs s3:PutObject on the key's prefix.
 */
export class S3UploadUrlSigner implements UploadUrlSigner {
  constructor(private readonly client: S3Client) {}

  signPut(bucket: string, key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresInSeconds });
  }
}
