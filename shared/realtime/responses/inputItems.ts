import * as z from 'zod';

/**
 * The items a Responses `input` list may hold, as zod schemas. Strict: an unknown field
 * or an item type the translation cannot carry is a 400 naming it.
 *
 * Items the openai client hands back in `response.output` (assistant messages with
 * `id`, `status` and `annotations`, function calls with `id` and `status`, reasoning
 * items) are accepted as they are, so the documented stateless pattern
 * `input: [...input, ...response.output, ...toolOutputs]` works.
 */

const NOT_STORED =
  'Nothing is stored by this endpoint (it is stateless), so items cannot be referenced by id: ' +
  'send the items themselves (with the Vercel AI SDK, set providerOptions.openai.store to false)';

/** A text part of a user, system or developer message. */
export const InputTextPart = z.strictObject({ type: z.literal('input_text'), text: z.string() });

/** A text part of an assistant message, as the model produced it (annotations and logprobs are ignored). */
export const OutputTextPart = z.strictObject({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()).optional(),
  logprobs: z.array(z.unknown()).nullable().optional(),
});

/**
 * Content as a list of parts of one kind; a plain string stands for one such part. Made a
 * list before validation (not a union) so a bad part is reported at its own path.
 */
function textParts<T extends z.core.$ZodTypeDiscriminable>(part: T, kind: 'input_text' | 'output_text') {
  return z.preprocess(
    (content) => (typeof content === 'string' ? [{ type: kind, text: content }] : content),
    z.array(
      z.discriminatedUnion('type', [part], {
        error: (issue) =>
          issue.code === 'invalid_union' ? `only '${kind}' content parts are supported (this endpoint is text only)` : undefined,
      }),
      { error: 'must be a string or a list of content parts' },
    ),
  );
}

const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']).optional();

/** A message from the user, the system or the developer. */
export const InputMessage = z.strictObject({
  type: z.literal('message'),
  role: z.enum(['user', 'system', 'developer']),
  content: textParts(InputTextPart, 'input_text'),
  id: z.string().optional(),
  status: itemStatus,
});
export type InputMessage = z.infer<typeof InputMessage>;

/** An earlier assistant message, as sent back by the client (from `response.output` or its own history). */
export const AssistantMessage = z.strictObject({
  type: z.literal('message'),
  role: z.literal('assistant'),
  content: textParts(OutputTextPart, 'output_text'),
  id: z.string().optional(),
  status: itemStatus,
  phase: z.enum(['commentary', 'final_answer']).nullable().optional(),
});
export type AssistantMessage = z.infer<typeof AssistantMessage>;

/** A function call the model made earlier. */
export const FunctionCallItem = z.strictObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  id: z.string().optional(),
  status: itemStatus,
});
export type FunctionCallItem = z.infer<typeof FunctionCallItem>;

/** The result of a function call, given back to the model. */
export const FunctionCallOutputItem = z.strictObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: textParts(InputTextPart, 'input_text'),
  id: z.string().nullable().optional(),
  status: itemStatus.nullable(),
});
export type FunctionCallOutputItem = z.infer<typeof FunctionCallOutputItem>;

/**
 * A reasoning item from an earlier response. Accepted and left out of the chat request:
 * chat completions has no field to carry earlier reasoning back to the model (OpenAI's
 * own reasoning models drop it between turns too), and both the openai client pattern of
 * resending `response.output` and the AI SDK (with `store: false`) replay these items,
 * so refusing them would break multi-turn use for no gain.
 */
export const ReasoningItem = z.strictObject({
  type: z.literal('reasoning'),
  id: z.string().optional(),
  summary: z.array(z.strictObject({ type: z.literal('summary_text'), text: z.string() })),
  content: z
    .array(z.strictObject({ type: z.literal('reasoning_text'), text: z.string() }))
    .nullable()
    .optional(),
  encrypted_content: z.string().nullable().optional(),
  status: itemStatus,
});
export type ReasoningItem = z.infer<typeof ReasoningItem>;

/** `item_reference`: refused, since nothing is stored to look the id up in. */
const ItemReference = z.strictObject({
  type: z.literal('item_reference'),
  id: z.string().refine(() => false, { error: NOT_STORED }),
});

const ITEM_TYPES = "'message', 'function_call', 'function_call_output' and 'reasoning'";

/**
 * One `input` item. A message may leave `type` out (OpenAI's "easy input message"); it
 * is filled in before validation.
 */
export const InputItem = z.preprocess(
  (item) => (isRecord(item) && item.type === undefined && 'role' in item ? { type: 'message', ...item } : item),
  z.discriminatedUnion(
    'type',
    [
      z.discriminatedUnion('role', [InputMessage, AssistantMessage], {
        error: (issue) => (issue.code === 'invalid_union' ? "must be one of 'user', 'system', 'developer' or 'assistant'" : undefined),
      }),
      FunctionCallItem,
      FunctionCallOutputItem,
      ReasoningItem,
      ItemReference,
    ],
    {
      error: (issue) => (issue.code === 'invalid_union' && issue.note ? `only ${ITEM_TYPES} input items are supported` : undefined),
    },
  ),
);
export type InputItem = InputMessage | AssistantMessage | FunctionCallItem | FunctionCallOutputItem | ReasoningItem;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
