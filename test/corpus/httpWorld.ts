import { createHandler as authorizerHandler } from '../../functions/http/authorizer';
import { createHandler as batchesHandler } from '../../functions/http/batches';
import { createHandler as chatHandler } from '../../functions/http/chatCompletions';
import { createHandler as embeddingsHandler } from '../../functions/http/embeddings';
import { createHandler as fileContentHandler } from '../../functions/http/fileContent';
import { createHandler as filesHandler } from '../../functions/http/files';
import { createHandler as modelsHandler } from '../../functions/http/models';
import { ApiKeyAuthenticator } from '../../shared/auth/ApiKeyAuthenticator';
import { issueApiKey } from '../../shared/auth/ApiKeyStore';
import { BatchService } from '../../shared/batchJobs/api/BatchService';
import { FileService } from '../../shared/batchJobs/api/FileService';
import type { IngestJobMessage } from '../../shared/batchJobs/api/IngestJobMessage';
import { BatchingCore } from '../../shared/batchingCore/BatchingCore';
import { loadConfig } from '../../shared/config/config';
import type { InferenceInput, InferenceOutput } from '../../shared/domain/inference';
import { InferenceService } from '../../shared/realtime/InferenceService';
import { loadCatalogue } from '../../shared/routing/defaultCatalogue';
import { ModelRouter } from '../../shared/routing/ModelRouter';
import { join } from 'node:path';
import { loadServerlessConfig } from '../../shared/devTools/localPlatform/serverlessConfig';
import { invokeHandler, lambdaContext, loadEvent, setTenant } from '../helpers/events';
import { FakeProvider } from '../helpers/fakeProvider';
import { MemoryFileStore, MemoryJobStore, MemoryKeyStore, MemoryObjectStore, MemorySender } from '../helpers/memoryPorts';

/** The key the in-process world's authorizer knows, for tenant {@link CORPUS_TENANT}. */
export const CORPUS_KEY = 'sk-corpus-0123456789';
export const CORPUS_TENANT = 'corpus';
const BUCKET = 'inference-platform-test';

type Handler = (...args: any[]) => any;

/** A request as a client sends it: the route, its path parameters and query, headers, body. */
export interface RouteRequest {
  /** `POST /v1/chat/completions`, `GET /v1/files/{fileId}`, … as serverless.yml declares it. */
  route: string;
  path?: Record<string, string>;
  query?: Record<string, string>;
  /** Lower-case names; a `null` value removes a header the route's sample event carries. */
  headers?: Record<string, string | null>;
  /** The body's bytes (API Gateway hands every body on base64-encoded: binaryMediaTypes `*\/*`). */
  body?: Buffer;
  /** Kept for the fixtures that say so; every body goes base64 either way. */
  base64?: boolean;
}

/** What a test looks at in an answer. */
export interface RouteAnswer {
  status: number;
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when the answer is not JSON. */
  body: any;
  text: string;
}

/** The sample event (events/http/) each route is built from. */
const SAMPLES: Record<string, string> = {
  'POST /v1/chat/completions': 'chatCompletions',
  'POST /v1/embeddings': 'embeddings',
  'GET /v1/models': 'models',
  'GET /v1/models/{model}': 'model',
  'POST /v1/files': 'filesCreate',
  'GET /v1/files': 'filesList',
  'GET /v1/files/{fileId}': 'filesRetrieve',
  'GET /v1/files/{fileId}/content': 'filesContent',
  'POST /v1/batches': 'batchesCreate',
  'GET /v1/batches': 'batchesList',
  'GET /v1/batches/{batchId}': 'batchesRetrieve',
  'POST /v1/batches/{batchId}/cancel': 'batchesCancel',
};

/**
 * Every HTTP handler of the platform, in process, wired as production wires them but
 * over in-memory ports: the real authorizer over a key store holding {@link CORPUS_KEY},
 * the real inference service over the default catalogue (GPU pools configured, so every
 * local model exists) whose backends are fake providers, and the Files and Batch API
 * over memory stores. Events are real REST API (payload 1.0) events built from `events/http/`,
 * and a refused key gets the gateway response serverless.yml defines, as API Gateway answers it.
 */
