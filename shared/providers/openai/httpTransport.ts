import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { callSignal } from '../callSignal';

/**
 * What the provider needs of an HTTP answer, whichever client carried it. Read its body
 * ({@link text} or {@link body}): the request's time limit runs until it has been read.
 */
export interface TransportAnswer {
  status: number;
  /** One response header, case-insensitive; null when absent. */
  header(name: string): string | null;
  /** The whole body as text. */
  text(): Promise<string>;
  /** The body as it arrives; leaving the iteration early drops the connection. */
  body: AsyncIterable<Uint8Array>;
}

/** What stops one request, from its start to the last byte of its body. */
export interface PostOptions {
  /** The caller's signal (deadline, shutdown, a stream's consumer leaving): aborts the request. */
  signal?: AbortSignal;
  /** The request's own time limit; running out of it rejects with a {@link TransportTimeoutError}. */
  timeoutMs?: number;
}

/**
 * POSTs a JSON body; rejects when no HTTP answer came (refused, reset, aborted, timed
 * out). Reading the answer's body rejects the same way when the request is stopped then.
 */
export type PostJson = (url: string, headers: Record<string, string>, body: string, options: PostOptions) => Promise<TransportAnswer>;

/** The request's own `timeoutMs` ran out (not the caller's signal): the backend did not answer in time. */
export class TransportTimeoutError extends Error {
  constructor(timeoutMs: number, options?: ErrorOptions) {
    super(`No answer within ${timeoutMs} ms.`, options);
    this.name = 'TimeoutError';
  }
}

/** What a caller's abort rejects with, as Node's own `signal` option does: an AbortError whose cause is the signal's reason. */
function abortError(reason: unknown): Error {
  const error = new Error('The operation was aborted', { cause: reason });
  error.name = 'AbortError';
  return error;
}

/**
 * Idle sockets are closed after 4 s: below the 5 s keep-alive of uvicorn (vLLM) and of
 * Node's own servers, so the client never reuses a socket the server is closing.
 */
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/**
 * One keep-alive pool per protocol, shared by every provider of the container: the
 * pool's servers are the same whichever model or worker invocation calls them. No cap
 * on sockets: the batching core's limiter decides how many calls are in flight.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS, scheduling: 'lifo' }),
};

/** A parsed request target: the client module and the request options of one URL. */
interface Target {
  client: typeof http | typeof https;
  options: http.RequestOptions;
}

/**
 * Parsed targets by URL. A provider posts to a handful of URLs (its servers × two
 * routes), so parsing each once saves a `new URL` per call; the bound only guards against
 * a caller that makes up URLs.
 */
const targets = new Map<string, Target>();
const MAX_TARGETS = 256;

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    const secure = parsed.protocol === 'https:';
    target = {
      client: secure ? https : http,
      options: { ...urlToHttpOptions(parsed), method: 'POST', agent: secure ? agents['https:'] : agents['http:'] },
    };
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, target);
  }
  return target;
}

/**
 * The default transport: `node:http` over a keep-alive agent. Global `fetch` pays for
 * the WHATWG layers (Request, Response, Headers, web streams) on every call, about twice
 * the client CPU per call of this; undici's own `request` is cheaper still but adds
 * about 0.5 MB to every function bundle, which cold starts pay.
 *
 * Per call it builds no AbortSignal: the time limit is one timer and the caller's signal
 * one listener, both dropped once the answer is over (read, or cut) or the request failed;
 * either stops the request by destroying it. The body goes out as one string with the
 * headers, and the answer is read with stream events rather than an async iterator.
 */
export const nodeHttpPost: PostJson = (url, headers, body, options) =>
  new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(abortError(options.signal.reason));
      return;
    }
    new NodeHttpCall(url, headers, body, options, resolve, reject);
  });

/**
 * One request and its answer. Its handlers are methods, not closures made per call (a
 * bundle built with `keepNames` pays a `defineProperty` for each named closure); it is
 * itself the caller's signal's listener (`handleEvent`). The timer and the listener are
 * dropped when the answer has been read ({@link text} or {@link body}) or the request
 * failed: an answer must be read, or they stay until the time limit.
 */
