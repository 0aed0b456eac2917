import type { ItemResult } from '../../batchingCore/types';
import type { FinishReason, ToolCall } from '../../domain/chat';
import type { ChatResult, EmbeddingInput, EmbeddingResult, Usage } from '../../domain/inference';
import { estimateReasoningTokens } from '../../domain/tokens';
import { BackendUnavailableError } from '../../errors/backendErrors';

/** A tool call as servers send it; vLLM follows OpenAI, others drift (missing type, object arguments). */
interface ToolCallWire {
  id?: unknown;
  type?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}

/** The usage block of a chat answer (or of the last chunk of a stream). */
export interface UsageWire {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
}

/** What a chat-completions answer must at least hold; servers differ in the rest. */
interface ChatCompletionWire {
  choices?: {
    message?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: unknown };
    finish_reason?: unknown;
    logprobs?: unknown;
  }[];
  usage?: UsageWire;
}

/** What an embeddings answer must at least hold. */
interface EmbeddingsWire {
  data?: { index?: unknown; embedding?: unknown }[];
  usage?: { prompt_tokens?: unknown };
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * OpenAI's finish reasons pass through; anything unknown is a plain stop, the closest
 * OpenAI word for "generation ended"; vLLM's own `abort` is a failure.
 */
export function finishReason(value: unknown): FinishReason {
  // vLLM's `abort`: the server cancelled the sequence (preempted, shut down). The answer is
  // cut short, so it must not pass for a complete one: a bad answer, retried before the first piece.
  if (value === 'abort') throw new BackendUnavailableError('The model server aborted the generation.', { code: 'bad_backend_response' });
  return value === 'length' || value === 'content_filter' || value === 'tool_calls' ? value : 'stop';
}

/**
 * The reasoning text of a message or delta. vLLM returns it as `reasoning_content`;
 * newer vLLM versions (and other servers) name it `reasoning`. Either is accepted.
 */
export function reasoningText(wire: { reasoning_content?: unknown; reasoning?: unknown } | undefined): string | undefined {
  const text = typeof wire?.reasoning_content === 'string' ? wire.reasoning_content : wire?.reasoning;
  return typeof text === 'string' ? text : undefined;
}

/** Token usage in our words; `reasoningTokens` only when the server reports it. */
export function toUsage(wire: UsageWire | null | undefined): Usage {
  const reasoning = wire?.completion_tokens_details?.reasoning_tokens;
  // vLLM reports prefix-cache hits here when run with --enable-prompt-tokens-details.
  const cached = wire?.prompt_tokens_details?.cached_tokens;
  return {
    promptTokens: count(wire?.prompt_tokens),
    completionTokens: count(wire?.completion_tokens),
    ...(typeof reasoning === 'number' && Number.isFinite(reasoning) ? { reasoningTokens: reasoning } : {}),
    ...(typeof cached === 'number' && Number.isFinite(cached) && cached > 0 ? { cachedTokens: cached } : {}),
  };
}

/**
 * The tool calls of an answer. A call without a function name is a broken server (the
 * caller could not act on it); a missing id is made up from the position, and
 * arguments sent as an object (some servers do) become the JSON text OpenAI specifies.
 */
function toToolCalls(value: unknown, backendId: string | undefined): ToolCall[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return (value as ToolCallWire[]).map((wire, i) => {
    const name = wire?.function?.name;
    if (typeof name !== 'string' || name === '') {
      throw new BackendUnavailableError(`The model endpoint returned tool call ${i} without a function name.`, { backendId });
    }
    const args = wire.function?.arguments;
    return {
      id: typeof wire.id === 'string' && wire.id !== '' ? wire.id : `call_${i}`,
      type: 'function' as const,
      function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
    };
  });
}

/**
 * Maps a chat-completions body to a chat result. A body without a choice is a broken
 * server (retry elsewhere), not a bad request. Content is null only when the model
 * called tools instead of answering; a missing answer otherwise is an empty text.
 * `logprobs` is kept as the server sent it (OpenAI's `choices[].logprobs` shape).
 */
export function toChatResult(body: unknown, backendId: string | undefined): ChatResult {
  const wire = (body ?? {}) as ChatCompletionWire;
  const choice = Array.isArray(wire.choices) ? wire.choices[0] : undefined;
  if (choice === undefined) {
    throw new BackendUnavailableError('The model endpoint answered without a choice.', { backendId });
  }
  const content = choice.message?.content;
  const toolCalls = toToolCalls(choice.message?.tool_calls, backendId);
  const reasoning = reasoningText(choice.message);
  return {
    content: typeof content === 'string' ? content : toolCalls === undefined ? '' : null,
    ...(reasoning === undefined ? {} : { reasoning }),
    ...(toolCalls === undefined ? {} : { toolCalls }),
    finishReason: finishReason(choice.finish_reason),
    usage: withReasoningEstimate(toUsage(wire.usage), reasoning),
    ...(choice.logprobs == null ? {} : { logprobs: choice.logprobs }),
  };
}

/**
 * Shares a request's token total among its inputs in proportion to their length, so
 * that per-item usage adds up exactly to what the server counted (the largest
 * remainders get the leftover tokens).
 */
export function splitTokens(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (sum === 0 ? total / weights.length : (total * w) / sum));
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    shares[i]! += 1;
    left -= 1;
  }
  return shares;
}

/** About how many tokens an input is: token arrays say, texts run about four characters a token. */
function inputWeight(input: EmbeddingInput): number {
  return typeof input === 'string' ? input.length / 4 : input.length;
}

/**
 * Maps an embeddings body to one result per input, in input order whatever order the
 * server listed them in. Any mismatch (count, index, vector) means the server is
 * broken, so the whole call fails as unavailable rather than misattributing vectors.
 */
export function toEmbeddingResults(
  body: unknown,
  inputs: readonly EmbeddingInput[],
  backendId: string | undefined,
): ItemResult<EmbeddingResult>[] {
  const wire = (body ?? {}) as EmbeddingsWire;
  const data = Array.isArray(wire.data) ? wire.data : [];
  const broken = (why: string) => new BackendUnavailableError(`The model endpoint returned bad embeddings: ${why}.`, { backendId });
  if (data.length !== inputs.length) throw broken(`${data.length} for ${inputs.length} inputs`);

  const vectors: (number[] | undefined)[] = new Array<number[] | undefined>(inputs.length).fill(undefined);
  for (const item of data) {
    const { index, embedding } = item;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= inputs.length || vectors[index] !== undefined) {
      throw broken(`index ${String(index)} is missing, out of range or repeated`);
    }
    if (!Array.isArray(embedding) || !embedding.every((x): x is number => typeof x === 'number')) {
      throw broken(`entry ${index} is not a float vector`);
    }
    vectors[index] = embedding;
  }
  const tokens = splitTokens(count(wire.usage?.prompt_tokens), inputs.map(inputWeight));
  return vectors.map((vector, i) => {
    const usage = { promptTokens: tokens[i] ?? 0, completionTokens: 0 };
    return { ok: true as const, value: { vector: vector ?? [], usage }, usage };
  });
}

/** The usage, with reasoning tokens estimated from the text where the server did not count them. */
function withReasoningEstimate(usage: Usage, reasoning: string | undefined): Usage {
  if (usage.reasoningTokens !== undefined || !reasoning) return usage;
  return { ...usage, reasoningTokens: estimateReasoningTokens(reasoning, usage.completionTokens) };
}
