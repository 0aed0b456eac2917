import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { ChatDelta } from '../../domain/inference';
import { toFinishReason, toUsage } from './converseMapping';

/** The exception members a ConverseStream event may carry instead of an event. */
const EXCEPTION_MEMBERS = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
] as const;

/** Turns ConverseStream events into chat deltas, one stream at a time. */
export interface ConverseStreamMapper {
  /**
   * The delta an event stands for, or undefined when it says nothing a caller needs
   * (messageStart, contentBlockStop, an empty text). Throws the exception an exception
   * event carries, for the caller to map.
   */
  map(event: ConverseStreamOutput): ChatDelta | undefined;
}

/**
 * A mapper for one ConverseStream response.
 *
 * - `contentBlockStart` with `toolUse` opens a tool call: a delta with its id and name
 *   and an index counting tool blocks (0, 1, ...), as OpenAI numbers `tool_calls`.
 * - `contentBlockDelta`: `text` → content, `reasoningContent.text` → reasoning,
 *   `toolUse.input` → that tool call's argument text (found by its block index).
 * - `messageStop` → the finish reason; `metadata` → usage (reasoning tokens estimated
 *   from the reasoning text seen, as for Converse).
 *
 * The SDK throws the stream's exceptions while iterating; an exception that arrives as
 * an event member instead is thrown here, so both reach the same error mapping.
 */
export function converseStreamMapper(): ConverseStreamMapper {
  const toolIndexByBlock = new Map<number, number>();
  let reasoning = '';
  const toolIndex = (block: number | undefined): number => {
    const key = block ?? -1;
    let index = toolIndexByBlock.get(key);
    if (index === undefined) {
      index = toolIndexByBlock.size;
      toolIndexByBlock.set(key, index);
    }
    return index;
  };

  return {
    map(event) {
      for (const member of EXCEPTION_MEMBERS) {
        const exception = (event as unknown as Record<string, unknown>)[member];
        if (exception !== undefined) throw exception;
      }
      if (event.contentBlockStart !== undefined) {
        const toolUse = event.contentBlockStart.start?.toolUse;
        if (toolUse === undefined) return undefined;
        const index = toolIndex(event.contentBlockStart.contentBlockIndex);
        return {
          toolCalls: [
            { index, id: toolUse.toolUseId ?? `call_${index}`, type: 'function', function: { name: toolUse.name ?? '', arguments: '' } },
          ],
        };
      }
      if (event.contentBlockDelta !== undefined) {
        const delta = event.contentBlockDelta.delta;
        if (typeof delta?.text === 'string') return delta.text === '' ? undefined : { content: delta.text };
        const thought = delta?.reasoningContent?.text;
        if (typeof thought === 'string') {
          reasoning += thought;
          return thought === '' ? undefined : { reasoning: thought };
        }
        const input = delta?.toolUse?.input;
        if (typeof input === 'string' && input !== '') {
          return { toolCalls: [{ index: toolIndex(event.contentBlockDelta.contentBlockIndex), function: { arguments: input } }] };
        }
        return undefined;
      }
      if (event.messageStop !== undefined) return { finishReason: toFinishReason(event.messageStop.stopReason) };
      if (event.metadata !== undefined) {
        const usage = event.metadata.usage;
        return { usage: toUsage(usage?.inputTokens, usage?.outputTokens, reasoning, usage?.cacheReadInputTokens) };
      }
      return undefined;
    },
  };
}
