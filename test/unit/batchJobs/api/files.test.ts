import { expireFiles } from '../../../../shared/batchJobs/api/FileService';
import { MAX_UPLOAD_BYTES } from '../../../../shared/batchJobs/api/constants';
import { loadEvent } from '../../../helpers/events';
import { BUCKET, httpEvent, invoke, JSONL, setup, START_MS, TENANT_A, TENANT_B, uploadEvent, uploadFile, type Platform } from './fixtures';

const errorBody = (code: string, param: string | null) => ({
  error: { message: expect.any(String), type: 'invalid_request_error', param, code },
});

describe('POST /v1/files', () => {
  it('stores the sample upload under files/<tenant>/<id> and answers the File object', async () => {
    // Prepare
    const platform = setup();
    const event = loadEvent('http/filesCreate.json');
    const sent = Buffer.from(event.body, 'base64').toString('utf8');
    // Act
    const answer = await invoke(platform.files, event);
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^file-[0-9a-f]{24}$/),
      object: 'file',
      bytes: expect.any(Number),
      created_at: START_MS / 1000,
      filename: 'requests.jsonl',
      purpose: 'batch',
      status: 'processed',
      status_details: null,
      expires_at: null,
    });
    const stored = platform.objects.text(BUCKET, `files/local/${answer.body.id}`)!;
    expect(sent).toContain(stored);
    expect(
      stored
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).custom_id),
    ).toEqual(['request-1', 'request-2']);
    expect(answer.body.bytes).toBe(Buffer.byteLength(stored));
    expect(platform.fileStore.files.get(answer.body.id)).toMatchObject({
      tenantId: 'local',
      bucket: BUCKET,
      key: `files/local/${answer.body.id}`,
      purpose: 'batch',
    });
  });

  it('keeps the bytes exactly, multi-byte characters and all', async () => {
    // Prepare
    const platform = setup();
    // Act
    const file = await uploadFile(platform, TENANT_A, JSONL, 'données été.jsonl');
    // Assess
    expect(platform.objects.objects.get(`${BUCKET}/files/${TENANT_A}/${file.id}`)!.body.equals(Buffer.from(JSONL))).toBe(true);
    expect(file).toMatchObject({ bytes: Buffer.byteLength(JSONL), filename: 'données été.jsonl' });
  });

  it.each([
    ['no purpose', [['file', new File([JSONL], 'a.jsonl')]], 'missing_required_parameter', 'purpose'],
    [
      'a purpose other than batch',
      [
        ['purpose', 'fine-tune'],
        ['file', new File([JSONL], 'a.jsonl')],
      ],
      'invalid_value',
      'purpose',
    ],
    ['no file', [['purpose', 'batch']], 'missing_required_parameter', 'file'],
    [
      'the file as a text field',
      [
        ['purpose', 'batch'],
        ['file', JSONL],
      ],
      'missing_required_parameter',
      'file',
    ],
    [
      'the file under another name',
      [
        ['purpose', 'batch'],
        ['upload', new File([JSONL], 'a.jsonl')],
      ],
      'missing_required_parameter',
      'file',
    ],
    [
      'an empty file',
      [
        ['purpose', 'batch'],
        ['file', new File([], 'a.jsonl')],
      ],
      'empty_file',
      'file',
    ],
    [
      'a file that is not .jsonl',
      [
        ['purpose', 'batch'],
        ['file', new File([JSONL], 'a.csv')],
      ],
      'invalid_file_format',
      'file',
    ],
    [
      'a field the route does not know',
      [
        ['purpose', 'batch'],
        ['purpsoe', 'batch'],
        ['file', new File([JSONL], 'a.jsonl')],
      ],
      'unknown_parameter',
      'purpsoe',
    ],
    [
      'an unknown field before the file',
      [
        ['file_name', 'x.jsonl'],
        ['purpose', 'batch'],
        ['file', new File([JSONL], 'a.jsonl')],
      ],
      'unknown_parameter',
      'file_name',
    ],
    [
      'expires_after with another anchor',
      [
        ['purpose', 'batch'],
        ['expires_after[anchor]', 'last_active_at'],
        ['expires_after[seconds]', '3600'],
        ['file', new File([JSONL], 'a.jsonl')],
      ],
      'invalid_value',
      'expires_after.anchor',
    ],
    [
      'expires_after of under an hour',
      [
        ['purpose', 'batch'],
        ['expires_after[anchor]', 'created_at'],
        ['expires_after[seconds]', '60'],
        ['file', new File([JSONL], 'a.jsonl')],
      ],
      'invalid_value',
      'expires_after.seconds',
    ],
  ] as Array<[string, Array<[string, string | File]>, string, string]>)(
    'refuses %s with a 400 naming the field',
    async (_name, fields, code, param) => {
      // Prepare
      const platform = setup();
      // Act
      const answer = await invoke(platform.files, await uploadEvent(fields));
      // Assess
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(errorBody(code, param));
      expect(platform.objects.objects.size).toBe(0);
      expect(platform.fileStore.files.size).toBe(0);
    },
  );

  it('accepts expires_after as the openai client sends it', async () => {
    // Prepare
    const platform = setup();
    // Act
    const answer = await invoke(
      platform.files,
      await uploadEvent([
        ['purpose', 'batch'],
        ['expires_after[anchor]', 'created_at'],
        ['expires_after[seconds]', '86400'],
        ['file', new File([JSONL], 'a.jsonl')],
      ]),
    );
    // Assess
    expect(answer.status).toBe(200);
  });

  it('refuses a body that is not multipart with 415, and a broken one or two files with 400', async () => {
    // Prepare
    const platform = setup();
    const json = httpEvent('filesCreate', { headers: { 'content-type': 'application/json' }, body: { purpose: 'batch' } });
    const broken = await uploadEvent([
      ['purpose', 'batch'],
      ['file', new File([JSONL], 'a.jsonl')],
    ]);
    broken.body = Buffer.from(broken.body, 'base64').subarray(0, 150).toString('base64');
    const twoFiles = await uploadEvent([
      ['purpose', 'batch'],
      ['file', new File([JSONL], 'a.jsonl')],
      ['file', new File([JSONL], 'b.jsonl')],
    ]);
    // Act
    const answers = [await invoke(platform.files, json), await invoke(platform.files, broken), await invoke(platform.files, twoFiles)];
    // Assess
    expect(answers.map((a) => a.status)).toEqual([415, 400, 400]);
    expect(answers[0]!.body.error.message).toContain('multipart/form-data');
    expect(answers[1]!.body).toEqual(errorBody('invalid_multipart', null));
    expect(answers[2]!.body).toEqual(errorBody('invalid_multipart', null));
    expect(platform.fileStore.files.size).toBe(0);
  });

  it('refuses a file over the upload limit with 413 pointing at the file drop', async () => {
    // Prepare
    const platform = setup({ maxUploadBytes: 1_000 });
    const justOver = await uploadEvent([
      ['purpose', 'batch'],
      ['file', new File(['x'.repeat(1_001)], 'a.jsonl')],
    ]);
    const farOver = await uploadEvent([
      ['purpose', 'batch'],
      ['file', new File(['x'.repeat(200_000)], 'a.jsonl')],
    ]);
    // Act
    const answers = [await invoke(platform.files, justOver), await invoke(platform.files, farOver)];
    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({
        error: {
          message: expect.stringContaining(`inbox/${TENANT_A}/`),
          type: 'invalid_request_error',
          param: 'file',
          code: 'file_too_large',
        },
      });
    }
    expect(platform.objects.objects.size).toBe(0);
  });

  it('accepts a file of exactly the limit, and defaults the limit to what fits a Lambda request', async () => {
    // Prepare
    const platform = setup({ maxUploadBytes: 1_000 });
    // Act
    const file = await uploadFile(platform, TENANT_A, `${'x'.repeat(999)}\n`);
    // Assess
    expect(file.bytes).toBe(1_000);
    expect(Math.ceil((MAX_UPLOAD_BYTES + 64 * 1024) / 3) * 4).toBeLessThan(6 * 1024 * 1024 - 16 * 1024);
  });
});

