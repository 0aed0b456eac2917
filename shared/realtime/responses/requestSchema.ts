import * as z from 'zod';
import { InputItem } from './inputItems';

/**
 * The `POST /v1/responses` request this platform serves: OpenAI's Responses API, stateless,
 * translated onto chat completions. Strict: an unknown field, or a known one whose value
 * cannot be honoured, is a 400 naming it (use the project's `parseRequest`).
 */

const STATELESS = "this endpoint is stateless and stores nothing; send the whole conversation in 'input' instead";

/** A function tool, as the Responses API declares it (flat, unlike chat completions). */
export const FunctionTool = z.strictObject({
  type: z.literal('function'),
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9_-]+$/, 'must match ^[a-zA-Z0-9_-]+$'),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});
export type FunctionTool = z.infer<typeof FunctionTool>;

const Tool = z.discriminatedUnion('type', [FunctionTool], {
  error: (issue) =>
    issue.code === 'invalid_union' && issue.note
      ? "only 'function' tools are supported (hosted tools such as web_search, file_search or code_interpreter are not)"
      : undefined,
});

/** `tool_choice`: a mode, or one named function. */
export const ToolChoice = z.union(
  [z.enum(['none', 'auto', 'required']), z.strictObject({ type: z.literal('function'), name: z.string().min(1) })],
  { error: 'must be \'none\', \'auto\', \'required\' or {"type": "function", "name": ...}' },
);
export type ToolChoice = z.infer<typeof ToolChoice>;

/** `text.format`: plain text, any JSON object, or JSON following a schema. */
export const TextFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    name: z.string().min(1).max(64),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);
export type TextFormat = z.infer<typeof TextFormat>;

/**
 * `reasoning`. `effort` is carried as chat's `reasoning_effort`. `summary` is accepted:
 * the backends give their reasoning in full, not summarised, so when a summary is asked
 * for the full reasoning text is given as the summary (as well as in the reasoning
 * item's `content`).
 */
export const ReasoningConfig = z.strictObject({
  effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullable().optional(),
  summary: z.enum(['auto', 'concise', 'detailed']).nullable().optional(),
});
export type ReasoningConfig = z.infer<typeof ReasoningConfig>;

/**
 * `include`: nothing, or `reasoning.encrypted_content`, which the Vercel AI SDK asks for
 * by itself with `store: false` on reasoning models. It is accepted and answered with
 * `encrypted_content: null`: the reasoning is returned in plain text, and since reasoning
 * items given back as input are not sent to the model, there is nothing an opaque blob
 * could carry. Any other value asks for data this endpoint does not produce.
 */
const Include = z.array(
  z.literal('reasoning.encrypted_content', {
    error: "only 'reasoning.encrypted_content' can be included (logprobs, tool call results and image urls are not produced)",
  }),
);

/** The Responses request. Fields absent from the schema are refused as unknown. */
export const ResponsesRequest = z.strictObject({
  model: z.string().min(1),
  /** A string stands for one user message. */
  input: z.preprocess(
    (input) => (typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input),
    z.array(InputItem, { error: 'must be a string or a list of input items' }).min(1),
  ),
  instructions: z.string().nullable().optional(),
  tools: z.array(Tool).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z.strictObject({ format: TextFormat.optional() }).optional(),
  reasoning: ReasoningConfig.nullable().optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 keys')
    .nullable()
    .optional(),
  user: z.string().optional(),
  /**
   * Nothing is ever stored: `false` (or leaving it out, which is what the openai client
   * and the AI SDK do) is accepted and the response says `store: false`; `true` is
   * refused rather than silently not honoured.
   */
  store: z
    .literal(false, { error: `cannot be true: ${STATELESS}` })
    .nullable()
    .optional(),
  previous_response_id: z.null({ error: STATELESS }).optional(),
  conversation: z.null({ error: STATELESS }).optional(),
  background: z
    .literal(false, { error: 'background responses need storage, which this stateless endpoint does not have' })
    .nullable()
    .optional(),
  include: Include.nullable().optional(),
  truncation: z.literal('disabled', { error: "only 'disabled' is supported: input is never truncated to fit" }).nullable().optional(),
  service_tier: z.enum(['auto', 'default'], { error: "only 'auto' and 'default' are supported" }).nullable().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;
