import { messageText, type ChatCompletionRequest } from '../domain/chat';
import type { ModelEntry } from '../domain/catalogue';
import type { EmbeddingsRequest } from '../domain/embeddings';
import { estimateTokens, TOKENS_PER_MESSAGE } from '../domain/tokens';
import type { LineErrorCode } from './constants';

/** Names a request field as the line spells it: `max_tokens` → `body.max_tokens` or `modelInput.inferenceConfig.maxTokens`. */
export type FieldNamer = (field: string) => string;

/** A request that fits its model, with what it may cost, or why it does not. */
export type RequestCheck =
  | { ok: true; estimatedTokens: number }
  | { ok: false; code: LineErrorCode; message: string };

/** Output tokens allowed when a chat request names none, as the real-time route does. */
const DEFAULT_MAX_TOKENS = 4_096;

/**
 * Checks a chat request against its model the way the real-time route does, so that
 * a line that would be refused there is refused at ingest, not after a worker has
 * spent a call on it: no streaming, output within the model's limit, input and output
 * within its context window.
 */
export function checkChat(request: ChatCompletionRequest, model: ModelEntry, field: FieldNamer): RequestCheck {
  if (request.stream === true) {
    return { ok: false, code: 'unsupported_parameter', message: `Streaming is not supported in a batch: leave out '${field('stream')}' or set it to false.` };
  }
  const asked = request.max_completion_tokens ?? request.max_tokens;
  if (asked !== undefined && asked > model.maxOutputTokens) {
    const param = field(request.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens');
    return { ok: false, code: 'invalid_body', message: `Invalid value for '${param}': ${asked} is above the limit of ${model.maxOutputTokens} for '${model.id}'.` };
  }
  const maxTokens = asked ?? Math.min(model.maxOutputTokens, DEFAULT_MAX_TOKENS);
  const promptTokens = request.messages.reduce((sum, message) => sum + estimateTokens(messageText(message)) + TOKENS_PER_MESSAGE, 0);
  if (promptTokens + maxTokens > model.contextTokens) {
    return {
      ok: false,
      code: 'invalid_body',
      message: `Invalid value for '${field('messages')}': the request needs about ${promptTokens + maxTokens} tokens, more than the ${model.contextTokens} of '${model.id}'; shorten the messages or lower the output limit.`,
    };
  }
  return { ok: true, estimatedTokens: promptTokens + maxTokens };
}

/**
 * Checks an embeddings request against its model: every input within its context
 * window, and no `dimensions` (each model returns its native size, as in real time).
 */
export function checkEmbeddings(request: EmbeddingsRequest, model: ModelEntry, field: FieldNamer): RequestCheck {
  if (request.dimensions !== undefined) {
    return { ok: false, code: 'unsupported_parameter', message: `'${field('dimensions')}' is not supported: each model returns its native dimension.` };
  }
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  let total = 0;
  for (const [i, text] of inputs.entries()) {
    const tokens = estimateTokens(text);
    if (tokens > model.contextTokens) {
      const param = typeof request.input === 'string' ? field('input') : `${field('input')}[${i}]`;
      return { ok: false, code: 'invalid_body', message: `Invalid value for '${param}': about ${tokens} tokens, more than the ${model.contextTokens} of '${model.id}'.` };
    }
    total += tokens;
  }
  return { ok: true, estimatedTokens: total };
}
