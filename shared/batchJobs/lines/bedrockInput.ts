import * as z from 'zod';
import { ChatCompletionFields, checkChatFieldRules, type ChatCompletionRequest, type ChatMessage } from '../../domain/chat';
import type { EmbeddingsRequest } from '../../domain/embeddings';

/**
 * The shapes a Bedrock batch record's `modelInput` may take, and their conversion to
 * the OpenAI requests the platform runs. Ranges follow the OpenAI schemas, so a value
 * refused in one format is refused in the other.
 */

const TextBlock = z.strictObject({ text: z.string() });

/** Converse: `messages` of text blocks, `system` blocks, `inferenceConfig`. */
export const ConverseInput = z.strictObject({
  messages: z.array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.array(TextBlock).min(1) })).min(1),
  system: z.array(TextBlock).optional(),
  inferenceConfig: z
    .strictObject({
      maxTokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().gt(0).max(1).optional(),
      stopSequences: z.array(z.string()).max(4).optional(),
    })
    .optional(),
});
export type ConverseInput = z.infer<typeof ConverseInput>;

/** Titan text embeddings' InvokeModel body. `normalize` is accepted and ignored: vectors come back normalised. */
export const TitanEmbeddingInput = z.strictObject({
  inputText: z.string().min(1),
  dimensions: z.number().int().positive().optional(),
  normalize: z.boolean().optional(),
});
export type TitanEmbeddingInput = z.infer<typeof TitanEmbeddingInput>;

/** gpt-oss's InvokeModel body: an OpenAI chat request without `model` (the file's metadata names it). */
export const OpenAiChatInput = ChatCompletionFields.omit({ model: true }).superRefine(checkChatFieldRules);
export type OpenAiChatInput = z.infer<typeof OpenAiChatInput>;

/** Converse request fields that have no batch equivalent here (tools, guardrails, model-specific extras). */
export const UNSUPPORTED_CONVERSE_FIELDS = [
  'toolConfig',
  'guardrailConfig',
  'additionalModelRequestFields',
  'additionalModelResponseFieldPaths',
  'promptVariables',
  'requestMetadata',
  'performanceConfig',
] as const;

/** Where a Converse input's fields are, for the checks that name OpenAI fields. */
const CONVERSE_FIELDS: Record<string, string> = {
  max_tokens: 'modelInput.inferenceConfig.maxTokens',
  max_completion_tokens: 'modelInput.inferenceConfig.maxTokens',
  temperature: 'modelInput.inferenceConfig.temperature',
  top_p: 'modelInput.inferenceConfig.topP',
  stop: 'modelInput.inferenceConfig.stopSequences',
};

/** Names an OpenAI chat field as a Converse input spells it. */
export function converseField(name: string): string {
  return CONVERSE_FIELDS[name] ?? `modelInput.${name}`;
}

/**
 * Whether a chat `modelInput` is Converse-shaped rather than OpenAI-shaped: Converse
 * has `system` and `inferenceConfig` at the top, and content as blocks without `type`.
 */
export function isConverseShaped(input: Record<string, unknown>): boolean {
  if ('system' in input || 'inferenceConfig' in input) return true;
  const first: unknown = Array.isArray(input.messages) ? input.messages[0] : undefined;
  const content: unknown = typeof first === 'object' && first !== null ? (first as { content?: unknown }).content : undefined;
  const block: unknown = Array.isArray(content) ? content[0] : undefined;
  return typeof block === 'object' && block !== null && !('type' in block);
}

/** The first content block that is not text (image, document, tool use…), as its path, if any. */
export function nonTextBlock(input: Record<string, unknown>): string | undefined {
  if (!Array.isArray(input.messages)) return undefined;
  for (const [m, message] of input.messages.entries()) {
    const content: unknown = typeof message === 'object' && message !== null ? (message as { content?: unknown }).content : undefined;
    if (!Array.isArray(content)) continue;
    for (const [b, block] of content.entries()) {
      if (typeof block !== 'object' || block === null || 'text' in block) continue;
      const kind = Object.keys(block)[0];
      return `modelInput.messages[${m}].content[${b}]${kind ? `.${kind}` : ''}`;
    }
  }
  return undefined;
}

/**
 * A Converse input as the equivalent chat request: system blocks become system
 * messages, a message of several text blocks becomes one of several text parts (the
 * providers join them, as Converse does), `inferenceConfig` maps field by field.
 */
export function converseToChat(input: ConverseInput, model: string): ChatCompletionRequest {
  const messages: ChatMessage[] = (input.system ?? []).map((block) => ({ role: 'system', content: block.text }));
  for (const message of input.messages) {
    const content =
      message.content.length === 1
        ? message.content[0]!.text
        : message.content.map((block) => ({ type: 'text' as const, text: block.text }));
    messages.push({ role: message.role, content });
  }
  const config = input.inferenceConfig ?? {};
  return {
    model,
    messages,
    ...(config.maxTokens === undefined ? {} : { max_tokens: config.maxTokens }),
    ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
    ...(config.topP === undefined ? {} : { top_p: config.topP }),
    ...(config.stopSequences === undefined || config.stopSequences.length === 0 ? {} : { stop: config.stopSequences }),
  };
}

/** A Titan embeddings input as the equivalent embeddings request, its vector size included. */
export function titanToEmbeddings(input: TitanEmbeddingInput, model: string): EmbeddingsRequest {
  return { model, input: input.inputText, ...(input.dimensions === undefined ? {} : { dimensions: input.dimensions }) };
}
