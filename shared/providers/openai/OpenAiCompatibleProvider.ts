import type { ItemResult } from '../../batching/types';
import type { ChatCall, ChatResult, EmbeddingResult } from '../../domain/inference';
import { BackendUnavailableError } from '../../errors';
import { callSignal } from '../callSignal';
import type { CallOptions, InferenceProvider } from '../types';
import { mapHttpFailure, mapTransportFailure } from './mapHttpFailure';
import { toChatResult, toEmbeddingResults } from './openAiResponses';

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
  /** Injectable for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_EMBEDDING_INPUTS = 64;

/** `http://gpu-1:8000/v1/` and `http://gpu-1:8000` both name the same server root. */
function normaliseBaseUrl(url: string): string {
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
  readonly #backendId: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  #next = 0;

  constructor(options: OpenAiCompatibleProviderOptions) {
    if (options.baseUrls.length === 0) throw new TypeError('OpenAiCompatibleProvider needs at least one base URL.');
    this.#baseUrls = options.baseUrls.map(normaliseBaseUrl);
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    };
    this.#backendId = options.backendId;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxEmbeddingInputs = options.maxEmbeddingInputs ?? DEFAULT_MAX_EMBEDDING_INPUTS;
    // Bound lazily so a test's or a polyfill's replacement of globalThis.fetch is seen.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** One generation: POST /v1/chat/completions, not streamed. */
  async chat(call: ChatCall, options: CallOptions = {}): Promise<ChatResult> {
    const body = {
      model: call.model,
      messages: call.messages,
      ...(call.maxTokens === undefined ? {} : { max_tokens: call.maxTokens }),
      ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
      ...(call.topP === undefined ? {} : { top_p: call.topP }),
      ...(call.stop === undefined || call.stop.length === 0 ? {} : { stop: call.stop }),
      ...(call.seed === undefined ? {} : { seed: call.seed }),
      stream: false,
    };
    return toChatResult(await this.#post('chat/completions', body, options), this.#backendId);
  }

  /**
   * Embeds all inputs in ONE POST /v1/embeddings, so the server batches them on the
   * GPU; the results come back in input order.
   */
  async embed(model: string, inputs: string[], options: CallOptions = {}): Promise<ItemResult<EmbeddingResult>[]> {
    if (inputs.length === 0) return [];
    const body = { model, input: inputs, encoding_format: 'float' };
    return toEmbeddingResults(await this.#post('embeddings', body, options), inputs, this.#backendId);
  }

  /** Round robin over the pool; a counter per provider, so per backend. */
  #nextBaseUrl(): string {
    const url = this.#baseUrls[this.#next % this.#baseUrls.length]!;
    this.#next = (this.#next + 1) % this.#baseUrls.length;
    return url;
  }

  /** POSTs JSON to the next server and returns the parsed body; every failure is a BackendError. */
  async #post(route: string, body: unknown, options: CallOptions): Promise<unknown> {
    const url = `${this.#nextBaseUrl()}/v1/${route}`;
    const context = { url, backendId: this.#backendId };
    const call = callSignal(this.#timeoutMs, options.signal);
    let status: number;
    let headers: Headers;
    let text: string;
    try {
      const response = await this.#fetch(url, { method: 'POST', headers: this.#headers, body: JSON.stringify(body), signal: call.signal });
      status = response.status;
      headers = response.headers;
      // Read inside the try: the timeout and resets can also strike while the body streams.
      text = await response.text();
    } catch (error) {
      throw mapTransportFailure(error, call.timedOut(), context);
    }
    if (status < 200 || status >= 300) throw mapHttpFailure(status, headers, text, context);
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new BackendUnavailableError(`Endpoint ${url} answered HTTP ${status} with a body that is not JSON.`, { backendId: this.#backendId, cause });
    }
  }
}
