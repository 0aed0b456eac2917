import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account';
import StoredObject from 's3rver/lib/models/object';
import FilesystemStore from 's3rver/lib/stores/filesystem';
import { AwsChunkedDecoder, decodedHeaders, isAwsChunked } from './awsChunkedDecoder';
import { LOOPBACK, closeServer, listenOnLoopback } from './listenOnLoopback';
import { CONDITION_HEADERS, evaluateConditions, hasConditions, type ConditionOutcome } from './s3Conditional';
import {
  answerAbortMultipartUpload,
  answerUploadPartCopy,
  isAbortMultipartUpload,
  isUploadPartCopy,
  refuseSmallParts,
} from './s3Multipart';

/** An object created or removed, with what S3 puts in the notification about it. */
export interface S3ObjectEvent {
  /** Without the `s3:` prefix: `ObjectCreated:Put`, `ObjectCreated:CompleteMultipartUpload`, `ObjectRemoved:Delete`, … */
  eventName: string;
  bucket: string;
  /** The key as stored (not encoded). */
  key: string;
  size?: number;
  /** Without quotes, as in notifications. */
  eTag?: string;
  /** Hex, increasing for the events of one key. */
  sequencer: string;
  eventTime: Date;
  sourceIp: string;
  /** The `x-amz-request-id` / `x-amz-id-2` of the request that caused it. */
  requestId: string;
  hostId: string;
  /** `AWS:<access key id>` of the caller, or `Anonymous`. */
  principalId: string;
}

/** A running S3-API server. */
export interface LocalS3 {
  url: string;
  port: number;
  /** Creates a bucket (an existing one is kept as it is). */
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startLocalS3}. */
export interface LocalS3Options {
  /** Port on 127.0.0.1; 0 picks a free one. Default 4569. */
  port?: number;
  /** Called for every object created or removed (notifications are built from it). */
  onObjectEvent?: (event: S3ObjectEvent) => void;
  /** Directory to keep the buckets in across runs (created if missing, kept on close); a fresh temporary one when absent. */
  directory?: string;
}

/** The request s3rver is handling, for what its own event and range handling leave out. */
interface S3Request {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  sourceIp: string;
  requestId: string;
  hostId: string;
}

