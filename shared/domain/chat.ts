import { z } from 'zod';

/** One part of a multi-part message content; only text parts are supported. */
export const TextContentPart = z.strictObject({ type: z.literal('text'), text: z.string() });

/** A chat message as the OpenAI chat-completions API takes it. */
export const ChatMessage = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(TextContentPart).min(1)]),
  name: z.string().max(64).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/**
 * An OpenAI-compatible chat-completion request. Strict: an unknown field is an error
 * naming that field, so a typo never silently changes what is generated.
 */
export const ChatCompletionRequest = z.strictObject({
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
  n: z.literal(1).optional(),
  stream: z.boolean().optional(),
  seed: z.number().int().optional(),
  user: z.string().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** Token usage, in OpenAI's names. */
export const CompletionUsage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});
export type CompletionUsage = z.infer<typeof CompletionUsage>;

export const FinishReason = z.enum(['stop', 'length', 'content_filter']);
export type FinishReason = z.infer<typeof FinishReason>;

/** An OpenAI-compatible chat-completion response. */
export const ChatCompletionResponse = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.object({
    index: z.number().int(),
    message: z.object({ role: z.literal('assistant'), content: z.string().nullable(), refusal: z.null() }),
    finish_reason: FinishReason,
    logprobs: z.null(),
  })).min(1),
  usage: CompletionUsage,
});
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponse>;

/** The text of a message, whatever form its content took. */
export function messageText(message: ChatMessage): string {
  return typeof message.content === 'string' ? message.content : message.content.map((part) => part.text).join('');
}
