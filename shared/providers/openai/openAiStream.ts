import type { ToolCallDelta } from '../../domain/chat';
import type { ChatDelta, Usage } from '../../domain/inference';
import { BackendUnavailableError } from '../../errors/backendErrors';
import { finishReason, reasoningText, toUsage } from './openAiResponses';
import type { UsageWire } from './openAiResponses';

/** What one `data:` payload of a chat-completions stream means. */
export type StreamPiece =
  /** `[DONE]`: the server has finished the stream. */
  | { kind: 'done' }
  /** A chunk: its delta (possibly empty, such as the first, role-only chunk) and its usage, if it carried one. */
  | { kind: 'chunk'; delta: ChatDelta; usage?: Usage }
  /** An error the server reported mid-stream, with the HTTP status it stands for and the raw payload. */
  | { kind: 'error'; status: number; body: string };

/** What a `chat.completion.chunk` must at least hold; servers differ in the rest. */
interface ChunkWire {
  choices?: {
    delta?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: unknown };
    finish_reason?: unknown;
    logprobs?: unknown;
  }[];
  usage?: UsageWire | null;
  error?: unknown;
}

/** A tool-call piece as the server sends it. */
interface ToolCallDeltaWire {
  index?: unknown;
  id?: unknown;
  type?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

/**
 * The HTTP status an in-stream error stands for. vLLM sends `{"error": {..., "code": 400}}`
 * (a number); OpenAI-style errors carry a string code or a type. Without a usable number,
 * a rate-limit type is a 429 and anything else the server's own failure (500), since the
 * request was accepted before it failed.
 */
function errorStatus(error: unknown): number {
  const wire = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; type?: unknown };
  if (typeof wire.code === 'number' && wire.code >= 400 && wire.code <= 599) return wire.code;
  if (typeof wire.type === 'string' && /rate.?limit/i.test(wire.type)) return 429;
  return 500;
}

/** Tool-call pieces, passed through by index; a piece without an index is dropped as unusable. */
function toToolCallDeltas(value: unknown): ToolCallDelta[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const deltas: ToolCallDelta[] = [];
  for (const wire of value as ToolCallDeltaWire[]) {
    if (typeof wire?.index !== 'number') continue;
    const name = wire.function?.name;
    const args = wire.function?.arguments;
    deltas.push({
      index: wire.index,
      ...(typeof wire.id === 'string' ? { id: wire.id } : {}),
      ...(wire.type === 'function' ? { type: 'function' as const } : {}),
      function: {
        ...(typeof name === 'string' ? { name } : {}),
        ...(typeof args === 'string' ? { arguments: args } : {}),
      },
    });
  }
  return deltas.length === 0 ? undefined : deltas;
}

/**
 * Reads one `data:` payload of a chat-completions stream. A payload that is not JSON
 * means a broken server (retry elsewhere). Empty strings are left out of the delta, so
 * a role-only chunk gives an empty delta.
 */
export function parseStreamData(data: string, backendId: string | undefined): StreamPiece {
  if (data.trim() === '[DONE]') return { kind: 'done' };
  let chunk: ChunkWire;
  try {
    chunk = (JSON.parse(data) ?? {}) as ChunkWire;
  } catch (cause) {
    throw new BackendUnavailableError('The model endpoint sent a stream event that is not JSON.', { backendId, cause });
  }
  if (chunk.error !== undefined && chunk.error !== null) return { kind: 'error', status: errorStatus(chunk.error), body: data };

  const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  const delta: ChatDelta = {};
  const content = choice?.delta?.content;
  if (typeof content === 'string' && content !== '') delta.content = content;
  const reasoning = reasoningText(choice?.delta);
  if (reasoning !== undefined && reasoning !== '') delta.reasoning = reasoning;
  const toolCalls = toToolCallDeltas(choice?.delta?.tool_calls);
  if (toolCalls !== undefined) delta.toolCalls = toolCalls;
  if (choice?.finish_reason != null) delta.finishReason = finishReason(choice.finish_reason);
  if (choice?.logprobs != null) delta.logprobs = choice.logprobs;
  return { kind: 'chunk', delta, ...(chunk.usage == null ? {} : { usage: toUsage(chunk.usage) }) };
}

/** Whether a delta carries anything worth passing on. */
export function isEmptyDelta(delta: ChatDelta): boolean {
  return Object.keys(delta).length === 0;
}
