import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { invokeHandler, lambdaContext, loadEvent, setTenant } from '../../../helpers/events';
import { forceStatus, JSONL, setup, TENANT_A, type Platform } from './fixtures';

type Fn = 'files' | 'fileContent' | 'uploads' | 'uploadComplete' | 'batches';
const ROUTES: Array<{ method: string; path: RegExp; routeKey: string; param?: string; fn: Fn }> = [
  { method: 'POST', path: /^\/v1\/files$/, routeKey: 'POST /v1/files', fn: 'files' },
  { method: 'GET', path: /^\/v1\/files$/, routeKey: 'GET /v1/files', fn: 'files' },
  { method: 'GET', path: /^\/v1\/files\/([^/]+)$/, routeKey: 'GET /v1/files/{fileId}', param: 'fileId', fn: 'files' },
  { method: 'DELETE', path: /^\/v1\/files\/([^/]+)$/, routeKey: 'DELETE /v1/files/{fileId}', param: 'fileId', fn: 'files' },
  {
    method: 'GET',
    path: /^\/v1\/files\/([^/]+)\/content$/,
    routeKey: 'GET /v1/files/{fileId}/content',
    param: 'fileId',
    fn: 'fileContent',
  },
  { method: 'POST', path: /^\/v1\/uploads$/, routeKey: 'POST /v1/uploads', fn: 'uploads' },
  {
    method: 'POST',
    path: /^\/v1\/uploads\/([^/]+)\/parts$/,
    routeKey: 'POST /v1/uploads/{uploadId}/parts',
    param: 'uploadId',
    fn: 'uploads',
  },
  {
    method: 'POST',
    path: /^\/v1\/uploads\/([^/]+)\/cancel$/,
    routeKey: 'POST /v1/uploads/{uploadId}/cancel',
    param: 'uploadId',
    fn: 'uploads',
  },
  {
    method: 'POST',
    path: /^\/v1\/uploads\/([^/]+)\/complete$/,
    routeKey: 'POST /v1/uploads/{uploadId}/complete',
    param: 'uploadId',
    fn: 'uploadComplete',
  },
  { method: 'POST', path: /^\/v1\/batches$/, routeKey: 'POST /v1/batches', fn: 'batches' },
  { method: 'GET', path: /^\/v1\/batches$/, routeKey: 'GET /v1/batches', fn: 'batches' },
  { method: 'GET', path: /^\/v1\/batches\/([^/]+)$/, routeKey: 'GET /v1/batches/{batchId}', param: 'batchId', fn: 'batches' },
  {
    method: 'POST',
    path: /^\/v1\/batches\/([^/]+)\/cancel$/,
    routeKey: 'POST /v1/batches/{batchId}/cancel',
    param: 'batchId',
    fn: 'batches',
  },
];

/**
 * A `fetch` that does what API Gateway does with the client's request: matches the
 * route, builds the payload 2.0 event (non-text bodies base64-encoded, as multipart
 * is), invokes the handler and turns its result back into an HTTP response.
 */
function apiGatewayFetch(platform: Platform, tenantId: string): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, { ...init, duplex: 'half' } as RequestInit);
    const url = new URL(request.url);
    const route = ROUTES.find((r) => r.method === request.method && r.path.test(url.pathname));
    if (!route) return new Response(JSON.stringify({ message: 'Not Found' }), { status: 404 });
    const bytes = Buffer.from(await request.arrayBuffer());
    const _text = /^(application\/json|text\/)/.test(request.headers.get('content-type') ?? '');
    const event = loadEvent('http/models.json');
    const headers = Object.fromEntries(request.headers);
    Object.assign(event, {
      resource: route.routeKey.split(' ')[1],
      path: url.pathname,
      httpMethod: request.method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : null,
      multiValueQueryStringParameters: null,
      pathParameters: route.param ? { [route.param]: decodeURIComponent(route.path.exec(url.pathname)![1]!) } : null,
      // A REST API with binaryMediaTypes */* hands every body on base64-encoded.
      body: bytes.length ? bytes.toString('base64') : null,
      isBase64Encoded: bytes.length > 0,
    });
    setTenant(event, tenantId, 'k1');
    const result = await invokeHandler(platform[route.fn], event, lambdaContext());
    const body = result.body === undefined ? null : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    return new Response(body, { status: result.statusCode, headers: result.headers as Record<string, string> });
  };
}