class NodeHttpCall implements TransportAnswer {
  status = 0;
  /** Why we stopped the request, once we have: what any later failure of it rejects with. */
  #stopped: Error | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #req: http.ClientRequest;
  #res: http.IncomingMessage | undefined;
  #body: AsyncIterable<Uint8Array> | undefined;

  constructor(
    url: string,
    headers: Record<string, string>,
    body: string,
    { signal, timeoutMs }: PostOptions,
    resolve: (answer: TransportAnswer) => void,
    reject: (error: unknown) => void,
  ) {
    const { client, options } = targetOf(url);
    this.#signal = signal;
    this.#req = client.request({ ...options, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      this.#res = res;
      this.status = res.statusCode ?? 0;
      resolve(this);
    });
    this.#req.on('error', (error) => {
      this.#release();
      reject(this.#stopped ?? error);
    });
    signal?.addEventListener('abort', this, { once: true });
    // Unref'd, as AbortSignal.timeout's timer is: a request's time limit alone keeps no process alive.
    if (timeoutMs !== undefined) this.#timer = setTimeout(onTimeout, timeoutMs, this, timeoutMs).unref();
    this.#req.end(body);
  }

  header(name: string): string | null {
    const value = this.#res!.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /**
   * The whole answer as text. An answer cut before its end (reset, or stopped by us)
   * rejects: with our reason when we stopped it, else with the socket's error.
   */
  text(): Promise<string> {
    const res = this.#res!;
    // Stopped or cut before the read began: no event of the answer would come any more.
    if (this.#stopped !== undefined || (res.destroyed && !res.complete)) {
      this.#release();
      return Promise.reject(this.#stopped ?? connectionClosed());
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let settled = false;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        this.#release();
        resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', (error) => {
        if (settled) return;
        settled = true;
        this.#release();
        reject(this.#stopped ?? error);
      });
      // Closed without an end or an error: the connection went away mid-body.
      res.on('close', () => {
        if (settled || res.complete) return;
        settled = true;
        this.#release();
        reject(this.#stopped ?? connectionClosed());
      });
    });
  }

  /** The answer's bytes as they arrive; leaving the iteration early drops the connection. */
  get body(): AsyncIterable<Uint8Array> {
    this.#body ??= this.#bytes();
    return this.#body;
  }

  /**
   * The answer's bytes. When we stop the request, the answer reports a reset; like fetch,
   * it rejects with our reason instead, so the caller can tell its own abort or timeout
   * from a server that hung up.
   */
  async *#bytes(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of this.#res!) yield chunk as Uint8Array;
    } catch (error) {
      throw this.#stopped ?? error;
    } finally {
      this.#release();
    }
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.stop(abortError(this.#signal!.reason));
  }

  /** Stops the request (and the reading of its answer) with `error`. */
  stop(error: Error): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = error;
    this.#release();
    this.#req.destroy(error);
  }

  #release(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#signal?.removeEventListener('abort', this);
  }
}

/** The connection went away before the answer's end, with no error of its own. */
function connectionClosed(): Error {
  return Object.assign(new Error('The connection closed before the answer was complete.'), { code: 'ECONNRESET' });
}

function onTimeout(call: NodeHttpCall, timeoutMs: number): void {
  call.stop(new TransportTimeoutError(timeoutMs));
}

/**
 * A transport over a `fetch` function: for tests that inject one, and for runtimes
 * without undici. The time limit and the caller's signal become one signal here.
 */
export function fetchPost(fetchImpl: typeof fetch): PostJson {
  return async (url, headers, body, { signal, timeoutMs }) => {
    const call = callSignal(timeoutMs, signal);
    const timedOut = (error: unknown): unknown => (call.timedOut() ? new TransportTimeoutError(timeoutMs!, { cause: error }) : error);
    let response: Response;
    try {
      response = await fetchImpl(url, { method: 'POST', headers, body, signal: call.signal });
    } catch (error) {
      throw timedOut(error);
    }
    const stream = response.body;
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      text: () => response.text().catch((error: unknown) => Promise.reject(timedOut(error))),
      body: stream === null ? emptyBody() : stream,
    };
  };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
