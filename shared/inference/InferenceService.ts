import { randomUUID } from 'node:crypto';
import type { BatchItem, Outcome } from '../batching/types';
import type { BatchingCore } from '../batching/BatchingCore';
import {
  encodeEmbeddingBase64, estimateTokens, messageText, TOKENS_PER_MESSAGE,
  type ChatCompletionRequest, type ChatCompletionResponse, type EmbeddingsRequest, type EmbeddingsResponse,
  type ChatResult, type EmbeddingResult, type InferenceInput, type InferenceOutput, type ModelEntry,
} from '../domain';
import { ContextLengthExceededError, InvalidRequestError } from '../errors';
import { routeOf, type ModelRouter } from '../routing/ModelRouter';
import { outcomeError } from './outcomeErrors';

/** When the caller must have its answer: an absolute time in ms since the epoch. */
export interface ServeOptions {
  deadline?: number;
  signal?: AbortSignal;
}

/** The model as `GET /v1/models` lists it. */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** Unix time the models are listed as created at: the catalogue has no dates. */
const CATALOGUE_EPOCH = 1_735_689_600;

/**
 * The real-time inference use cases: validate a request against its model, run it
 * through the batching core (routing, fallback, retries, deadline) and shape the
 * OpenAI-compatible response.
 */
export class InferenceService {
  constructor(
    private readonly router: ModelRouter,
    private readonly core: BatchingCore<InferenceInput, InferenceOutput>,
    private readonly now: () => number = Date.now,
  ) {}

  /** `POST /v1/chat/completions`. */
  async chatCompletion(request: ChatCompletionRequest, options: ServeOptions = {}): Promise<ChatCompletionResponse> {
    if (request.stream) {
      throw new InvalidRequestError('Streaming is not supported yet (it is planned): send "stream": false or leave it out.', { param: 'stream', code: 'unsupported_parameter' });
    }
    const model = this.router.model(request.model, 'chat');
    const maxTokens = this.maxTokens(request, model);
    const promptTokens = request.messages.reduce((sum, m) => sum + estimateTokens(messageText(m)) + TOKENS_PER_MESSAGE, 0);
    if (promptTokens + maxTokens > model.contextTokens) {
      throw new ContextLengthExceededError(model.id, model.contextTokens, promptTokens + maxTokens, 'messages');
    }
    const stop = request.stop == null ? undefined : Array.isArray(request.stop) ? request.stop : [request.stop];
    const item: BatchItem<InferenceInput> = {
      id: '0',
      route: routeOf('chat', model.id),
      estimatedTokens: promptTokens + maxTokens,
      input: { kind: 'chat', call: { messages: request.messages, maxTokens, temperature: request.temperature, topP: request.top_p, stop, seed: request.seed } },
    };
    const [outcome] = await this.core.run([item], options);
    const result = this.chatResult(outcome!);
    return {
      id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
      object: 'chat.completion',
      created: Math.floor(this.now() / 1000),
      model: model.id,
      choices: [{ index: 0, message: { role: 'assistant', content: result.content, refusal: null }, finish_reason: result.finishReason, logprobs: null }],
      usage: { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens, total_tokens: result.usage.promptTokens + result.usage.completionTokens },
    };
  }

  /** `POST /v1/embeddings`: the inputs go through the core together, so a backend that takes lists gets one call. */
  async embeddings(request: EmbeddingsRequest, options: ServeOptions = {}): Promise<EmbeddingsResponse> {
    if (request.dimensions !== undefined) {
      throw new InvalidRequestError('"dimensions" is not supported: each model returns its native dimension.', { param: 'dimensions', code: 'unsupported_parameter' });
    }
    const model = this.router.model(request.model, 'embeddings');
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    const items = inputs.map((text, i): BatchItem<InferenceInput> => {
      const tokens = estimateTokens(text);
      if (tokens > model.contextTokens) {
        throw new ContextLengthExceededError(model.id, model.contextTokens, tokens, typeof request.input === 'string' ? 'input' : `input[${i}]`);
      }
      return { id: String(i), route: routeOf('embeddings', model.id), estimatedTokens: tokens, input: { kind: 'embedding', text } };
    });
    const outcomes = await this.core.run(items, options);
    let promptTokens = 0;
    const data = outcomes.map((outcome, index) => {
      const result = this.embeddingResult(outcome);
      promptTokens += result.usage.promptTokens;
      const embedding = request.encoding_format === 'base64' ? encodeEmbeddingBase64(result.vector) : result.vector;
      return { object: 'embedding' as const, index, embedding };
    });
    return { object: 'list', data, model: model.id, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
  }

  /** `GET /v1/models`. */
  listModels(): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: this.router.listModels().map(toModelObject) };
  }

  /** `GET /v1/models/{model}`. */
  getModel(id: string): ModelObject {
    return toModelObject(this.router.model(id));
  }

  private maxTokens(request: ChatCompletionRequest, model: ModelEntry): number {
    const asked = request.max_completion_tokens ?? request.max_tokens;
    if (asked !== undefined && asked > model.maxOutputTokens) {
      const param = request.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
      throw new InvalidRequestError(`'${param}' is ${asked}, above the limit of ${model.maxOutputTokens} for '${model.id}'.`, { param, code: 'invalid_value' });
    }
    return asked ?? Math.min(model.maxOutputTokens, 4_096);
  }

  private chatResult(outcome: Outcome<InferenceOutput>): ChatResult {
    const value = succeeded(outcome);
    if (value.kind !== 'chat') throw new Error(`backend returned ${value.kind} for a chat request`);
    return value.result;
  }

  private embeddingResult(outcome: Outcome<InferenceOutput>): EmbeddingResult {
    const value = succeeded(outcome);
    if (value.kind !== 'embedding') throw new Error(`backend returned ${value.kind} for an embeddings request`);
    return value.result;
  }

}

/** The value of a succeeded outcome; any other outcome is thrown as the error the caller gets. */
function succeeded(outcome: Outcome<InferenceOutput>): InferenceOutput {
  if (outcome.status !== 'succeeded') throw outcomeError(outcome);
  return outcome.value;
}

function toModelObject(model: ModelEntry): ModelObject {
  return { id: model.id, object: 'model', created: CATALOGUE_EPOCH, owned_by: model.ownedBy };
}