describe('the official openai client against the Files and Batch handlers', () => {
  let platform: Platform;
  let client: OpenAI;
  let folder: string;

  beforeEach(async () => {
    platform = setup();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://api.test/v1', fetch: apiGatewayFetch(platform, TENANT_A), maxRetries: 0 });
    folder = await mkdtemp(join(tmpdir(), 'batch-api-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('uploads a file (as a File and as a stream), retrieves it and reads its content back', async () => {
    // Prepare
    const path = join(folder, 'streamed.jsonl');
    await writeFile(path, JSONL);
    // Act
    const uploaded = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'requests.jsonl'), purpose: 'batch' });
    const streamed = await client.files.create({ file: createReadStream(path), purpose: 'batch' });
    const retrieved = await client.files.retrieve(uploaded.id);
    const content = await (await client.files.content(streamed.id)).text();
    // Assess
    expect(uploaded).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'requests.jsonl',
      bytes: Buffer.byteLength(JSONL),
      status: 'processed',
    });
    expect(streamed.filename).toBe('streamed.jsonl');
    expect(retrieved).toEqual(uploaded);
    expect(content).toBe(JSONL);
  });

  it('uploads in parts (uploads.create, parts.create, complete), lists oldest first by purpose, and deletes', async () => {
    // Prepare
    const small = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'small.jsonl'), purpose: 'batch' });
    platform.clock.ms += 1_000;
    const bytes = Buffer.from(JSONL);
    // Act
    const upload = await client.uploads.create({
      bytes: bytes.length,
      filename: 'big.jsonl',
      mime_type: 'application/jsonl',
      purpose: 'batch',
    });
    const second = await client.uploads.parts.create(upload.id, { data: await toFile(bytes.subarray(100), 'blob') });
    const first = await client.uploads.parts.create(upload.id, { data: await toFile(bytes.subarray(0, 100), 'blob') });
    const completed = await client.uploads.complete(upload.id, { part_ids: [first.id, second.id] });
    const content = await (await client.files.content(completed.file!.id)).text();
    const ascending = await client.files.list({ order: 'asc', purpose: 'batch' });
    const deleted = await client.files.delete(small.id);
    const afterDelete = await client.files.list({ order: 'asc', purpose: 'batch' });
    // Assess
    expect(upload.status).toBe('pending');
    expect(completed).toMatchObject({ status: 'completed', file: { object: 'file', bytes: bytes.length, purpose: 'batch' } });
    expect(content).toBe(JSONL);
    expect(ascending.data.map((file) => file.id)).toEqual([small.id, completed.file!.id]);
    expect(deleted).toEqual({ id: small.id, object: 'file', deleted: true });
    expect(afterDelete.data.map((file) => file.id)).toEqual([completed.file!.id]);
  });

  it('follows the cursor through every page of files and batches', async () => {
    // Prepare
    const file = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'requests.jsonl'), purpose: 'batch' });
    const created: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      created.push(
        (await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id,
      );
      platform.clock.ms += 1_000;
    }
    // Act
    const listed: string[] = [];
    for await (const batch of client.batches.list({ limit: 2 })) listed.push(batch.id);
    const files: string[] = [];
    for await (const each of client.files.list({ limit: 1, purpose: 'batch' })) files.push(each.id);
    // Assess
    expect(listed).toEqual([...created].reverse());
    expect(files).toEqual([file.id]);
  });

  it('creates, retrieves and cancels a batch', async () => {
    // Prepare
    const file = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'requests.jsonl'), purpose: 'batch' });
    // Act
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
      metadata: { team: 'search' },
    });
    const retrieved = await client.batches.retrieve(batch.id);
    const cancelled = await client.batches.cancel(batch.id);
    // Assess
    expect(batch).toMatchObject({
      object: 'batch',
      status: 'validating',
      input_file_id: file.id,
      endpoint: '/v1/embeddings',
      metadata: { team: 'search' },
    });
    expect(retrieved).toEqual(batch);
    expect(cancelled.status).toBe('cancelling');
    expect(platform.ingest.sent).toEqual([{ kind: 'ingest', tenantId: TENANT_A, jobId: batch.id }]);
  });

  it("surfaces the platform's errors as the client's typed errors", async () => {
    // Prepare
    const file = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'requests.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    forceStatus(platform, batch.id, 'completed');
    // Act
    const missing = await client.batches.retrieve('batch_000000000000000000000000').catch((error: unknown) => error);
    const badPurpose = await client.files
      .create({ file: await toFile(Buffer.from(JSONL), 'a.jsonl'), purpose: 'fine-tune' })
      .catch((error: unknown) => error);
    const conflict = await client.batches.cancel(batch.id).catch((error: unknown) => error);
    // Assess
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'batch_not_found' });
    expect(badPurpose).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badPurpose).toMatchObject({ status: 400, param: 'purpose' });
    expect(conflict).toBeInstanceOf(OpenAI.ConflictError);
    expect(conflict).toMatchObject({ status: 409, code: 'invalid_state' });
  });
});
