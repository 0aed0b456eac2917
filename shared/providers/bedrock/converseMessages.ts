import type { ContentBlock, Message, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { messageText } from '../../domain/chat';
import type { ChatMessage, ToolCall } from '../../domain/chat';
import { InvalidRequestError } from '../../errors/requestErrors';

/** A chat history in Converse's shape. */
export interface ConverseConversation {
  system: SystemContentBlock[];
  messages: Message[];
}

/**
 * Turns OpenAI chat messages into Converse's `system` and `messages`.
 *
 * - system and developer messages become `system` blocks: Converse has no such roles
 *   inside `messages`, and both are instructions to the model.
 * - Converse needs user and assistant turns to alternate, OpenAI does not: a message
 *   of the same role as the one before is merged into it (texts joined by a blank line).
 * - assistant `tool_calls` become `toolUse` blocks (arguments parsed from their JSON
 *   text); `tool` messages become `toolResult` blocks of a user turn, so consecutive
 *   results share one user message, and a user text right after joins it too.
 * - with `toolBlocks` false (the request sends no `toolConfig`, which Converse requires
 *   for any toolUse or toolResult block), tool calls and results are written out as
 *   text instead, so the model still sees what happened.
 * - empty texts are dropped: Converse rejects blank text blocks.
 * - `name` has no Converse equivalent and is left out.
 *
 * Throws InvalidRequestError naming `messages[i].tool_calls[j].function.arguments` when
 * arguments that must be sent as a toolUse input are not JSON: that is the caller's input.
 */
export function toConverseConversation(chat: readonly ChatMessage[], toolBlocks: boolean): ConverseConversation {
  const system: SystemContentBlock[] = [];
  const messages: Message[] = [];
  const add = (role: 'user' | 'assistant', blocks: ContentBlock[]) => {
    if (blocks.length === 0) return;
    const previous = messages.at(-1);
    if (previous?.role !== role) {
      messages.push({ role, content: blocks });
      return;
    }
    const content = previous.content ?? [];
    for (const block of blocks) {
      const last = content.at(-1);
      if (last !== undefined && 'text' in last && typeof last.text === 'string' && 'text' in block && typeof block.text === 'string') {
        content[content.length - 1] = { text: `${last.text}\n\n${block.text}` };
      } else {
        content.push(block);
      }
    }
    previous.content = content;
  };

  chat.forEach((message, i) => {
    const text = messageText(message);
    switch (message.role) {
      case 'system':
      case 'developer':
        if (text !== '') system.push({ text });
        return;
      case 'user':
        add('user', text === '' ? [] : [{ text }]);
        return;
      case 'assistant': {
        const blocks: ContentBlock[] = text === '' ? [] : [{ text }];
        (message.tool_calls ?? []).forEach((call, j) => {
          blocks.push(
            toolBlocks
              ? { toolUse: { toolUseId: call.id, name: call.function.name, input: toolInput(call, i, j) } }
              : { text: toolCallText(call) },
          );
        });
        add('assistant', blocks);
        return;
      }
      case 'tool': {
        const result = text === '' ? '(empty)' : text;
        add('user', [
          toolBlocks
            ? { toolResult: { toolUseId: message.tool_call_id, content: [{ text: result }] } }
            : { text: `[Result of tool call ${message.tool_call_id}]\n${result}` },
        ]);
        return;
      }
    }
  });
  return { system, messages };
}

/** A tool call written out for a conversation sent without tools. */
function toolCallText(call: ToolCall): string {
  return `[Tool call ${call.id}: ${call.function.name}(${call.function.arguments})]`;
}

/**
 * The toolUse input of a tool call: its arguments parsed. Empty arguments (some models
 * write none for a function without parameters) are an empty object.
 */
function toolInput(call: ToolCall, i: number, j: number): ContentBlock.ToolUseMember['toolUse']['input'] {
  const args = call.function.arguments;
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args) as ContentBlock.ToolUseMember['toolUse']['input'];
  } catch (cause) {
    const param = `messages[${i}].tool_calls[${j}].function.arguments`;
    throw new InvalidRequestError(`'${param}' is not valid JSON.`, { param, cause });
  }
}
