import type { BatchItem, Outcome } from '../batching/types';
import {
  encodeEmbeddingBase64, estimateTokens,
  type EmbeddingsRequest, type EmbeddingsResponse, type InferenceInput, type InferenceOutput, type ModelEntry,
} from '../domain';
import { ContextLengthExceededError, InvalidRequestError } from '../errors';
import { routeOf } from '../routing/ModelRouter';
import type { ItemNaming } from './chatRequests';
import { outcomeError } from './outcomeErrors';

/**
 * Turns an embeddings request into one batching-core item per input, in input order,
 * after checking it against its model (no `dimensions`, each input within the context
 * window, naming `input[i]` otherwise). The items go through the core together, so a
 * backend that takes lists gets them in one call.
 */
export function embeddingItems(request: EmbeddingsRequest, model: ModelEntry, naming: ItemNaming = {}): BatchItem<InferenceInput>[] {
  if (request.dimensions !== undefined) {
    throw new InvalidRequestError('"dimensions" is not supported: each model returns its native dimension.', { param: 'dimensions', code: 'unsupported_parameter' });
  }
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  return inputs.map((text, i): BatchItem<InferenceInput> => {
    const tokens = estimateTokens(text);
    if (tokens > model.contextTokens) {
      throw new ContextLengthExceededError(model.id, model.contextTokens, tokens, typeof request.input === 'string' ? 'input' : `input[${i}]`);
    }
    return { id: `${naming.idPrefix ?? ''}${i}`, route: routeOf('embeddings', model.id), estimatedTokens: tokens, input: { kind: 'embedding', text } };
  });
}

/**
 * The embeddings `list` body for the outcomes of a request's items (in the order
 * {@link embeddingItems} gave them), exactly as the real-time route answers it, with
 * usage summed over the inputs. The first outcome that did not succeed is thrown as
 * the PlatformError a caller gets: one failed input fails the request.
 */
export function embeddingsBody(outcomes: readonly Outcome<InferenceOutput>[], request: EmbeddingsRequest, model: ModelEntry): EmbeddingsResponse {
  let promptTokens = 0;
  const data = outcomes.map((outcome, index) => {
    if (outcome.status !== 'succeeded') throw outcomeError(outcome);
    if (outcome.value.kind !== 'embedding') throw new Error(`backend returned ${outcome.value.kind} for an embeddings request`);
    const result = outcome.value.result;
    promptTokens += result.usage.promptTokens;
    const embedding = request.encoding_format === 'base64' ? encodeEmbeddingBase64(result.vector) : result.vector;
    return { object: 'embedding' as const, index, embedding };
  });
  return { object: 'list', data, model: model.id, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}