/**
 * Starts s3rver on 127.0.0.1 in a fresh temporary directory (removed on close) or in
 * `directory` (kept, so the objects survive a restart), silent,
 * path-style only, accepting any credentials like the other stand-ins. The gaps of
 * s3rver closed here: aws-chunked bodies (the SDK's streamed uploads) are decoded
 * instead of stored with their framing; responses carry `x-amz-request-id`/`x-amz-id-2`;
 * byte ranges follow RFC 9110 (s3rver answers `bytes=0-0` with the whole object and
 * reads `bytes=-N` as the first N+1 bytes); conditional GET, HEAD and PUT are answered as
 * S3 answers them (s3rver ignores `If-Match`, so a read pinned to an ETag would read
 * whatever is there): see {@link evaluateConditions}; UploadPartCopy and AbortMultipartUpload are
 * served (s3rver answers NotImplemented and MethodNotAllowed), and CompleteMultipartUpload refuses a part but the last under
 * 5 MiB with EntityTooSmall, as S3 does (s3rver joins any parts): see `s3Multipart.ts`.
 */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const kept = options.directory !== undefined;
  const directory = kept ? options.directory! : await mkdtemp(join(tmpdir(), 'local-s3-'));
  if (kept) await mkdir(directory, { recursive: true });
  acceptAnyAccessKey();
  keepKeysLiteral();
  const s3rver = new S3rver({ silent: true, directory, vhostBuckets: false });
  const requests = new AsyncLocalStorage<S3Request>();
  fixByteRanges(s3rver.store, () => requests.getStore());
  writeObjectsWhole(s3rver.store);
  refuseSmallParts(s3rver.store);
  let lastSequencer = 0;
  s3rver.on('event', (event: S3rver.Event) => {
    const request = requests.getStore();
    for (const record of event.Records) {
      lastSequencer = Math.max(Date.now() * 1000, lastSequencer + 1);
      const { bucket, object } = record.s3;
      options.onObjectEvent?.({
        eventName: eventNameOf(record.eventName, request),
        bucket: bucket.name,
        key: object.key,
        ...(object.size !== undefined ? { size: Number(object.size) } : {}),
        ...(object.eTag !== undefined ? { eTag: object.eTag } : {}),
        sequencer: lastSequencer.toString(16).toUpperCase().padStart(16, '0'),
        eventTime: new Date(),
        sourceIp: request?.sourceIp ?? LOOPBACK,
        requestId: request?.requestId ?? newRequestId(),
        hostId: request?.hostId ?? newHostId(),
        principalId: principalOf(request?.headers),
      });
    }
  });

  // Streamed uploads arrive aws-chunked; s3rver would store the framing as the object.
  const decodedBodies = new WeakMap<IncomingMessage, AwsChunkedDecoder>();
  const createContext = s3rver.createContext.bind(s3rver);
  s3rver.createContext = (request, response) => {
    const context = createContext(request, response);
    const body = decodedBodies.get(request);
    if (body) context.req = Object.assign(body, { headers: request.headers, method: request.method, url: request.url });
    return context;
  };
  const handle = s3rver.callback();
  const server = createServer((request, response) => {
    if (isAwsChunked(request.headers)) {
      const decoder = new AwsChunkedDecoder();
      request.on('error', (error) => decoder.destroy(error));
      request.pipe(decoder);
      decodedBodies.set(request, decoder);
      request.headers = decodedHeaders(request.headers);
    }
    const context: S3Request = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? LOOPBACK,
      requestId: newRequestId(),
      hostId: newHostId(),
    };
    response.setHeader('x-amz-request-id', context.requestId);
    response.setHeader('x-amz-id-2', context.hostId);
    if (isUploadPartCopy(request)) {
      void answerUploadPartCopy(s3rver.store, request, response, context.requestId);
      return;
    }
    if (isAbortMultipartUpload(request)) {
      void answerAbortMultipartUpload(s3rver.store, request, response, context.requestId);
      return;
    }
    const target = conditionalObjectOf(request);
    if (!target) {
      requests.run(context, () => handle(request, response));
      return;
    }
    checkConditions(s3rver.store, request.method ?? 'GET', request.headers, target).then(
      (outcome) => {
        if (outcome.status === 'proceed') {
          // Evaluated here; s3rver's own partial reading of them must not answer differently.
          for (const name of CONDITION_HEADERS) delete request.headers[name];
          requests.run(context, () => handle(request, response));
          return;
        }
        (decodedBodies.get(request) ?? request).resume();
        answerCondition(response, request.method ?? 'GET', outcome, target, context.requestId);
      },
      (error: unknown) => {
        (decodedBodies.get(request) ?? request).resume();
        response.statusCode = 500;
        response.end(String(error));
      },
    );
  });
  let port: number;
  try {
    port = await listenOnLoopback(server, options.port ?? 4569, { what: 'S3 (s3rver)', envVar: 'S3_PORT' });
  } catch (error) {
    s3rver.logger.close();
    if (!kept) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    createBucket: async (name) => void (await s3rver.store.putBucket(name)),
    close: async () => {
      await closeServer(server);
      s3rver.logger.close();
      if (!kept) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Query parameters that make a request something other than GetObject/HeadObject/PutObject. */
const SUBRESOURCES = new Set([
  'acl',
  'tagging',
  'uploadId',
  'uploads',
  'torrent',
  'restore',
  'select',
  'attributes',
  'retention',
  'legal-hold',
  'delete',
]);

/** The object a conditional GET, HEAD or PUT (path-style) is about; undefined for anything else. */
function conditionalObjectOf(request: IncomingMessage): { bucket: string; key: string } | undefined {
  if (!['GET', 'HEAD', 'PUT'].includes(request.method ?? '') || !hasConditions(request.headers)) return undefined;
  const url = new URL(request.url ?? '/', 'http://local');
  if ([...url.searchParams.keys()].some((name) => SUBRESOURCES.has(name))) return undefined;
  const match = /^\/([^/]+)\/(.+)$/.exec(url.pathname);
  if (!match) return undefined;
  return { bucket: decodeURIComponent(match[1]!), key: decodeURIComponent(match[2]!) };
}

/** The outcome of the request's preconditions against the object's current version. */
async function checkConditions(
  store: S3rver.Store,
  method: string,
  headers: IncomingHttpHeaders,
  target: { bucket: string; key: string },
): Promise<ConditionOutcome> {
  let metadata: Record<string, string | number> | undefined;
  try {
    metadata = await store.getMetadata(target.bucket, target.key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const object = metadata ? { etag: String(metadata.etag), lastModified: new Date(String(metadata['last-modified'])) } : undefined;
  return evaluateConditions(method, headers, object);
}

/** 304 (no body), or S3's XML error (no body for HEAD). */
function answerCondition(
  response: ServerResponse,
  method: string,
  outcome: Exclude<ConditionOutcome, { status: 'proceed' }>,
  target: { key: string },
  requestId: string,
): void {
  response.statusCode = outcome.status;
  if (outcome.status === 304 || method === 'HEAD') {
    response.end();
    return;
  }
  const detail =
    outcome.status === 412
      ? { message: 'At least one of the pre-conditions you specified did not hold', extra: `<Condition>${outcome.condition}</Condition>` }
      : { message: 'The specified key does not exist.', extra: `<Key>${escapeXml(target.key)}</Key>` };
  response.setHeader('Content-Type', 'application/xml');
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${outcome.code}</Code><Message>${detail.message}</Message>${detail.extra}<RequestId>${requestId}</RequestId></Error>`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * s3rver names both a browser POST upload and a completed multipart upload
 * `ObjectCreated:Post`; S3 calls the second `ObjectCreated:CompleteMultipartUpload`.
 */
function eventNameOf(eventName: string, request: S3Request | undefined): string {
  if (eventName === 'ObjectCreated:Post' && request && /[?&]uploadId=/.test(request.url)) return 'ObjectCreated:CompleteMultipartUpload';
  return eventName;
}

function principalOf(headers: IncomingHttpHeaders | undefined): string {
  const accessKeyId = /Credential=([^/,\s]+)/.exec(headers?.authorization ?? '')?.[1];
  return accessKeyId ? `AWS:${accessKeyId}` : 'Anonymous';
}

const newRequestId = () => randomBytes(8).toString('hex').toUpperCase();
const newHostId = () => randomBytes(48).toString('base64');

const ANY_KEY = Symbol.for('inference-platform.local.s3.anyAccessKey');

/** s3rver knows one key pair (S3RVER); the local platform's clients use others. */
/**
 * S3 keys are literal: `inbox/a/../b/f.jsonl` is its own object, not `inbox/b/f.jsonl`.
 * s3rver stores each key as a file path, and joining a path resolves `.` and `..`
 * segments, so two keys would share one object (and a key could reach outside the
 * bucket's directory). Here a `.` or `..` segment is stored escaped (`&2e`, with `&`
 * itself escaped as `&26`) and unescaped when keys are listed, so every key stays itself.
 */
function keepKeysLiteral(): void {
  const store = FilesystemStore as typeof FilesystemStore & { [LITERAL_KEYS]?: true };
  if (store[LITERAL_KEYS]) return;
  store.encodeKeyPath = (key) =>
    key
      .split('/')
      .map((segment) => {
        const escaped = segment.replace(/&/g, '&26');
        return escaped === '.' || escaped === '..' ? escaped.replace(/\./g, '&2e') : escaped;
      })
      .join('/');
  store.decodeKeyPath = (keyPath) => keyPath.replace(/&(2e|26)/g, (sequence) => (sequence === '&2e' ? '.' : '&'));
  store[LITERAL_KEYS] = true;
}

const LITERAL_KEYS = Symbol('literal keys');

function acceptAnyAccessKey(): void {
  const registry = AWSAccount.registry as typeof AWSAccount.registry & { [ANY_KEY]?: true };
  if (registry[ANY_KEY]) return;
  const get = registry.get.bind(registry);
  registry.get = (accessKeyId: string) => get(accessKeyId) ?? AWSAccount.DUMMY_ACCOUNT;
  registry[ANY_KEY] = true;
}

/**
 * S3 replaces an object atomically: a GET during a PUT of the same key reads the old
 * object or the new one, whole. s3rver writes the new bytes into the object's file in
 * place (truncated first), so a reader could get part of it (a finalize re-run rewriting
 * a results file while a client downloads it read a half file). Here the object and its
 * metadata files are written beside, then renamed over the old ones (rename is atomic on
 * one file system); the object last, so its new bytes never show with the old ETag's
 * files missing. A failed upload leaves the old object.
 */
function writeObjectsWhole(store: S3rver.Store): void {
  const writeWhole = async (path: string, write: (temporary: string) => Promise<void>): Promise<void> => {
    const temporary = `${path}.${randomBytes(6).toString('hex')}.writing`;
    try {
      await write(temporary);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  };
  store.putMetadata = async (bucket, key, metadata, md5) => {
    const kept = Object.fromEntries(
      Object.entries(metadata).filter(([name]) => StoredObject.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')),
    );
    if (md5) await writeWhole(store.getResourcePath(bucket, key, 'object.md5'), (temporary) => writeFile(temporary, md5));
    await writeWhole(store.getResourcePath(bucket, key, 'metadata.json'), (temporary) =>
      writeFile(temporary, JSON.stringify(kept, null, 2)),
    );
  };
  store.putObject = async (object) => {
    const path = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(path), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    await writeWhole(path, async (temporary) => {
      const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(content, counted, createWriteStream(temporary));
      await store.putMetadata(object.bucket, object.key, object.metadata, md5.copy().digest('hex'));
    });
    return { size, md5: md5.digest('hex') };
  };
}

/** A single byte range of an object of `size` bytes, per RFC 9110 §14.1.2. */
export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * `bytes=a-b`, `bytes=a-` and `bytes=-n` against `size`. Undefined when the header is to
 * be ignored (malformed, several ranges, `b < a`): S3 then answers the whole object.
 */
export function parseByteRange(header: string, size: number): ByteRange {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? Number.POSITIVE_INFINITY : Number(match[2]);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Replaces the store's ranged read for requests that carry a Range header: the controller
 * has already lost `bytes=-N` (it reads it as 0–N), so the header is parsed again here.
 */
function fixByteRanges(store: S3rver.Store, currentRequest: () => S3Request | undefined): void {
  const original = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    const header = currentRequest()?.headers.range;
    if (!options || !header) return original(bucket, key, options);
    let metadata: Record<string, string | number>;
    try {
      metadata = await store.getMetadata(bucket, key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const range = parseByteRange(header, Number(metadata['content-length']));
    if (range === undefined) return original(bucket, key, {});
    if (range === 'unsatisfiable') {
      // s3rver's controller answers InvalidRange (416) for a range without content.
      const object = new StoredObject(bucket, key, null, metadata);
      object.range = { start: Number(metadata['content-length']), end: 0 };
      return object;
    }
    const content = await new Promise<ReturnType<typeof createReadStream>>((resolve, reject) => {
      const stream = createReadStream(store.getResourcePath(bucket, key, 'object'), range)
        .on('error', reject)
        .on('open', () => resolve(stream));
    });
    const object = new StoredObject(bucket, key, content, metadata);
    object.range = range;
    return object;
  };
}
