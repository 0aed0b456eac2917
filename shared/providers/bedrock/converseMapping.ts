import type {
  ConverseCommandInput,
  ConverseCommandOutput,
  InferenceConfiguration,
  Message,
  SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { messageText } from '../../domain/chat';
import type { FinishReason } from '../../domain/chat';
import type { ChatCall, ChatResult } from '../../domain/inference';

/**
 * Builds a Converse request from an OpenAI-style chat call.
 *
 * - system and developer messages become `system` blocks: Converse has no such roles
 *   inside `messages`, and both are instructions to the model.
 * - consecutive user (or assistant) messages are merged into one, joined by a blank
 *   line: Converse rejects two messages of the same role in a row, OpenAI allows them.
 * - empty messages are dropped: Converse rejects blank text blocks, and an empty
 *   message says nothing to the model.
 * - `seed` and `name` have no Converse equivalent and are left out.
 */
export function toConverseInput(call: ChatCall): ConverseCommandInput {
  const system: SystemContentBlock[] = [];
  const messages: Message[] = [];
  for (const message of call.messages) {
    const text = messageText(message);
    if (text === '') continue;
    if (message.role === 'system' || message.role === 'developer') {
      system.push({ text });
      continue;
    }
    const previous = messages.at(-1);
    const block = previous?.content?.[0];
    if (previous?.role === message.role && block !== undefined && 'text' in block) {
      previous.content = [{ text: `${block.text}\n\n${text}` }];
    } else {
      messages.push({ role: message.role, content: [{ text }] });
    }
  }

  const inferenceConfig: InferenceConfiguration = {};
  if (call.maxTokens !== undefined) inferenceConfig.maxTokens = call.maxTokens;
  if (call.temperature !== undefined) inferenceConfig.temperature = call.temperature;
  if (call.topP !== undefined) inferenceConfig.topP = call.topP;
  if (call.stop !== undefined && call.stop.length > 0) inferenceConfig.stopSequences = call.stop;

  return {
    modelId: call.model,
    messages,
    ...(system.length > 0 ? { system } : {}),
    ...(Object.keys(inferenceConfig).length > 0 ? { inferenceConfig } : {}),
  };
}

/**
 * Bedrock's stop reasons in OpenAI's words. A context window running out is a length
 * stop; anything unlisted (tool use, which the platform never asks for) is a plain stop.
 */
const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

/**
 * Maps a Converse response back to a chat result. Only text blocks are kept: reasoning
 * models (gpt-oss on Bedrock) put a `reasoningContent` block before the answer, and
 * that chain of thought is not part of the completion.
 */
export function fromConverseOutput(output: ConverseCommandOutput): ChatResult {
  const blocks = output.output?.message?.content ?? [];
  const content = blocks
    .map((block) => ('text' in block && typeof block.text === 'string' ? block.text : ''))
    .join('');
  return {
    content,
    finishReason: FINISH_REASONS[output.stopReason ?? ''] ?? 'stop',
    usage: {
      promptTokens: output.usage?.inputTokens ?? 0,
      completionTokens: output.usage?.outputTokens ?? 0,
    },
  };
}
