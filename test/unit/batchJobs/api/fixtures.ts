import './functionEnv';
import { createHandler as batchesHandler } from '../../../../functions/http/batches';
import { createHandler as fileContentHandler } from '../../../../functions/http/fileContent';
import { createHandler as filesHandler } from '../../../../functions/http/files';
import { createHandler as uploadCompleteHandler } from '../../../../functions/http/uploadComplete';
import { createHandler as uploadsHandler } from '../../../../functions/http/uploads';
import { BatchService } from '../../../../shared/batchJobs/api/BatchService';
import { FileService } from '../../../../shared/batchJobs/api/FileService';
import { UploadService } from '../../../../shared/batchJobs/api/UploadService';
import type { IngestJobMessage } from '../../../../shared/batchJobs/api/IngestJobMessage';
import type { RouteResponse } from '../../../../shared/http/responses';
import type { Job } from '../../../../shared/batchJobs/job/Job';
import { invokeHandler, lambdaContext, loadEvent, setTenant } from '../../../helpers/events';
import { MemoryFileStore, MemoryJobStore, MemoryObjectStore, MemorySender, MemoryUploadStore } from '../../../helpers/memoryPorts';

export const BUCKET = 'inference-platform-test';
export const TENANT_A = 'tenant-a';
export const TENANT_B = 'tenant-b';
/** 2026-11-28T18:00:00Z, when every test's clock starts. */
export const START_MS = Date.UTC(2026, 10, 28, 18, 0, 0);

/** Two lines in the OpenAI batch format. */
export const JSONL = [
  {
    custom_id: 'request-1',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'Grüße, 世界' }] },
  },
  { custom_id: 'request-2', method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input: 'first' } },
]
  .map((line) => `${JSON.stringify(line)}\n`)
  .join('');

type Handler = (...args: any[]) => any;

/** The two handlers over in-memory ports, on a clock the test moves (`clock.ms`). */
export function setup(options: { maxUploadBytes?: number; maxContentBytes?: number; maxPartBytes?: number } = {}) {
  const jobs = new MemoryJobStore();
  const fileStore = new MemoryFileStore();
  const objects = new MemoryObjectStore();
  const ingest = new MemorySender<IngestJobMessage>();
  const clock = { ms: START_MS };
  const now = () => clock.ms;
  const fileService = new FileService({ files: fileStore, objects, bucket: BUCKET, now, maxContentBytes: options.maxContentBytes });
  const uploadStore = new MemoryUploadStore();
  const uploadService = new UploadService({ uploads: uploadStore, files: fileStore, objects, bucket: BUCKET, now });
  const files: Handler = filesHandler({ service: fileService, maxUploadBytes: options.maxUploadBytes });
  const fileContent: Handler = fileContentHandler({ service: fileService });
  const uploads: Handler = uploadsHandler({ service: uploadService, maxBodyBytes: 100_000, maxPartBytes: options.maxPartBytes });
  const uploadComplete: Handler = uploadCompleteHandler({ service: uploadService, maxBodyBytes: 100_000 });
  const batches: Handler = batchesHandler({
    service: new BatchService({ jobs, files: fileStore, objects, ingest, now }),
    maxBodyBytes: 100_000,
  });
  return { jobs, fileStore, uploadStore, objects, ingest, clock, files, fileContent, uploads, uploadComplete, batches };
}
export type Platform = ReturnType<typeof setup>;

/** What a test looks at in an answer. */
export interface Answer {
  status: number;
  body: any;
  response: RouteResponse;
}

/** Invokes `handler` with `event` as Lambda would, parsing a JSON answer. */
export async function invoke(handler: Handler, event: unknown): Promise<Answer> {
  const response = (await invokeHandler(handler, event, lambdaContext())) as RouteResponse;
  const json = response.headers?.['content-type'] === 'application/json';
  return { status: response.statusCode!, body: json ? JSON.parse(response.body!) : response.body, response };
}

/**
 * A sample REST API (payload 1.0) event from `events/http/<sample>.json`, sent by `tenant`, with
 * the route's path parameters, query and body replaced as asked.
 */
export function httpEvent(
  sample: string,
  options: {
    tenant?: string;
    path?: Record<string, string>;
    query?: Record<string, string>;
    body?: string | object;
    headers?: Record<string, string>;
    base64?: boolean;
  } = {},
): any {
  const event = loadEvent(`http/${sample}.json`);
  const tenant = options.tenant ?? TENANT_A;
  setTenant(event, tenant);
  if (options.path) {
    event.pathParameters = options.path;
    event.path = String(event.resource).replace(/\{(\w+)\}/g, (_: string, name: string) => options.path![name] ?? '');
  }
  if (options.query) {
    event.queryStringParameters = Object.keys(options.query).length ? options.query : null;
    event.multiValueQueryStringParameters = null;
  }
  if (options.body !== undefined) {
    event.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    event.isBase64Encoded = options.base64 ?? false;
  }
  Object.assign(event.headers, options.headers ?? {});
  return event;
}

/**
 * The multipart/form-data body `fetch` sends for a FormData, which is what the `openai`
 * client builds for `files.create` with a File (openaiClient.test.ts checks the client's
 * own bytes too).
 */
export async function multipartBody(fields: Array<[string, string | File]>): Promise<{ contentType: string; body: Buffer }> {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  const request = new Request('http://api.test/v1/files', { method: 'POST', body: form });
  return { contentType: request.headers.get('content-type')!, body: Buffer.from(await request.arrayBuffer()) };
}

/** `POST /v1/files` with these form fields, base64-encoded as API Gateway delivers multipart. */
export async function uploadEvent(fields: Array<[string, string | File]>, tenant = TENANT_A): Promise<any> {
  const { contentType, body } = await multipartBody(fields);
  return httpEvent('filesCreate', {
    tenant,
    headers: { 'content-type': contentType, 'content-length': String(body.length) },
    body: body.toString('base64'),
    base64: true,
  });
}

/** Uploads `content` as a .jsonl file for `tenant` and returns the File object. */
export async function uploadFile(platform: Platform, tenant = TENANT_A, content = JSONL, filename = 'requests.jsonl'): Promise<any> {
  const answer = await invoke(
    platform.files,
    await uploadEvent(
      [
        ['purpose', 'batch'],
        ['file', new File([content], filename)],
      ],
      tenant,
    ),
  );
  if (answer.status !== 200) throw new Error(`upload failed: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Creates a batch over a fresh upload for `tenant` and returns the Batch object. */
export async function createBatch(platform: Platform, tenant = TENANT_A, overrides: Record<string, unknown> = {}): Promise<any> {
  const file = await uploadFile(platform, tenant);
  const body = { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', ...overrides };
  const answer = await invoke(platform.batches, httpEvent('batchesCreate', { tenant, body }));
  if (answer.status !== 200) throw new Error(`create failed: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Puts a job straight into the store in `status`, as the pipeline would have moved it. */
export function forceStatus(platform: Platform, jobId: string, status: Job['status']): void {
  platform.jobs.jobs.get(jobId)!.status = status;
}
