import { createHandler as filesHandler } from '../../../../functions/http/files';
import { expireFiles, FileService } from '../../../../shared/batchJobs/api/FileService';
import type { UploadUrlSigner } from '../../../../shared/batchJobs/job/ports';
import { BUCKET, httpEvent, invoke, JSONL, setup, START_MS, TENANT_A, TENANT_B, type Platform } from './fixtures';

/** Signs nothing: answers a URL naming what it was asked to sign. */
const signer: UploadUrlSigner = {
  signPut: async (bucket, key, seconds) => `https://s3.test/${bucket}/${key}?X-Amz-Expires=${seconds}`,
};

function presignedSetup() {
  const platform = setup();
  const service = new FileService({
    files: platform.fileStore,
    objects: platform.objects,
    bucket: BUCKET,
    signer,
    now: () => platform.clock.ms,
  });
  return { ...platform, files: filesHandler({ service }) };
}

const presign = (platform: Platform, body: Record<string, unknown> = {}, tenant = TENANT_A) =>
  invoke(platform.files, httpEvent('filesPresigned', { tenant, body: { filename: 'big.jsonl', purpose: 'batch', ...body } }));

const createBatch = (platform: Platform, fileId: string) =>
  invoke(
    platform.batches,
    httpEvent('batchesCreate', { body: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } }),
  );

describe('POST /v1/files/presigned', () => {
  it('creates a pending File and a PUT URL for its key under the tenant, valid an hour', async () => {
    // Act
    const platform = presignedSetup();
    const answer = await presign(platform, { bytes: 2048 });

    // Assert
    expect(answer.status).toBe(200);
    const { file } = answer.body;
    expect(file).toMatchObject({ object: 'file', status: 'pending', filename: 'big.jsonl', purpose: 'batch', bytes: 2048 });
    expect(answer.body).toMatchObject({
      method: 'PUT',
      upload_url: `https://s3.test/${BUCKET}/files/${TENANT_A}/${file.id}?X-Amz-Expires=3600`,
      expires_at: START_MS / 1000 + 3600,
      max_bytes: 5 * 1024 ** 3,
    });
  });

  it('refuses a purpose other than batch, a non-JSONL name and unknown fields (400)', async () => {
    const platform = presignedSetup();
    expect((await presign(platform, { purpose: 'fine-tune' })).body.error.param).toBe('purpose');
    expect((await presign(platform, { filename: 'a.csv' })).status).toBe(400);
    expect((await presign(platform, { bytes: 6 * 1024 ** 3 })).status).toBe(400);
    expect((await presign(platform, { colour: 'red' })).status).toBe(400);
  });

  it('marks the file processed with its real size once the object is there, and a batch then takes it', async () => {
    // Arrange
    const platform = presignedSetup();
    const { file } = (await presign(platform, { bytes: 1, expires_after: { anchor: 'created_at', seconds: 7200 } })).body;
    await platform.objects.write(BUCKET, `files/${TENANT_A}/${file.id}`, JSONL);

    // Act
    const retrieved = await invoke(platform.files, httpEvent('filesRetrieve', { path: { fileId: file.id } }));
    const batch = await createBatch(platform, file.id);

    // Assert
    expect(retrieved.body).toMatchObject({ status: 'processed', bytes: Buffer.byteLength(JSONL), expires_at: file.created_at + 7200 });
    expect(platform.fileStore.files.get(file.id)?.pendingUpload).toBeUndefined();
    expect(batch.status).toBe(200);
    expect(batch.body.input_file_id).toBe(file.id);
  });

  it('shows a file whose bytes never came as pending, and a batch over it gets 400 file_not_ready', async () => {
    // Arrange
    const platform = presignedSetup();
    const { file } = (await presign(platform)).body;

    // Act
    const retrieved = await invoke(platform.files, httpEvent('filesRetrieve', { path: { fileId: file.id } }));
    const content = await invoke(platform.fileContent, httpEvent('filesContent', { path: { fileId: file.id } }));
    const batch = await createBatch(platform, file.id);

    // Assert
    expect(retrieved.body.status).toBe('pending');
    expect(batch.status).toBe(400);
    expect(batch.body.error).toMatchObject({ code: 'file_not_ready', param: 'input_file_id', type: 'invalid_request_error' });
    expect(content.status).toBe(400);
    expect(content.body.error.code).toBe('file_not_ready');
  });

  it('keeps another tenant out', async () => {
    const platform = presignedSetup();
    const { file } = (await presign(platform)).body;
    const answer = await invoke(platform.files, httpEvent('filesRetrieve', { tenant: TENANT_B, path: { fileId: file.id } }));
    expect(answer.status).toBe(404);
  });

  it('the sweep removes a pending file past its URL (and grace) with no object, and keeps one whose bytes came', async () => {
    // Arrange
    const platform = presignedSetup();
    const never = (await presign(platform)).body.file;
    const put = (await presign(platform)).body.file;
    await platform.objects.write(BUCKET, `files/${TENANT_A}/${put.id}`, JSONL);
    const deps = { files: platform.fileStore, objects: platform.objects, now: () => START_MS + 3 * 3600 * 1000 };

    // Act
    const removed = await expireFiles(deps);

    // Assert
    expect(removed).toEqual([never.id]);
    expect(platform.fileStore.files.get(put.id)).toMatchObject({ bytes: Buffer.byteLength(JSONL) });
    expect(platform.fileStore.files.get(put.id)?.expiresAt).toBeUndefined();
  });
});