describe('GET /v1/files and /v1/files/{fileId}', () => {
  async function uploadFive(platform: Platform): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await uploadFile(platform, TENANT_A, `${JSON.stringify({ custom_id: `r${i}` })}\n`, `f${i}.jsonl`)).id);
      platform.clock.ms += 1_000;
    }
    return ids;
  }

  it('pages through the files newest first with after and limit', async () => {
    // Prepare
    const platform = setup();
    const ids = await uploadFive(platform);
    // Act
    const first = await invoke(platform.files, httpEvent('filesList', { query: { limit: '2' } }));
    const second = await invoke(platform.files, httpEvent('filesList', { query: { limit: '2', after: first.body.last_id } }));
    const third = await invoke(platform.files, httpEvent('filesList', { query: { limit: '2', after: second.body.last_id } }));
    // Assess
    const newestFirst = [...ids].reverse();
    expect(first.body).toEqual({
      object: 'list',
      data: [expect.objectContaining({ id: newestFirst[0], object: 'file' }), expect.objectContaining({ id: newestFirst[1] })],
      first_id: newestFirst[0],
      last_id: newestFirst[1],
      has_more: true,
    });
    expect(second.body).toMatchObject({ first_id: newestFirst[2], last_id: newestFirst[3], has_more: true });
    expect(third.body).toMatchObject({
      data: [expect.objectContaining({ id: newestFirst[4] })],
      first_id: newestFirst[4],
      last_id: newestFirst[4],
      has_more: false,
    });
  });

  it("lists oldest first with order 'asc', paging with after the same way", async () => {
    // Prepare
    const platform = setup();
    const ids = await uploadFive(platform);
    // Act
    const first = await invoke(platform.files, httpEvent('filesList', { query: { order: 'asc', limit: '3' } }));
    const second = await invoke(platform.files, httpEvent('filesList', { query: { order: 'asc', limit: '3', after: first.body.last_id } }));
    // Assess
    expect(first.body.data.map((f: any) => f.id)).toEqual(ids.slice(0, 3));
    expect(first.body.has_more).toBe(true);
    expect(second.body.data.map((f: any) => f.id)).toEqual(ids.slice(3));
    expect(second.body.has_more).toBe(false);
  });

  it('lists all by default (OpenAI: up to 10,000), filters by purpose, and lists nothing for a purpose it does not store', async () => {
    // Prepare
    const platform = setup();
    const ids = await uploadFive(platform);
    await platform.fileStore.put({
      id: 'file-output1',
      tenantId: TENANT_A,
      purpose: 'batch_output',
      filename: 'results.jsonl',
      bytes: 3,
      createdAt: START_MS / 1000 + 60,
      bucket: BUCKET,
      key: 'outputs/batch_1/results.jsonl',
    });
    // Act
    const all = await invoke(platform.files, httpEvent('filesList', { query: {} }));
    const inputs = await invoke(platform.files, httpEvent('filesList', { query: { purpose: 'batch' } }));
    const outputs = await invoke(platform.files, httpEvent('filesList', { query: { purpose: 'batch_output', order: 'desc' } }));
    const fineTune = await invoke(platform.files, httpEvent('filesList', { query: { purpose: 'fine-tune' } }));
    // Assess
    expect(all.body.data.map((f: any) => f.id)).toEqual(['file-output1', ...[...ids].reverse()]);
    expect(inputs.body.data).toHaveLength(5);
    expect(outputs.body.data.map((f: any) => f.purpose)).toEqual(['batch_output']);
    expect(fineTune.body).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '10001' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ order: 'newest' }, 'order'],
    [{ purpose: 'holiday-photos' }, 'purpose'],
    [{ after: 'file-000000000000000000000000' }, 'after'],
  ])('refuses the query %p with a 400 naming %s', async (query, param) => {
    // Prepare
    const platform = setup();
    // Act
    const answer = await invoke(platform.files, httpEvent('filesList', { query }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param });
  });

  it('retrieves a file by id, and answers 404 for an unknown or malformed id', async () => {
    // Prepare
    const platform = setup();
    const file = await uploadFile(platform);
    // Act
    const found = await invoke(platform.files, httpEvent('filesRetrieve', { path: { fileId: file.id } }));
    const unknown = await invoke(platform.files, httpEvent('filesRetrieve', { path: { fileId: 'file-000000000000000000000000' } }));
    const malformed = await invoke(platform.files, httpEvent('filesRetrieve', { path: { fileId: '../../etc/passwd' } }));
    // Assess
    expect(found).toMatchObject({ status: 200, body: file });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'file_not_found', type: 'invalid_request_error' } } });
    expect(malformed.status).toBe(404);
  });
});

