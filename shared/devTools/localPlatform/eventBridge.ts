import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EventBridgeEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './lambdaContext';
import { LOOPBACK, closeServer, listenOnLoopback } from './listenOnLoopback';

/** An event as EventBridge delivers it to a target, plus the bus it was put on. */
export type RecordedEvent = EventBridgeEvent<string, unknown> & { eventBusName: string };

/** A running EventBridge stand-in. */
export interface LocalEventBridge {
  url: string;
  port: number;
  /** Every event put so far, oldest first. */
  events(): RecordedEvent[];
  clear(): void;
  close(): Promise<void>;
}

/** Options of {@link startLocalEventBridge}. */
export interface LocalEventBridgeOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 4010. */
  port?: number;
  region?: string;
  /** Names of the buses that exist besides `default`. */
  eventBuses?: string[];
  /** Each accepted event as one JSON line; default: stdout unless quiet. */
  onEvent?: (event: RecordedEvent) => void;
  quiet?: boolean;
}

/** PutEvents takes at most 10 entries, of at most 256 KB together. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * EventBridge's PutEvents over its JSON 1.1 protocol, so `@aws-sdk/client-eventbridge`
 * works unchanged (AWS_ENDPOINT_URL_EVENTBRIDGE). Events are not routed to rules or
 * targets; they are kept, listed at `GET /_events` and cleared with `DELETE /_events`,
 * which is what local runs and tests need to see what the platform published.
 */
export async function startLocalEventBridge(options: LocalEventBridgeOptions = {}): Promise<LocalEventBridge> {
  const region = options.region ?? 'us-east-1';
  const buses = new Set(['default', ...(options.eventBuses ?? [])]);
  const recorded: RecordedEvent[] = [];
  const onEvent = options.onEvent ?? (options.quiet ? () => undefined : (event: RecordedEvent) => console.log(JSON.stringify(event)));

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) =>
      reply(response, 500, { __type: 'InternalException', message: String((error as Error)?.message ?? error) }),
    );
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/_events') {
      if (request.method === 'GET') return reply(response, 200, recorded, 'application/json');
      if (request.method === 'DELETE') {
        recorded.length = 0;
        response.writeHead(204).end();
        return;
      }
      return reply(response, 405, { message: 'GET or DELETE' }, 'application/json');
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || path !== '/' || !target.startsWith('AWSEvents.')) {
      return reply(response, 404, {
        __type: 'UnknownOperationException',
        message: `${request.method} ${path} is not an EventBridge operation`,
      });
    }
    if (target !== 'AWSEvents.PutEvents') {
      return reply(response, 400, {
        __type: 'UnknownOperationException',
        message: `${target.slice('AWSEvents.'.length)} is not emulated locally (PutEvents is)`,
      });
    }
    const body = await readBody(request);
    if (body === undefined)
      return reply(response, 413, {
        __type: 'ValidationException',
        message: `Total size of the entries in the request is over the limit (${MAX_REQUEST_BYTES} bytes).`,
      });
    let input: { Entries?: unknown };
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as { Entries?: unknown };
    } catch {
      return reply(response, 400, { __type: 'SerializationException', message: 'The request body is not JSON.' });
    }
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      return reply(response, 400, {
        __type: 'ValidationException',
        message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      });
    }
    const results = entries.map((entry: Record<string, unknown>) => putEntry(entry ?? {}));
    return reply(response, 200, { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results });
  }

  function putEntry(entry: Record<string, unknown>): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const busName = String(entry.EventBusName ?? 'default').replace(/^arn:aws:events:[^:]*:[^:]*:event-bus\//, '');
    if (!buses.has(busName)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    for (const field of ['Source', 'DetailType', 'Detail'] as const) {
      if (typeof entry[field] !== 'string' || entry[field] === '')
        return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      detail = undefined;
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail))
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const id = randomUUID();
    // The SDK sends Time as epoch seconds; EventBridge writes times without milliseconds.
    const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date();
    const event: RecordedEvent = {
      version: '0',
      id,
      'detail-type': entry.DetailType as string,
      source: entry.Source as string,
      account: LOCAL_ACCOUNT_ID,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      detail,
      eventBusName: busName,
    };
    recorded.push(event);
    onEvent(event);
    return { EventId: id };
  }

  const port = await listenOnLoopback(server, options.port ?? 4010, { what: 'EventBridge', envVar: 'EVENTS_PORT' });
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    events: () => [...recorded],
    clear: () => {
      recorded.length = 0;
    },
    close: () => closeServer(server),
  };
}

function reply(response: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.1'): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
  response.end(text);
}

/** The body, or undefined past PutEvents' size limit (with room for the JSON around the entries). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const limit = MAX_REQUEST_BYTES * 2;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
