import { createHash } from 'node:crypto';
import { BUCKET, httpEvent, invoke, multipartBody, setup, START_MS, TENANT_A, TENANT_B, type Platform } from './fixtures';

/** Lines of a small batch file, cut into parts of `sizes` bytes (the last takes the rest). */
const TEXT = Array.from(
  { length: 40 },
  (_, i) =>
    `${JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input: `line ${i}` } })}\n`,
).join('');

async function createUpload(platform: Platform, body: Record<string, unknown> = {}, tenant = TENANT_A) {
  const request = { bytes: Buffer.byteLength(TEXT), filename: 'big.jsonl', mime_type: 'application/jsonl', purpose: 'batch', ...body };
  return invoke(platform.uploads, httpEvent('uploadsCreate', { tenant, body: request }));
}

async function addPart(platform: Platform, uploadId: string, data: Buffer | string, tenant = TENANT_A) {
  const { contentType, body } = await multipartBody([['data', new File([data], 'blob')]]);
  return invoke(
    platform.uploads,
    httpEvent('uploadsAddPart', {
      tenant,
      path: { uploadId },
      headers: { 'content-type': contentType },
      body: body.toString('base64'),
      base64: true,
    }),
  );
}

const complete = (platform: Platform, uploadId: string, body: Record<string, unknown>, tenant = TENANT_A) =>
  invoke(platform.uploadComplete, httpEvent('uploadsComplete', { tenant, path: { uploadId }, body }));

const cancel = (platform: Platform, uploadId: string, tenant = TENANT_A) =>
  invoke(platform.uploads, httpEvent('uploadsCancel', { tenant, path: { uploadId } }));