describe('GET /v1/files/{fileId}/content', () => {
  it('streams the exact bytes as application/octet-stream', async () => {
    // Prepare
    const platform = setup();
    const file = await uploadFile(platform);
    // Act
    const answer = await invoke(platform.fileContent, httpEvent('filesContent', { path: { fileId: file.id } }));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.response.headers).toMatchObject({ 'content-type': 'application/octet-stream' });
    expect(answer.response.body).toBe(JSONL);
  });

  it('serves an output file that finalize recorded', async () => {
    // Prepare
    const platform = setup();
    const results = '{"id":"batch_req_1","custom_id":"r1","response":{"status_code":200},"error":null}\n';
    await platform.objects.write(BUCKET, 'outputs/batch_1/results.jsonl', results);
    await platform.fileStore.put({
      id: 'file-results1',
      tenantId: TENANT_A,
      purpose: 'batch_output',
      filename: 'batch_1_output.jsonl',
      bytes: results.length,
      createdAt: 1,
      bucket: BUCKET,
      key: 'outputs/batch_1/results.jsonl',
    });
    // Act
    const answer = await invoke(platform.fileContent, httpEvent('filesContent', { path: { fileId: 'file-results1' } }));
    // Assess
    expect(answer.response.body).toBe(results);
  });

  it('refuses a file over the streamed-response limit with 413 naming where it is in the bucket', async () => {
    // Prepare
    const platform = setup({ maxContentBytes: 100 });
    const big = await uploadFile(platform, TENANT_A, `${'x'.repeat(200)}\n`);
    // Act
    const answer = await invoke(platform.fileContent, httpEvent('filesContent', { path: { fileId: big.id } }));
    // Assess
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatchObject({
      code: 'file_too_large',
      message: expect.stringContaining(`s3://${BUCKET}/files/${TENANT_A}/${big.id}`),
    });
  });
});

