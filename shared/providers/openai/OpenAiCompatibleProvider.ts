import type { ItemResult } from '../../batchingCore/types';
import type { ChatCall, ChatDelta, ChatResult, EmbeddingInput, EmbeddingResult, Usage } from '../../domain/inference';
import { BackendError, BackendUnavailableError } from '../../errors/backendErrors';
import { streamSignal } from '../streamSignal';
import type { CallOptions, EmbedOptions, InferenceProvider } from '../types';
import { fetchPost, nodeHttpPost, TransportTimeoutError } from './httpTransport';
import type { PostJson, TransportAnswer } from './httpTransport';
import { mapHttpFailure, mapTransportFailure } from './mapHttpFailure';
import type { RequestContext } from './mapHttpFailure';
import { toChatRequestBody, toEmbeddingsRequestBody } from './openAiRequests';
import { toChatResult, toEmbeddingResults } from './openAiResponses';
import { isEmptyDelta, parseStreamData } from './openAiStream';
import { readSseData } from './readSse';
import { ServedModels } from './ServedModels';

/** How to build an {@link OpenAiCompatibleProvider}. */
export interface OpenAiCompatibleProviderOptions {
  /** The pool's servers, with or without a trailing `/v1`. At least one. */
  baseUrls: string[];
  /** Sent as `Authorization: Bearer` (vLLM `--api-key`); omitted when absent. */
  apiKey?: string;
  /** The catalogue backend id, carried on every error for routing and circuit breaking. */
  backendId?: string;
  /** Longest one request may take before it is abandoned as unavailable. Default 60 s. */
  timeoutMs?: number;
  /** Most inputs sent in one embeddings request. Default 64. */
  maxEmbeddingInputs?: number;
  /**
   * Injectable for tests. Without it the provider talks through a `node:http` keep-alive agent
   * (see httpTransport.ts), not through the global fetch.
   */
  fetch?: typeof fetch;
  /**
   * How long a server's `GET /v1/models` is trusted (see {@link ServedModels}): each
   * request then goes only to servers that list its model. Absent or 0: every server is
   * taken to serve every model.
   */
  modelListTtlMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_EMBEDDING_INPUTS = 64;

/** `http://gpu-1:8000/v1/` and `http://gpu-1:8000` both name the same server root. */
export function normaliseBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

/**
 * A pool of OpenAI-compatible servers (vLLM, TGI, Ollama on EC2 GPUs). Each request
 * goes to the next server in turn. A failed server is not retried here: the error goes
 * up, and the caller's retry lands on the next server of the rotation, so one dead
 * server costs one attempt rather than a burst.
 */
export class OpenAiCompatibleProvider implements InferenceProvider {
  readonly kind = 'openai-compatible' as const;
  readonly maxEmbeddingInputs: number;
  readonly #baseUrls: string[];
  readonly #headers: Record<string, string>;
  readonly #streamHeaders: Record<string, string>;
  readonly #backendId: string | undefined;
  readonly #timeoutMs: number;
  readonly #post: PostJson;
  readonly #servedModels: ServedModels | undefined;
  #next = 0;