export async function makeHttpWorld() {
  const config = loadConfig({
    ...process.env,
    GPU_CHAT_URLS: 'http://127.0.0.1:1',
    GPU_EMBED_URLS: 'http://127.0.0.1:1',
    MAX_BODY_BYTES: String(4 * 1024 * 1024),
  });
  const providers = new Map<string, FakeProvider>();
  const router = new ModelRouter(loadCatalogue(config), {
    providerFor: (ref) => {
      const provider = new FakeProvider(ref.id);
      providers.set(ref.id, provider);
      return provider;
    },
    failureThreshold: 100,
    cooldownMs: 60_000,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { baseBackoffMs: 1, maxBackoffMs: 1, maxAttempts: 3 });
  const inference = new InferenceService(router, core);
  const keys = new MemoryKeyStore();
  await issueApiKey(keys, { tenantId: CORPUS_TENANT, name: 'corpus', key: CORPUS_KEY });
  const authorizer = authorizerHandler(new ApiKeyAuthenticator(keys, { cacheTtlMs: 0 }));
  const jobs = new MemoryJobStore();
  const fileStore = new MemoryFileStore();
  const objects = new MemoryObjectStore();
  const ingest = new MemorySender<IngestJobMessage>();
  const maxBodyBytes = config.maxBodyBytes;
  const chat = chatHandler({ service: inference, maxBodyBytes });
  const embeddings = embeddingsHandler({ service: inference, maxBodyBytes });
  const models = modelsHandler({ service: inference });
  const fileService = new FileService({ files: fileStore, objects, bucket: BUCKET });
  const files = filesHandler({ service: fileService });
  const fileContent = fileContentHandler({ service: fileService });
  const batches = batchesHandler({ service: new BatchService({ jobs, files: fileStore, objects, ingest }), maxBodyBytes });
  const handlers: Record<string, Handler> = {
    'POST /v1/chat/completions': chat,
    'POST /v1/embeddings': embeddings,
    'GET /v1/models': models,
    'GET /v1/models/{model}': models,
    'POST /v1/files': files,
    'GET /v1/files': files,
    'GET /v1/files/{fileId}': files,
    'GET /v1/files/{fileId}/content': fileContent,
    'POST /v1/batches': batches,
    'GET /v1/batches': batches,
    'GET /v1/batches/{batchId}': batches,
    'POST /v1/batches/{batchId}/cancel': batches,
  };

  /** Runs the authorizer on the request, then the route's handler with its verdict, as API Gateway does. */
  async function send(request: RouteRequest): Promise<RouteAnswer> {
    const handler = handlers[request.route];
    const sample = SAMPLES[request.route];
    if (!handler || !sample) throw new Error(`The corpus does not know the route ${request.route}`);
    const event = routeEvent(sample, request);
    const authorizerEvent = loadEvent('http/authorizer.json');
    Object.assign(authorizerEvent, {
      resource: event.resource,
      path: event.path,
      httpMethod: event.httpMethod,
      headers: { ...event.headers },
      multiValueHeaders: null,
    });
    authorizerEvent.methodArn = `arn:aws:execute-api:us-east-1:123456789012:abc123/dev/${event.httpMethod}${event.path}`;
    const verdict = await authorizer(authorizerEvent);
    if (verdict.policyDocument.Statement.some((statement: any) => statement.Effect === 'Deny')) return accessDenied();
    setTenant(event, verdict.context.tenantId, verdict.context.keyId);
    return answerOf(await invokeHandler(handler, event, lambdaContext()));
  }

  return { send, providers, jobs, fileStore, objects, ingest, keys, maxBodyBytes };
}

export type HttpWorld = Awaited<ReturnType<typeof makeHttpWorld>>;

/** The REST API event of `request`, from the route's sample with its own path, query, headers and body. */
function routeEvent(sample: string, request: RouteRequest): any {
  const event = loadEvent(`http/${sample}.json`);
  const [method, template] = request.route.split(' ') as [string, string];
  Object.assign(event, { httpMethod: method, resource: template, multiValueHeaders: null, multiValueQueryStringParameters: null });
  if (request.path) {
    event.pathParameters = request.path;
    event.path = template.replace(/\{(\w+)\}/g, (_: string, name: string) => encodeURIComponent(request.path![name] ?? ''));
  }
  if (request.query) event.queryStringParameters = Object.keys(request.query).length ? request.query : null;
  event.headers = { ...event.headers, authorization: `Bearer ${CORPUS_KEY}` };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === null) delete event.headers[name];
    else event.headers[name] = value.replaceAll('$KEY', CORPUS_KEY);
  }
  event.body = null;
  event.isBase64Encoded = false;
  if (request.body !== undefined && request.body.length > 0) {
    event.body = request.body.toString('base64');
    event.isBase64Encoded = true;
  }
  return event;
}

/** The ACCESS_DENIED gateway response of serverless.yml: API Gateway's answer to the authorizer's Deny. */
function accessDenied(): RouteAnswer {
  const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..'), stage: 'test' });
  const resource = Object.values(config.resources).find(
    (candidate) => candidate.Type === 'AWS::ApiGateway::GatewayResponse' && candidate.Properties?.ResponseType === 'ACCESS_DENIED',
  );
  const properties = resource?.Properties as { StatusCode: string; ResponseTemplates: Record<string, string> };
  const text = properties.ResponseTemplates['application/json']!;
  return { status: Number(properties.StatusCode), headers: { 'content-type': 'application/json' }, body: JSON.parse(text), text };
}

function answerOf(response: {
  statusCode?: number;
  headers?: Record<string, unknown>;
  body?: string;
  isBase64Encoded?: boolean;
}): RouteAnswer {
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name, String(value)]));
  const raw = response.body ?? '';
  const text = response.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let body: unknown = text;
  if (/json/.test(headers['content-type'] ?? '')) body = JSON.parse(text);
  return { status: response.statusCode ?? 200, headers, body, text };
}
