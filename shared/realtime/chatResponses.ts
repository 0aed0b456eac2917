import { randomUUID } from 'node:crypto';
import type { Outcome } from '../batchingCore/types';
import { checkStructuredOutput } from '../domain/structuredOutput';
import { estimateReasoningTokens } from '../domain/tokens';
import type { ChatCompletionChunk, ChatCompletionResponse, CompletionUsage, ResponseFormat } from '../domain/chat';
import type { ChatResult, InferenceOutput, OpenedChatStream, Usage } from '../domain/inference';
import type { ModelEntry } from '../domain/catalogue';
import { BackendError, BackendUnavailableError } from '../errors/backendErrors';
import { PlatformError } from '../errors/PlatformError';
import { outcomeError, publicFailureMessage } from './outcomeErrors';

/** What a response carries besides the generation: its id and creation time. */
export interface ResponseMeta {
  /** Unix seconds. */
  created: number;
  /** Defaults to a fresh `chatcmpl-…` id. */
  id?: string;
}

/** A fresh chat-completion id, as OpenAI spells them. */
export function newChatCompletionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`;
}

/** Usage in OpenAI's names, with the reasoning share where the backend reported one. */
export function completionUsage(usage: Usage): CompletionUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/**
 * The `chat.completion` body for the outcome of a request's item: the real-time route,
 * batch result lines and queue answers all answer with this. An outcome that did not
 * succeed is thrown as the PlatformError a caller gets (see {@link outcomeError}).
 */
export function chatBody(outcome: Outcome<InferenceOutput>, model: ModelEntry, meta: ResponseMeta): ChatCompletionResponse {
  if (outcome.status !== 'succeeded') throw outcomeError(outcome, model.id);
  if (outcome.value.kind !== 'chat') throw new Error(`backend returned ${outcome.value.kind} for a chat request`);
  return chatCompletion(outcome.value.result, model, meta);
}

/** A chat result as a `chat.completion` body. */
export function chatCompletion(result: ChatResult, model: ModelEntry, meta: ResponseMeta): ChatCompletionResponse {
  const message: ChatCompletionResponse['choices'][number]['message'] = { role: 'assistant', content: result.content, refusal: null };
  if (result.toolCalls !== undefined && result.toolCalls.length > 0) message.tool_calls = result.toolCalls;
  if (result.reasoning !== undefined && result.reasoning !== '') message.reasoning_content = result.reasoning;
  return {
    id: meta.id ?? newChatCompletionId(),
    object: 'chat.completion',
    created: meta.created,
    model: model.id,
    choices: [{ index: 0, message, finish_reason: result.finishReason, logprobs: result.logprobs ?? null }],
    usage: completionUsage(result.usage),
  };
}

/** How a stream of chunks is shaped. */
export interface ChunkOptions extends ResponseMeta {
  /** `stream_options.include_usage`: a last chunk with `choices: []` and the usage. */
  includeUsage: boolean;
  /** With a strict `json_schema`, the whole answer is checked before the stream may end in success. */
  responseFormat?: ResponseFormat;
}

/**
 * Turns an opened provider stream into `chat.completion.chunk` objects as OpenAI
 * streams them: the role first, then content, reasoning and tool-call deltas,
 * `finish_reason` on the last choice chunk, and the usage chunk when asked. A failure
 * of the backend is thrown from the iteration where it happens (the caller ends the
 * stream with an error event: a token already sent is never retried).
 */
export async function* chatChunks(stream: OpenedChatStream, model: ModelEntry, options: ChunkOptions): AsyncGenerator<ChatCompletionChunk> {
  const id = options.id ?? newChatCompletionId();
  const chunk = (
    delta: ChatCompletionChunk['choices'][number]['delta'],
    finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
    logprobs: unknown = null,
  ): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: options.created,
    model: model.id,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs }],
  });
  let usage: Usage | undefined;
  let finished = false;
  let text = '';
  let reasoning = '';
  let calledTools = false;
  const pieces = (async function* () {
    try {
      yield* stream.first;
      for (let next = await stream.rest.next(); !next.done; next = await stream.rest.next()) yield next.value;
    } catch (error) {
      // The backend's own text stays in the cause: the stream's error event names the model.
      if (!(error instanceof BackendError)) throw error;
      throw new PlatformError(publicFailureMessage({ code: error.code, message: error.message, httpStatus: error.status }, model.id), {
        code: error.code,
        status: error.status,
        type: error.type,
        retryable: error.retryable,
        cause: error,
      });
    }
  })();
  try {
    yield chunk({ role: 'assistant', content: '' });
    for await (const piece of pieces) {
      if (piece.usage) usage = piece.usage;
      const delta: ChatCompletionChunk['choices'][number]['delta'] = {};
      if (piece.reasoning) {
        delta.reasoning_content = piece.reasoning;
        reasoning += piece.reasoning;
      }
      if (piece.content) {
        delta.content = piece.content;
        text += piece.content;
      }
      if (piece.toolCalls && piece.toolCalls.length > 0) {
        delta.tool_calls = piece.toolCalls;
        calledTools = true;
      }
      if (piece.finishReason === 'stop' && !calledTools) assertStructured(options.responseFormat, text);
      if (Object.keys(delta).length > 0 || piece.finishReason || piece.logprobs != null) {
        yield chunk(delta, piece.finishReason ?? null, piece.logprobs ?? null);
        if (piece.finishReason) finished = true;
      }
    }
  } finally {
    // However the reading ends (the client gone, an error), the backend call ends with it.
    await stream.rest.return?.();
  }
  // A backend that ends without saying why has stopped naturally (or after its calls).
  if (!finished) {
    if (!calledTools) assertStructured(options.responseFormat, text);
    yield chunk({}, calledTools ? 'tool_calls' : 'stop');
  }
  if (usage && usage.reasoningTokens === undefined && reasoning !== '') {
    usage = { ...usage, reasoningTokens: estimateReasoningTokens(reasoning, usage.completionTokens) };
  }
  if (options.includeUsage) {
    yield {
      id,
      object: 'chat.completion.chunk',
      created: options.created,
      model: model.id,
      choices: [],
      usage: completionUsage(usage ?? { promptTokens: 0, completionTokens: 0 }),
    };
  }
}

/** An answer that breaks its strict schema never ends in success: it is a bad backend answer. */
function assertStructured(format: ResponseFormat | undefined, text: string): void {
  const check = checkStructuredOutput(format, text);
  if (!check.ok)
    throw new BackendUnavailableError(`The model's answer does not have the requested format: ${check.reason}.`, {
      code: 'bad_backend_response',
    });
}