  constructor(options: OpenAiCompatibleProviderOptions) {
    if (options.baseUrls.length === 0) throw new TypeError('OpenAiCompatibleProvider needs at least one base URL.');
    this.#baseUrls = options.baseUrls.map(normaliseBaseUrl);
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    };
    this.#streamHeaders = { ...this.#headers, accept: 'text/event-stream' };
    this.#backendId = options.backendId;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxEmbeddingInputs = options.maxEmbeddingInputs ?? DEFAULT_MAX_EMBEDDING_INPUTS;
    this.#post = options.fetch === undefined ? nodeHttpPost : fetchPost(options.fetch);
    this.#servedModels =
      options.modelListTtlMs === undefined || options.modelListTtlMs <= 0
        ? undefined
        : new ServedModels({
            servers: this.#baseUrls,
            ttlMs: options.modelListTtlMs,
            headers: options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` },
            // A listing is one small GET every ttl per server: the global fetch will do, unless a test injects one.
            fetch: options.fetch ?? ((input, init) => fetch(input, init)),
          });
  }

  /** One generation: POST /v1/chat/completions, not streamed. */
  async chat(call: ChatCall, options: CallOptions = {}): Promise<ChatResult> {
    const body = toChatRequestBody(call);
    body.stream = false;
    return toChatResult(await this.#postJson('chat/completions', call.model, body, options), this.#backendId);
  }

  /**
   * One streamed generation: POST /v1/chat/completions with `stream: true` and usage in
   * the last chunk, read as server-sent events while they arrive. Each chunk that says
   * something becomes a delta; the usage comes as a last delta of its own.
   *
   * - An HTTP error before the body, a refused connection or a server that does not
   *   start in time throws from the first `next()`, mapped as for {@link chat}.
   * - `data: {"error": ...}` mid-stream throws the error it stands for (its `code` as
   *   the HTTP status); a body that ends with neither `[DONE]` nor a finish reason is a broken
   *   server (BackendUnavailableError).
   * - The timeout covers the wait for the first delta only; after it, only the caller's
   *   signal stops the stream, and aborting it throws a BackendUnavailableError.
   * - Stopping early (`return()`, `break`) cancels the body and the request, so the
   *   server sees the client leave and stops generating.
   */
  async *chatStream(call: ChatCall, options: CallOptions = {}): AsyncGenerator<ChatDelta> {
    const server = await this.#nextServer(call.model);
    const url = `${server}/v1/chat/completions`;
    const context: RequestContext = { url, backendId: this.#backendId };
    const body = toChatRequestBody(call);
    body.stream = true;
    body.stream_options = { include_usage: true };
    const stream = streamSignal(this.#timeoutMs, options.signal);
    let complete = false;
    try {
      let response: TransportAnswer;
      try {
        response = await this.#post(url, this.#streamHeaders, JSON.stringify(body), { signal: stream.signal });
      } catch (error) {
        throw mapTransportFailure(error, stream.timedOut(), context);
      }
      if (response.status < 200 || response.status >= 300) {
        let text: string;
        try {
          text = await response.text();
        } catch (error) {
          throw mapTransportFailure(error, stream.timedOut(), context);
        }
        throw this.#failure(server, call.model, response, text, context);
      }

      let usage: Usage | undefined;
      let finished = false;
      try {
        for await (const data of readSseData(response.body)) {
          const piece = parseStreamData(data, this.#backendId);
          if (piece.kind === 'done') {
            finished = true;
            break;
          }
          if (piece.kind === 'error') throw mapHttpFailure(piece.status, () => null, piece.body, context);
          if (piece.usage !== undefined) usage = piece.usage;
          if (piece.delta.finishReason !== undefined) finished = true;
          if (isEmptyDelta(piece.delta)) continue;
          stream.started();
          yield piece.delta;
        }
      } catch (error) {
        if (error instanceof BackendError) throw error;
        throw mapTransportFailure(error, stream.timedOut(), context);
      }
      if (!finished) {
        throw new BackendUnavailableError(`Backend ${this.#backendId ?? 'endpoint'} ended the stream before the answer was finished.`, {
          backendId: this.#backendId,
        });
      }
      complete = true;
      if (usage !== undefined) yield { usage };
    } finally {
      // Early return, a failure or the consumer throwing in: drop the connection.
      if (!complete) stream.cancel();
      stream.dispose();
    }
  }

  /**
   * Embeds all inputs in ONE POST /v1/embeddings, so the server batches them on the
   * GPU; the results come back in input order. Texts and token-id arrays cannot share a
   * request (OpenAI's `input` is a list of one or the other), so a mix goes out as one
   * request per kind, merged back in input order. `dimensions` is passed through.
   */
  async embed(model: string, inputs: EmbeddingInput[], options: EmbedOptions = {}): Promise<ItemResult<EmbeddingResult>[]> {
    if (inputs.length === 0) return [];
    const texts = inputs.flatMap((input, i) => (typeof input === 'string' ? [i] : []));
    if (texts.length === 0 || texts.length === inputs.length) return this.#embedBatch(model, inputs, options);
    const tokenIds = inputs.flatMap((input, i) => (typeof input === 'string' ? [] : [i]));
    const results = new Array<ItemResult<EmbeddingResult>>(inputs.length);
    for (const indices of [texts, tokenIds]) {
      const batch = await this.#embedBatch(
        model,
        indices.map((i) => inputs[i]!),
        options,
      );
      indices.forEach((index, j) => {
        results[index] = batch[j]!;
      });
    }
    return results;
  }

  async #embedBatch(model: string, inputs: EmbeddingInput[], options: EmbedOptions): Promise<ItemResult<EmbeddingResult>[]> {
    const body = toEmbeddingsRequestBody(model, inputs, options.dimensions);
    return toEmbeddingResults(await this.#postJson('embeddings', model, body, options), inputs, this.#backendId);
  }

  /**
   * Round robin over the servers of the pool that serve `model` (all of them when the
   * pool does not check); a counter per provider, so per backend. No server serving it
   * is the pool's failure, not the request's: the caller falls back to the next backend.
   */
  async #nextServer(model: string): Promise<string> {
    return this.#pick(await this.#serversFor(model), model);
  }

  /** The servers of the pool that serve `model`; at once (no promise) while the pool's listings are fresh. */
  #serversFor(model: string): string[] | Promise<string[]> {
    return this.#servedModels === undefined ? this.#baseUrls : this.#servedModels.serversFor(model);
  }

  /** The next server of the rotation among `servers`, those that serve `model`. */
  #pick(servers: string[], model: string): string {
    if (servers.length === 0) {
      throw new BackendUnavailableError(`No server of backend ${this.#backendId ?? 'endpoint'} serves the model '${model}' right now.`, {
        backendId: this.#backendId,
      });
    }
    const server = servers[this.#next % servers.length]!;
    this.#next = (this.#next + 1) % Number.MAX_SAFE_INTEGER;
    return server;
  }

  /** Maps a non-2xx answer; a 404 also takes the model off that server until it lists it again. */
  #failure(server: string, model: string, response: TransportAnswer, text: string, context: RequestContext): BackendError {
    if (response.status === 404) this.#servedModels?.markNotServing(server, model);
    return mapHttpFailure(response.status, (name) => response.header(name), text, context);
  }

  /**
   * POSTs JSON to the next server and returns the parsed body; every failure is a
   * BackendError. The transport holds the time limit and the caller's signal itself (one
   * timer, one listener), so a call builds no AbortSignal of its own.
   */
  async #postJson(route: string, model: string, body: unknown, options: CallOptions): Promise<unknown> {
    const servers = this.#serversFor(model);
    const server = this.#pick(Array.isArray(servers) ? servers : await servers, model);
    const url = `${server}/v1/${route}`;
    let response: TransportAnswer;
    let text: string;
    try {
      response = await this.#post(url, this.#headers, JSON.stringify(body), { signal: options.signal, timeoutMs: this.#timeoutMs });
      // Read inside the try: the timeout and resets can also strike while the body streams.
      text = await response.text();
    } catch (error) {
      throw mapTransportFailure(error, error instanceof TransportTimeoutError, { url, backendId: this.#backendId });
    }
    const { status } = response;
    if (status < 200 || status >= 300) throw this.#failure(server, model, response, text, { url, backendId: this.#backendId });
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new BackendUnavailableError(`Endpoint ${url} answered HTTP ${status} with a body that is not JSON.`, {
        backendId: this.#backendId,
        cause,
      });
    }
  }
}
