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

/** What a route handler gets. */
export interface RouteContext {
  sim: GpuSimulator;
  /** The parsed JSON body; `undefined` when the request had none. */
  body: unknown;
  /** Epoch milliseconds at which the request arrived (for reported latencies). */
  arrivedAt: number;
}

/** One route of a face, matched from method and path. */
export interface FaceRoute {
  /** Stats key, e.g. `embeddings`. */
  route: string;
  handle(context: RouteContext): Promise<HttpReply>;
}

/** A wire protocol: how its paths map to routes, and how it spells an error. */
export interface FaceDefinition {
  face: Face;
  /** The route for `method` and the raw (still percent-encoded) `pathname`, or the error to answer. */
  resolve(method: string, pathname: string): FaceRoute | SimulatorError;
  renderError(error: SimulatorError): HttpReply;
}