describe('the Uploads API', () => {
  it('creates a pending Upload as OpenAI shows it, open for an hour', async () => {
    // Act
    const platform = setup();
    const answer = await createUpload(platform);
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^upload_[0-9a-f]{24}$/),
      object: 'upload',
      bytes: Buffer.byteLength(TEXT),
      created_at: START_MS / 1000,
      expires_at: START_MS / 1000 + 3600,
      filename: 'big.jsonl',
      purpose: 'batch',
      status: 'pending',
      file: null,
    });
  });

  it('joins parts sent out of order in the order of part_ids into one File, checks md5, and removes the parts', async () => {
    // Prepare
    const platform = setup();
    const upload = (await createUpload(platform, { expires_after: { anchor: 'created_at', seconds: 7200 } })).body;
    const pieces = [TEXT.slice(0, 1000), TEXT.slice(1000, 2500), TEXT.slice(2500)];
    const last = (await addPart(platform, upload.id, pieces[2]!)).body;
    const first = (await addPart(platform, upload.id, pieces[0]!)).body;
    const middle = (await addPart(platform, upload.id, pieces[1]!)).body;
    const md5 = createHash('md5').update(TEXT).digest('hex');
    // Act
    const answer = await complete(platform, upload.id, { part_ids: [first.id, middle.id, last.id], md5 });
    // Assess
    expect(first).toEqual({
      id: expect.stringMatching(/^part_/),
      object: 'upload.part',
      created_at: START_MS / 1000,
      upload_id: upload.id,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      id: upload.id,
      status: 'completed',
      file: { object: 'file', purpose: 'batch', bytes: Buffer.byteLength(TEXT), filename: 'big.jsonl', expires_at: START_MS / 1000 + 7200 },
    });
    const fileId = answer.body.file.id;
    expect(platform.objects.text(BUCKET, `files/${TENANT_A}/${fileId}`)).toBe(TEXT);
    expect(platform.fileStore.files.get(fileId)).toMatchObject({ tenantId: TENANT_A, key: `files/${TENANT_A}/${fileId}` });
    expect([...platform.objects.objects.keys()].filter((key) => key.includes('/uploads/'))).toEqual([]);
  });

  it.each([
    ['an unknown part id', (ids: string[]) => ({ part_ids: [ids[0], 'part_000000000000000000000000'] }), 'part_ids[1]'],
    ['a part twice', (ids: string[]) => ({ part_ids: [ids[0], ids[0], ids[1]] }), 'part_ids[1]'],
    ['parts that do not add up to bytes', (ids: string[]) => ({ part_ids: [ids[0]] }), 'part_ids'],
    ['a wrong md5', (ids: string[]) => ({ part_ids: ids, md5: '0'.repeat(32) }), 'md5'],
  ])('refuses to complete with %s (400 naming %s), leaving the upload pending and no file', async (_, body, param) => {
    // Prepare
    const platform = setup();
    const upload = (await createUpload(platform)).body;
    const ids = [
      (await addPart(platform, upload.id, TEXT.slice(0, 100))).body.id,
      (await addPart(platform, upload.id, TEXT.slice(100))).body.id,
    ];
    // Act
    const answer = await complete(platform, upload.id, body(ids));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid_value', param });
    expect(platform.uploadStore.uploads.get(upload.id)!.status).toBe('pending');
    expect(platform.fileStore.files.size).toBe(0);
    expect([...platform.objects.objects.keys()].filter((key) => key.includes('/files/'))).toEqual([]);
  });

  it('cancels: parts are removed, later parts and complete are 409, cancelling again answers the cancelled upload', async () => {
    // Prepare
    const platform = setup();
    const upload = (await createUpload(platform)).body;
    const part = (await addPart(platform, upload.id, TEXT)).body;
    // Act
    const cancelled = await cancel(platform, upload.id);
    const again = await cancel(platform, upload.id);
    const late = await addPart(platform, upload.id, 'x');
    const completed = await complete(platform, upload.id, { part_ids: [part.id] });
    // Assess
    expect(cancelled.body).toMatchObject({ id: upload.id, status: 'cancelled', file: null });
    expect(again.body.status).toBe('cancelled');
    expect([late.status, completed.status]).toEqual([409, 409]);
    expect(late.body.error.code).toBe('invalid_state');
    expect([...platform.objects.objects.keys()].filter((key) => key.includes('/uploads/'))).toEqual([]);
  });

  it('an upload past its hour is expired: no parts, no complete', async () => {
    // Prepare
    const platform = setup();
    const upload = (await createUpload(platform)).body;
    const part = (await addPart(platform, upload.id, TEXT)).body;
    platform.clock.ms += 3_600_000;
    // Act
    const late = await addPart(platform, upload.id, 'x');
    const completed = await complete(platform, upload.id, { part_ids: [part.id] });
    // Assess
    expect(late.status).toBe(409);
    expect(completed.body.error.message).toContain('expired');
  });

  it('refuses a part over the part limit with 413, and another tenant gets 404 for every route', async () => {
    // Prepare
    const platform = setup({ maxPartBytes: 100 });
    const upload = (await createUpload(platform)).body;
    // Act
    const tooBig = await addPart(platform, upload.id, 'x'.repeat(101));
    const other = [
      await addPart(platform, upload.id, 'x', TENANT_B),
      await complete(platform, upload.id, { part_ids: ['part_1'] }, TENANT_B),
      await cancel(platform, upload.id, TENANT_B),
    ];
    // Assess
    expect(tooBig).toMatchObject({ status: 413, body: { error: { code: 'file_too_large', param: 'data' } } });
    expect(other.map((answer) => [answer.status, answer.body.error.code])).toEqual(Array(3).fill([404, 'upload_not_found']));
    expect(platform.uploadStore.uploads.get(upload.id)!.status).toBe('pending');
  });

  it.each([
    [{ purpose: 'fine-tune' }, 'purpose'],
    [{ filename: 'data.csv' }, 'filename'],
    [{ bytes: 0 }, 'bytes'],
    [{ expires_after: { anchor: 'created_at', seconds: 60 } }, 'expires_after.seconds'],
    [{ colour: 'blue' }, 'colour'],
  ])('refuses to create with %p (400 naming %s)', async (body, param) => {
    // Act
    const answer = await createUpload(setup(), body);
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.param).toBe(param);
  });
});