describe('DELETE /v1/files/{fileId}', () => {
  it("removes the object and the record and answers OpenAI's deleted file; a second delete is 404", async () => {
    // Prepare
    const platform = setup();
    const file = await uploadFile(platform);
    // Act
    const deleted = await invoke(platform.files, httpEvent('filesDelete', { path: { fileId: file.id } }));
    const again = await invoke(platform.files, httpEvent('filesDelete', { path: { fileId: file.id } }));
    const retrieve = await invoke(platform.files, httpEvent('filesRetrieve', { path: { fileId: file.id } }));
    // Assess
    expect(deleted).toMatchObject({ status: 200, body: { id: file.id, object: 'file', deleted: true } });
    expect(platform.objects.objects.has(`${BUCKET}/files/${TENANT_A}/${file.id}`)).toBe(false);
    expect(platform.fileStore.files.has(file.id)).toBe(false);
    expect(again).toMatchObject({ status: 404, body: errorBody('file_not_found', null) });
    expect(retrieve.status).toBe(404);
  });

  it("answers another tenant's file 404 and leaves it alone", async () => {
    // Prepare
    const platform = setup();
    const fileOfA = await uploadFile(platform, TENANT_A);
    // Act
    const answer = await invoke(platform.files, httpEvent('filesDelete', { tenant: TENANT_B, path: { fileId: fileOfA.id } }));
    // Assess
    expect(answer).toMatchObject({ status: 404, body: errorBody('file_not_found', null) });
    expect(platform.objects.objects.has(`${BUCKET}/files/${TENANT_A}/${fileOfA.id}`)).toBe(true);
  });
});

