/**
 * The GPU simulator: an OpenAI-compatible and Bedrock-Runtime-compatible server whose
 * latency follows a GPU's (embeddings: fixed cost per forward pass, cost per item, a few
 * batch slots; generation: vLLM's continuous batching, steps over up to `maxNumSeqs`
 * sequences), with deterministic outputs and fault knobs. Start it with
 * {@link startSimulator} (tests, the local platform) or `npm run simulator` (CLI).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBedrockBatchFace, isBedrockBatchPath } from './bedrockBatchFace';
import { bedrockFace } from './bedrockFace';
import { handleControl } from './controlRoutes';
import { SimulatorError } from './errors';
import { GpuSimulator } from './GpuSimulator';
import { ModelInvocationJobs } from './ModelInvocationJobs';
import { openAiFace } from './openAiFace';
import {
  DEFAULT_SIMULATOR_CONFIG,
  applyConfigPatch,
  maxItemsPerSecond,
  maxSequencesPerSecond,
  type GenerationShape,
  type SimulatorConfig,
  type SimulatorConfigPatch,
} from './SimulatorConfig';
import type { SimulatorStatsSnapshot } from './SimulatorStats';
import type { FaceDefinition, HttpReply, StreamReply } from './types';

/**
 * The HTTP skin of the simulator: routes `/v1/...` to the OpenAI face, `/model/...` to
 * the Bedrock face, `/model-invocation-job(s)...` to the Bedrock batch face
 * (bedrockBatchFace.ts) and `/_sim/...` to the control plane, reads JSON bodies, adds the
 * configured latency, and listens on 127.0.0.1 only.
 */

/** The host the simulator binds: loopback only, never a public interface. */
export const SIMULATOR_HOST = '127.0.0.1';

/** Largest request body accepted (a big embeddings batch fits comfortably). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Options of {@link startSimulator}: any configuration knob, plus the port. */
export interface SimulatorOptions extends SimulatorConfigPatch {
  /** Port to listen on; 0 (the default) lets the OS pick a free one. */
  port?: number;
  /** The local S3 (path-style) that Bedrock batch inference jobs read and write; without it jobs are refused. */
  s3Endpoint?: string;
  /** The local EventBridge that gets the batch jobs' state-change events; without it none are sent. */
  eventsEndpoint?: string;
  /** Region of the batch jobs' ARNs and of the S3 and EventBridge clients. Default `us-east-1`. */
  region?: string;
}

/** A simulator listening on 127.0.0.1. */
export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:8100` (OpenAI base URL is this plus `/v1`). */
  readonly url: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** A copy of the current configuration. */
  readonly config: SimulatorConfig;
  /** Applies a partial configuration at run time, as `POST /_sim/config` does. */
  updateConfig(patch: SimulatorConfigPatch): SimulatorConfig;
  /** The counters, as `GET /_sim/stats` answers them. */
  stats(): SimulatorStatsSnapshot;
  /** Zeroes the stats, as `POST /_sim/reset` does. */
  reset(): void;
  /** The embedding passes' throughput ceiling of the current configuration, in items per second. */
  maxItemsPerSecond(): number;
  /** The generation engine's ceiling for requests of `shape`, in requests per second (SimulatorConfig `maxSequencesPerSecond`). */
  maxSequencesPerSecond(shape: GenerationShape): number;
  /** Stops listening, drops open connections and cancels pending passes. */
  close(): Promise<void>;
}

function readRaw(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SimulatorError('too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The JSON body, or `undefined` when empty. Read once, however many times it is asked for. */
function bodyReader(request: IncomingMessage): () => Promise<unknown> {
  let parsed: Promise<unknown> | undefined;
  return () =>
    (parsed ??= readRaw(request).then((raw) => {
      if (raw.length === 0) return undefined;
      try {
        return JSON.parse(raw.toString('utf8')) as unknown;
      } catch (error) {
        throw new SimulatorError('validation', `request body is not valid JSON: ${(error as Error).message}`, { cause: error });
      }
    }));
}

function send(response: ServerResponse, reply: HttpReply): void {
  if (response.destroyed || response.headersSent) return;
  const payload = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  response.end(payload);
}

/** The faces a simulator serves; the batch face holds that simulator's jobs. */
interface Faces {
  bedrockBatch: FaceDefinition;
}

function faceFor(pathname: string, faces: Faces): FaceDefinition | null {
  if (pathname === '/v1' || pathname.startsWith('/v1/')) return openAiFace;
  if (pathname.startsWith('/model/')) return bedrockFace;
  if (isBedrockBatchPath(pathname)) return faces.bedrockBatch;
  return null;
}

/**
 * Sends a streamed reply, stopping when its client goes away. A client already gone still
 * has its stream run (writing nowhere), so its generation is stopped and counted.
 */
async function sendStream(response: ServerResponse, reply: StreamReply): Promise<void> {
  if (!response.destroyed) {
    response.writeHead(reply.status, reply.headers);
    response.flushHeaders();
  }
  try {
    await reply.stream((chunk) => {
      if (!response.destroyed && !response.writableEnded) response.write(chunk);
    });
  } finally {
    if (!response.destroyed && !response.writableEnded) response.end();
  }
}

/**
 * An abort signal that fires when the client goes away before its answer is complete:
 * the response closes without having finished.
 */
function clientGone(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Runs one face request end to end and returns its reply, errors rendered by the face. */
async function serveFace(
  sim: GpuSimulator,
  face: FaceDefinition,
  request: IncomingMessage,
  url: URL,
  signal: AbortSignal,
): Promise<HttpReply | StreamReply> {
  const arrivedAt = Date.now();
  const method = request.method ?? 'GET';
  const pathname = url.pathname;
  const resolved = face.resolve(method, pathname, url.searchParams);
  sim.recordArrival(face.face, resolved instanceof SimulatorError ? 'unknown' : resolved.route);
  let reply: HttpReply | StreamReply;
  try {
    if (resolved instanceof SimulatorError) throw resolved;
    const body = method === 'GET' ? undefined : await bodyReader(request)();
    reply = await resolved.handle({ sim, body, arrivedAt, signal });
  } catch (error) {
    const known =
      error instanceof SimulatorError
        ? error
        : error instanceof URIError
          ? new SimulatorError('validation', `bad percent-encoding in ${pathname}`, { cause: error })
          : new SimulatorError('internal', `simulator bug: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    reply = face.renderError(known);
  }
  await sim.sleep(sim.config.addedLatencyMs);
  const idHeader = face.face === 'bedrock' ? 'x-amzn-requestid' : 'x-request-id';
  reply.headers = { [idHeader]: randomUUID(), ...reply.headers };
  sim.recordResponse(face.face, reply.status);
  return reply;
}

