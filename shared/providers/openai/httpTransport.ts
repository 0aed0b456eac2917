import http from 'node:http';
import https from 'node:https';

/** What the provider needs of an HTTP answer, whichever client carried it. */
export interface TransportAnswer {
  status: number;
  /** One response header, case-insensitive; null when absent. */
  header(name: string): string | null;
  /** The whole body as text. */
  text(): Promise<string>;
  /** The body as it arrives; leaving the iteration early drops the connection. */
  body: AsyncIterable<Uint8Array>;
}

/** POSTs a JSON body; rejects when no HTTP answer came (refused, reset, aborted). */
export type PostJson = (url: string, headers: Record<string, string>, body: string, signal: AbortSignal) => Promise<TransportAnswer>;

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

/**
 * The default transport: `node:http` over a keep-alive agent. Global `fetch` pays for
 * the WHATWG layers (Request, Response, Headers, web streams) on every call, about twice
 * the client CPU per call of this; undici's own `request` is cheaper still but adds
 * about 0.5 MB to every function bundle, which cold starts pay.
 */
export const nodeHttpPost: PostJson = (url, headers, body, signal) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const payload = Buffer.from(body);
    const req = client.request(
      target,
      { method: 'POST', headers: { ...headers, 'content-length': payload.length }, agent, signal },
      (res) => {
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const value = res.headers[name.toLowerCase()];
            if (value === undefined) return null;
            return Array.isArray(value) ? value.join(', ') : value;
          },
          text: async () => {
            const chunks: Uint8Array[] = [];
            for await (const chunk of bodyOf(res, signal)) chunks.push(chunk);
            return Buffer.concat(chunks).toString('utf8');
          },
          body: bodyOf(res, signal),
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

/**
 * The response's bytes. An abort destroys the socket, which the response reports as a
 * reset; like fetch, it rejects with the signal's reason instead, so the caller can tell
 * its own abort or timeout from a server that hung up.
 */
async function* bodyOf(res: http.IncomingMessage, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res) yield chunk as Uint8Array;
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}

/** A transport over a `fetch` function: for tests that inject one, and for runtimes without undici. */
export function fetchPost(fetchImpl: typeof fetch): PostJson {
  return async (url, headers, body, signal) => {
    const response = await fetchImpl(url, { method: 'POST', headers, body, signal });
    const stream = response.body;
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      text: () => response.text(),
      body: stream === null ? emptyBody() : stream,
    };
  };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
