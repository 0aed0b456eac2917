import type { BatchItem, Outcome } from '../batchingCore/types';
import { embeddingInputs, encodeEmbeddingBase64, type EmbeddingsRequest, type EmbeddingsResponse } from '../domain/embeddings';
import { estimateTokens } from '../domain/tokens';
import { servesRequirement, type BackendRequirement, type ModelEntry } from '../domain/catalogue';
import type { InferenceInput, InferenceOutput } from '../domain/inference';
import { ContextLengthExceededError, InvalidRequestError } from '../errors/requestErrors';
import { routeOf } from '../routing/ModelRouter';
import type { ItemNaming } from './chatRequests';
import { outcomeError } from './outcomeErrors';

/**
 * The one home of the rules an embeddings request must meet against its model, for the
 * real-time route, batch lines and queue messages: each input within the context window
 * (naming `input[i]` otherwise), `dimensions` only where a backend of the model serves
 * that size, token ids only where a backend takes them. Returns one batching-core item
 * per input, in input order; they go through the core together, so a backend that
 * takes lists gets them in one call.
 */
export function embeddingItems(request: EmbeddingsRequest, model: ModelEntry, naming: ItemNaming = {}): BatchItem<InferenceInput>[] {
  const { inputs, single } = embeddingInputs(request);
  const requirements: BackendRequirement[] = [];
  if (request.dimensions != null) requirements.push(`dimensions=${request.dimensions}`);
  if (inputs.some((input) => typeof input !== 'string')) requirements.push('token_input');
  for (const [i, requirement] of requirements.entries()) {
    if (model.backends.some((ref) => requirements.slice(0, i + 1).every((r) => servesRequirement(ref, r)))) continue;
    const sizes = [...new Set(model.backends.flatMap((ref) => ref.embeddingDimensions ?? []))];
    throw requirement === 'token_input'
      ? new InvalidRequestError(`'${model.id}' takes text input only: send strings, not token ids.`, {
          param: 'input',
          code: 'unsupported_parameter',
        })
      : new InvalidRequestError(
          `'dimensions' ${request.dimensions} is not supported by '${model.id}'${sizes.length > 0 ? `; it supports ${sizes.join(', ')}` : ', which returns its native size only'}.`,
          { param: 'dimensions', code: 'unsupported_parameter' },
        );
  }
  const route = routeOf('embeddings', model.id, requirements);
  return inputs.map((input, i): BatchItem<InferenceInput> => {
    const tokens = typeof input === 'string' ? estimateTokens(input) : input.length;
    if (tokens > model.contextTokens) {
      throw new ContextLengthExceededError(model.id, model.contextTokens, tokens, single ? 'input' : `input[${i}]`);
    }
    return {
      id: `${naming.idPrefix ?? ''}${i}`,
      route,
      estimatedTokens: tokens,
      input: { kind: 'embedding', input, dimensions: request.dimensions ?? undefined },
    };
  });
}

/**
 * The embeddings `list` body for the outcomes of a request's items (in the order
 * {@link embeddingItems} gave them), exactly as the real-time route answers it, with
 * usage summed over the inputs. The first outcome that did not succeed is thrown as
 * the PlatformError a caller gets: one failed input fails the request.
 */
export function embeddingsBody(
  outcomes: readonly Outcome<InferenceOutput>[],
  request: EmbeddingsRequest,
  model: ModelEntry,
): EmbeddingsResponse {
  let promptTokens = 0;
  const data = outcomes.map((outcome, index) => {
    if (outcome.status !== 'succeeded') throw outcomeError(outcome, model.id);
    if (outcome.value.kind !== 'embedding') throw new Error(`backend returned ${outcome.value.kind} for an embeddings request`);
    const result = outcome.value.result;
    promptTokens += result.usage.promptTokens;
    const embedding = request.encoding_format === 'base64' ? encodeEmbeddingBase64(result.vector) : result.vector;
    return { object: 'embedding' as const, index, embedding };
  });
  return { object: 'list', data, model: model.id, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}