describe('expires_after', () => {
  it('sets expires_at from created_at; past it the file is 404 everywhere and the sweep removes it', async () => {
    // Prepare
    const platform = setup();
    const event = await uploadEvent([
      ['purpose', 'batch'],
      ['expires_after[anchor]', 'created_at'],
      ['expires_after[seconds]', '3600'],
      ['file', new File([JSONL], 'a.jsonl')],
    ]);
    const file = (await invoke(platform.files, event)).body;
    const kept = await uploadFile(platform);
    // Act
    platform.clock.ms += 3_600_000;
    const retrieve = await invoke(platform.files, httpEvent('filesRetrieve', { path: { fileId: file.id } }));
    const content = await invoke(platform.fileContent, httpEvent('filesContent', { path: { fileId: file.id } }));
    const list = await invoke(platform.files, httpEvent('filesList', { query: {} }));
    const swept = await expireFiles({ files: platform.fileStore, objects: platform.objects, now: () => platform.clock.ms + 1_000 });
    // Assess
    expect(file.expires_at).toBe(START_MS / 1000 + 3600);
    expect(retrieve.status).toBe(404);
    expect(content.status).toBe(404);
    expect(list.body.data.map((f: any) => f.id)).toEqual([kept.id]);
    expect(swept).toEqual([file.id]);
    expect(platform.objects.objects.has(`${BUCKET}/files/${TENANT_A}/${file.id}`)).toBe(false);
    expect(platform.fileStore.files.has(kept.id)).toBe(true);
  });
});

describe('tenant isolation of files', () => {
  it("answers tenant B 404 on tenant A's file and content, and lists only B's own", async () => {
    // Prepare
    const platform = setup();
    const fileOfA = await uploadFile(platform, TENANT_A);
    const fileOfB = await uploadFile(platform, TENANT_B);
    const readsBefore = platform.objects.reads;
    // Act
    const retrieve = await invoke(platform.files, httpEvent('filesRetrieve', { tenant: TENANT_B, path: { fileId: fileOfA.id } }));
    const content = await invoke(platform.fileContent, httpEvent('filesContent', { tenant: TENANT_B, path: { fileId: fileOfA.id } }));
    const list = await invoke(platform.files, httpEvent('filesList', { tenant: TENANT_B, query: {} }));
    const pageAfterA = await invoke(platform.files, httpEvent('filesList', { tenant: TENANT_B, query: { after: fileOfA.id } }));
    // Assess
    const unknown = await invoke(
      platform.files,
      httpEvent('filesRetrieve', { tenant: TENANT_B, path: { fileId: 'file-000000000000000000000000' } }),
    );
    expect(retrieve.status).toBe(404);
    expect(retrieve.body.error.code).toBe(unknown.body.error.code);
    expect(content.status).toBe(404);
    expect(platform.objects.reads).toBe(readsBefore);
    expect(list.body.data.map((f: any) => f.id)).toEqual([fileOfB.id]);
    expect(pageAfterA.status).toBe(400);
  });

  it('refuses a request without a valid key with 401', async () => {
    // Prepare
    const platform = setup();
    const event = httpEvent('filesList', { query: {} });
    event.requestContext.authorizer = null;
    // Act
    const answer = await invoke(platform.files, event);
    // Assess
    expect(answer.status).toBe(401);
  });
});