async function route(sim: GpuSimulator, faces: Faces, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const url = new URL(request.url ?? '/', `http://${SIMULATOR_HOST}`);
  const pathname = url.pathname;
  if (pathname.startsWith('/_sim/')) {
    const reply = await handleControl(sim, method, pathname, bodyReader(request));
    send(
      response,
      reply ?? {
        status: 404,
        body: { error: { message: `no route ${method} ${pathname}`, type: 'not_found_error', param: null, code: null } },
      },
    );
    return;
  }
  if (method === 'GET' && (pathname === '/health' || pathname === '/ping')) {
    send(response, { status: 200, body: { status: 'ok' } });
    return;
  }
  const face = faceFor(pathname, faces);
  if (!face) {
    send(response, { status: 404, body: { message: `no route ${method} ${pathname}` } });
    return;
  }
  const reply = await serveFace(sim, face, request, url, clientGone(response));
  if ('stream' in reply) await sendStream(response, reply);
  else send(response, reply);
}

/**
 * Starts a GPU simulator on 127.0.0.1 and resolves once it listens.
 * @throws SimulatorConfigError when an option is out of range; the listen error when the port is taken.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const { port = 0, s3Endpoint, eventsEndpoint, region, ...patch } = options;
  const sim = new GpuSimulator(applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, patch));
  const jobs = new ModelInvocationJobs({
    config: () => sim.config,
    ...(s3Endpoint !== undefined ? { s3Endpoint } : {}),
    ...(eventsEndpoint !== undefined ? { eventsEndpoint } : {}),
    ...(region !== undefined ? { region } : {}),
  });
  const faces: Faces = { bedrockBatch: createBedrockBatchFace(jobs) };
  const server = createServer((request, response) => {
    route(sim, faces, request, response).catch((error: unknown) => {
      send(response, { status: 500, body: { message: `simulator bug: ${(error as Error)?.message ?? String(error)}` } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, SIMULATOR_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${SIMULATOR_HOST}:${bound}`,
    port: bound,
    get config() {
      return sim.config;
    },
    updateConfig: (update) => sim.updateConfig(update),
    stats: () => sim.stats(),
    reset: () => sim.reset(),
    maxItemsPerSecond: () => maxItemsPerSecond(sim.config),
    maxSequencesPerSecond: (shape) => maxSequencesPerSecond(sim.config, shape),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        sim.close();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets (the AWS SDK and fetch pool them) would hold close() open.
        server.closeAllConnections();
      }).then(() => jobs.close());
      return closing;
    },
  };
}
