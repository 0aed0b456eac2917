import type { ItemResult } from '../../batching/types';
import type { FinishReason } from '../../domain/chat';
import type { ChatResult, EmbeddingResult } from '../../domain/inference';
import { BackendUnavailableError } from '../../errors';

/** What a chat-completions answer must at least hold; servers differ in the rest. */
interface ChatCompletionWire {
  choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
}

/** What an embeddings answer must at least hold. */
interface EmbeddingsWire {
  data?: { index?: unknown; embedding?: unknown }[];
  usage?: { prompt_tokens?: unknown };
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** vLLM also reports `abort` and tool calls; for a plain generation those are a stop. */
function finishReason(value: unknown): FinishReason {
  return value === 'length' || value === 'content_filter' ? value : 'stop';
}

/**
 * Maps a chat-completions body to a chat result. A body without a choice is a broken
 * server (retry elsewhere), not a bad request. `reasoning_content`, which vLLM adds
 * for reasoning models, is not part of the completion and is left out.
 */
export function toChatResult(body: unknown, backendId: string | undefined): ChatResult {
  const wire = (body ?? {}) as ChatCompletionWire;
  const choice = Array.isArray(wire.choices) ? wire.choices[0] : undefined;
  if (choice === undefined) {
    throw new BackendUnavailableError('The model endpoint answered without a choice.', { backendId });
  }
  const content = choice.message?.content;
  return {
    content: typeof content === 'string' ? content : '',
    finishReason: finishReason(choice.finish_reason),
    usage: { promptTokens: count(wire.usage?.prompt_tokens), completionTokens: count(wire.usage?.completion_tokens) },
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

/**
 * Maps an embeddings body to one result per input, in input order whatever order the
 * server listed them in. Any mismatch (count, index, vector) means the server is
 * broken, so the whole call fails as unavailable rather than misattributing vectors.
 */
export function toEmbeddingResults(body: unknown, inputs: readonly string[], backendId: string | undefined): ItemResult<EmbeddingResult>[] {
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
  const tokens = splitTokens(count(wire.usage?.prompt_tokens), inputs.map((input) => input.length));
  return vectors.map((vector, i) => {
    const usage = { promptTokens: tokens[i] ?? 0, completionTokens: 0 };
    return { ok: true as const, value: { vector: vector ?? [], usage }, usage };
  });
}
