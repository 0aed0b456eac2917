import type { GpuSimulator } from './GpuSimulator';
import type { SimulatorError } from './errors';
import type { Face } from './SimulatorConfig';

/** A JSON answer, before it is written to the socket. */
export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON. */
  body: unknown;
}

/**
 * A streamed answer: the status and headers go out at once, then `write` sends the body
 * piece by piece. Only returned once the request got past its faults and its first GPU
 * pass, so every error before the first byte is an ordinary {@link HttpReply}.
 */
export interface StreamReply {
  status: number;
  headers: Record<string, string>;
  /** Writes the body through `write`; resolves when the stream is over (or its client gone). */
  stream(write: (chunk: string | Uint8Array) => void): Promise<void>;
}

/** What a route handler gets. */
export interface RouteContext {
  sim: GpuSimulator;
  /** The parsed JSON body; `undefined` when the request had none. */
  body: unknown;
  /** Epoch milliseconds at which the request arrived (for reported latencies). */
  arrivedAt: number;
  /** Aborts when the client goes away before its answer is complete. */
  signal: AbortSignal;
}

/** One route of a face, matched from method and path. */
export interface FaceRoute {
  /** Stats key, e.g. `embeddings`. */
  route: string;
  handle(context: RouteContext): Promise<HttpReply | StreamReply>;
}

/** A wire protocol: how its paths map to routes, and how it spells an error. */
export interface FaceDefinition {
  face: Face;
  /** The route for `method`, the raw (still percent-encoded) `pathname` and the query string, or the error to answer. */
  resolve(method: string, pathname: string, query?: URLSearchParams): FaceRoute | SimulatorError;
  renderError(error: SimulatorError): HttpReply;
}
