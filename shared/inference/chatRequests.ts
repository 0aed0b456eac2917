import { randomUUID } from 'node:crypto';
import type { BatchItem, Outcome } from '../batching/types';
import {
  estimateTokens, messageText, TOKENS_PER_MESSAGE,
  type ChatCompletionRequest, type ChatCompletionResponse, type InferenceInput, type InferenceOutput, type ModelEntry,
} from '../domain';
import { ContextLengthExceededError, InvalidRequestError } from '../errors';
import { routeOf } from '../routing/ModelRouter';
import { outcomeError } from './outcomeErrors';

/** How the items of one request are named in a core run. */
export interface ItemNaming {
  /**
   * Prepended to the item's index. Ids must be unique within one `core.run`, so a caller
   * running several requests together gives each its own prefix (the worker uses the
   * line number); a lone real-time request needs none.
   */
  idPrefix?: string;
}

/**
 * Turns a chat-completion request into the one batching-core item it is, after checking
 * it against its model: no streaming, output tokens within the model's ceiling, prompt
 * plus output within the context window. Throws the 400 naming the field otherwise.
 * Shared by the real-time route and the batch worker, so both refuse the same requests.
 */
export function chatItems(request: ChatCompletionRequest, model: ModelEntry, naming: ItemNaming = {}): BatchItem<InferenceInput>[] {
  if (request.stream) {
    throw new InvalidRequestError('Streaming is not supported yet (it is planned): send "stream": false or leave it out.', { param: 'stream', code: 'unsupported_parameter' });
  }
  const maxTokens = maxTokensOf(request, model);
  const promptTokens = request.messages.reduce((sum, m) => sum + estimateTokens(messageText(m)) + TOKENS_PER_MESSAGE, 0);
  if (promptTokens + maxTokens > model.contextTokens) {
    throw new ContextLengthExceededError(model.id, model.contextTokens, promptTokens + maxTokens, 'messages');
  }
  const stop = request.stop == null ? undefined : Array.isArray(request.stop) ? request.stop : [request.stop];
  return [{
    id: `${naming.idPrefix ?? ''}0`,
    route: routeOf('chat', model.id),
    estimatedTokens: promptTokens + maxTokens,
    input: { kind: 'chat', call: { messages: request.messages, maxTokens, temperature: request.temperature, topP: request.top_p, stop, seed: request.seed } },
  }];
}

/** What a response carries besides the generation: its id and creation time. */
export interface ResponseMeta {
  /** Unix seconds. */
  created: number;
  /** Defaults to a fresh `chatcmpl-…` id. */
  id?: string;
}

/**
 * The `chat.completion` body for the outcome of a request's item, exactly as the
 * real-time route answers it. An outcome that did not succeed is thrown as the
 * PlatformError a caller gets (see {@link outcomeError}).
 */
export function chatBody(outcome: Outcome<InferenceOutput>, model: ModelEntry, meta: ResponseMeta): ChatCompletionResponse {
  if (outcome.status !== 'succeeded') throw outcomeError(outcome);
  if (outcome.value.kind !== 'chat') throw new Error(`backend returned ${outcome.value.kind} for a chat request`);
  const result = outcome.value.result;
  return {
    id: meta.id ?? `chatcmpl-${randomUUID().replaceAll('-', '')}`,
    object: 'chat.completion',
    created: meta.created,
    model: model.id,
    choices: [{ index: 0, message: { role: 'assistant', content: result.content, refusal: null }, finish_reason: result.finishReason, logprobs: null }],
    usage: { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens, total_tokens: result.usage.promptTokens + result.usage.completionTokens },
  };
}

function maxTokensOf(request: ChatCompletionRequest, model: ModelEntry): number {
  const asked = request.max_completion_tokens ?? request.max_tokens;
  if (asked !== undefined && asked > model.maxOutputTokens) {
    const param = request.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    throw new InvalidRequestError(`'${param}' is ${asked}, above the limit of ${model.maxOutputTokens} for '${model.id}'.`, { param, code: 'invalid_value' });
  }
  // Without a limit asked, generation is capped so a batch's token budget stays meaningful.
  return asked ?? Math.min(model.maxOutputTokens, 4_096);
}
