import { createS3Client } from '../../../../shared/adapters/aws/clients';
import { S3UploadUrlSigner } from '../../../../shared/adapters/aws/S3UploadUrlSigner';

describe('S3UploadUrlSigner', () => {
  it('signs a SigV4 query-authenticated PUT of that one key, for the time asked, with no checksum of an empty body', async () => {
    // Prepare
    const env = { AWS_S3_FORCE_PATH_STYLE: 'true' } as NodeJS.ProcessEnv;
    const client = createS3Client(env, { forPresigning: true });
    client.config.credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
    client.config.region = async () => 'eu-west-1';
    const signer = new S3UploadUrlSigner(client);

    // Act
    const url = new URL(await signer.signPut('bucket-1', 'files/tenant-a/file-abc', 3600));

    // Assess
    expect(url.pathname).toBe('/bucket-1/files/tenant-a/file-abc');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect([...url.searchParams.keys()].filter((name) => name.toLowerCase().includes('checksum'))).toEqual([]);
  });
});
