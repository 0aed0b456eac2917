import * as z from 'zod';

/**
 * The chat-completions request and response, as OpenAI's API reference gives them.
 * Every field has a defined fate (README, "Every field's fate"): it is carried to the
 * backend that serves the request, or refused with a 400 naming it. Nullable fields
 * accept `null`, which means the same as leaving them out.
 */

/** One part of a multi-part message content; only text parts are supported. */
export const TextContentPart = z.strictObject({ type: z.literal('text'), text: z.string() });
export type TextContentPart = z.infer<typeof TextContentPart>;

const TextContent = z.union([z.string(), z.array(TextContentPart).min(1)]);
const name = z.string().max(64).optional();

/** A function the model may call; `parameters` is a JSON Schema object. */
export const ToolDefinition = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, underscores or dashes'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

/** A call the model made; `arguments` is a JSON text. */
export const ToolCall = z.strictObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCall>;

/** Which tool, if any, the model must call. */
export const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string().min(1) }) }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

/** The shape the answer must take: free text, any JSON object, or JSON following a schema. */
export const ResponseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, underscores or dashes'),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

/** How hard a reasoning model thinks before answering (gpt-oss: low, medium, high). */
export const ReasoningEffort = z.enum(['low', 'medium', 'high']);
export type ReasoningEffort = z.infer<typeof ReasoningEffort>;

const InstructionMessage = z.strictObject({ role: z.enum(['system', 'developer']), content: TextContent, name });
const UserMessage = z.strictObject({ role: z.literal('user'), content: TextContent, name });
const AssistantMessage = z.strictObject({
  role: z.literal('assistant'),
  content: TextContent.nullish(),
  name,
  refusal: z.string().nullish(),
  tool_calls: z.array(ToolCall).min(1).optional(),
});
const ToolMessage = z.strictObject({ role: z.literal('tool'), content: TextContent, tool_call_id: z.string().min(1) });

/** A chat message as the OpenAI chat-completions API takes it. */
export const ChatMessage = z
  .discriminatedUnion('role', [InstructionMessage, UserMessage, AssistantMessage, ToolMessage])
  .superRefine((message, ctx) => {
    if (message.role === 'assistant' && message.content == null && message.tool_calls === undefined) {
      ctx.addIssue({ code: 'custom', message: 'an assistant message needs content or tool_calls', path: ['content'] });
    }
  });
export type ChatMessage = z.infer<typeof ChatMessage>;

/** `stream_options`: only meaningful with `stream: true`. */
export const StreamOptions = z.strictObject({ include_usage: z.boolean().nullish() });

/**
 * An OpenAI-compatible chat-completion request. Strict: an unknown field is an error
 * naming that field, so a typo never silently changes what is generated. Fields that
 * only some backends can serve (`seed`, penalties, `logprobs`, `logit_bias`) route the
 * request to a backend that can (see `chatFeatures`).
 */
export const ChatCompletionFields = z.strictObject({
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.literal(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions.nullish(),
  seed: z.number().int().nullish(),
  user: z.string().optional(),
  safety_identifier: z.string().max(64).optional(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string().regex(/^\d+$/, 'keys are token ids'), z.number().min(-100).max(100)).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  tools: z.array(ToolDefinition).max(128).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormat.optional(),
  reasoning_effort: ReasoningEffort.nullish(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((tags) => Object.keys(tags).length <= 16, 'at most 16 key-value pairs')
    .nullish(),
  /** Nothing is stored: `store: true` is refused rather than ignored. */
  store: z.literal(false).nullish(),
  service_tier: z.enum(['auto', 'default']).nullish(),
  modalities: z.array(z.literal('text')).nullish(),
});

/**
 * The rules between fields of a chat request, in one place: the real-time route, batch
 * lines (OpenAI and Bedrock formats) and queue messages all apply them.
 */
export function checkChatFieldRules(request: Omit<z.infer<typeof ChatCompletionFields>, 'model'>, ctx: z.RefinementCtx): void {
  if (request.max_tokens != null && request.max_completion_tokens != null && request.max_tokens !== request.max_completion_tokens) {
    ctx.addIssue({ code: 'custom', message: 'give max_tokens or max_completion_tokens, not two different values', path: ['max_tokens'] });
  }
  if (request.top_logprobs != null && request.logprobs !== true) {
    ctx.addIssue({ code: 'custom', message: 'top_logprobs needs logprobs: true', path: ['top_logprobs'] });
  }
  if (request.stream_options != null && request.stream !== true) {
    ctx.addIssue({ code: 'custom', message: 'stream_options is only allowed with stream: true', path: ['stream_options'] });
  }
  if (request.tool_choice !== undefined && request.tool_choice !== 'none' && (request.tools === undefined || request.tools.length === 0)) {
    ctx.addIssue({ code: 'custom', message: 'tool_choice needs tools', path: ['tool_choice'] });
  }
  const choice = request.tool_choice;
  if (typeof choice === 'object' && !request.tools?.some((tool) => tool.function.name === choice.function.name)) {
    ctx.addIssue({
      code: 'custom',
      message: `no tool named '${choice.function.name}' in tools`,
      path: ['tool_choice', 'function', 'name'],
    });
  }
}

/** A chat-completion request, its fields and the rules between them. */
export const ChatCompletionRequest = ChatCompletionFields.superRefine(checkChatFieldRules);
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** Token usage, in OpenAI's names. */
export const CompletionUsage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative() }).optional(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int().nonnegative() }).optional(),
});
export type CompletionUsage = z.infer<typeof CompletionUsage>;

export const FinishReason = z.enum(['stop', 'length', 'content_filter', 'tool_calls']);
export type FinishReason = z.infer<typeof FinishReason>;

/** The assistant message of a response. `reasoning_content` is the reasoning text, as vLLM returns it. */
export const ResponseMessage = z.object({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  refusal: z.null(),
  tool_calls: z.array(ToolCall).optional(),
  reasoning_content: z.string().optional(),
});

/** An OpenAI-compatible chat-completion response. */
export const ChatCompletionResponse = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z
    .array(
      z.object({
        index: z.number().int(),
        message: ResponseMessage,
        finish_reason: FinishReason,
        logprobs: z.unknown().nullable(),
      }),
    )
    .min(1),
  usage: CompletionUsage,
});
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponse>;

/** One tool call's piece in a stream: the first carries id and name, the rest argument text. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments?: string };
}

/** One `chat.completion.chunk` of a streamed answer. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string | null; reasoning_content?: string; tool_calls?: ToolCallDelta[] };
    finish_reason: FinishReason | null;
    logprobs: unknown;
  }[];
  usage?: CompletionUsage | null;
}

/** The text of a message, whatever form its content took (empty for a tool-call-only message). */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (content == null) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}
