/**
 * The fields the Vercel AI SDK's `@ai-sdk/openai` Responses provider requires when it
 * parses a response and stream events (its zod schemas in
 * packages/openai/src/responses/openai-responses-api.ts, read for this, restated here
 * as loose checks of our own): a translation must not leave any of them out.
 */
import { z } from 'zod';
import { parseRequest } from '../../../../shared/domain/validation';
import { ResponsesRequest } from '../../../../shared/realtime/responses/requestSchema';
import { toResponse } from '../../../../shared/realtime/responses/toResponse';
import { toResponseEvents } from '../../../../shared/realtime/responses/toResponseEvents';
import type { ChatWireChunk } from '../../../../shared/realtime/responses/chatWire';
import type { ResponseStreamEvent } from '../../../../shared/realtime/responses/streamEvents';

const usage = z.object({
  input_tokens: z.number(),
  input_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
  output_tokens: z.number(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
});
const outputItem = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message'),
    role: z.literal('assistant'),
    id: z.string(),
    content: z.array(z.object({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.unknown()) })),
  }),
  z.object({ type: z.literal('function_call'), id: z.string(), call_id: z.string(), name: z.string(), arguments: z.string() }),
  z.object({
    type: z.literal('reasoning'),
    id: z.string(),
    encrypted_content: z.string().nullish(),
    summary: z.array(z.object({ type: z.literal('summary_text'), text: z.string() })),
  }),
]);
const aiSdkResponse = z.object({
  id: z.string(),
  created_at: z.number(),
  model: z.string(),
  error: z.null(),
  output: z.array(outputItem),
  incomplete_details: z.object({ reason: z.string() }).nullish(),
  usage,
  service_tier: z.string().nullish(),
});
const itemStart = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), id: z.string() }),
  z.object({ type: z.literal('reasoning'), id: z.string(), encrypted_content: z.string().nullish() }),
  z.object({ type: z.literal('function_call'), id: z.string(), call_id: z.string(), name: z.string(), arguments: z.string() }),
]);
const aiSdkEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('response.created'), response: z.object({ id: z.string(), created_at: z.number(), model: z.string() }) }),
  z.object({
    type: z.literal('response.completed'),
    response: z.object({ incomplete_details: z.object({ reason: z.string() }).nullish(), usage }),
  }),
  z.object({ type: z.literal('response.output_item.added'), output_index: z.number(), item: itemStart }),
  z.object({
    type: z.literal('response.output_item.done'),
    output_index: z.number(),
    item: z.discriminatedUnion('type', [
      z.object({ type: z.literal('message'), id: z.string() }),
      z.object({ type: z.literal('reasoning'), id: z.string(), encrypted_content: z.string().nullish() }),
      z.object({
        type: z.literal('function_call'),
        id: z.string(),
        call_id: z.string(),
        name: z.string(),
        arguments: z.string(),
        status: z.literal('completed'),
      }),
    ]),
  }),
  z.object({ type: z.literal('response.output_text.delta'), item_id: z.string(), delta: z.string() }),
  z.object({ type: z.literal('response.function_call_arguments.delta'), item_id: z.string(), output_index: z.number(), delta: z.string() }),
  z.object({ type: z.literal('response.reasoning_summary_part.added'), item_id: z.string(), summary_index: z.number() }),
  z.object({ type: z.literal('response.reasoning_summary_text.delta'), item_id: z.string(), summary_index: z.number(), delta: z.string() }),
  z.object({ type: z.literal('response.reasoning_summary_part.done'), item_id: z.string(), summary_index: z.number() }),
]);

const req = parseRequest(ResponsesRequest, { model: 'chat-a', input: 'hi', reasoning: { effort: 'low', summary: 'auto' } });

describe('what the AI SDK parses', () => {
  it('finds every field it requires in a Response', () => {
    const response = toResponse(
      {
        choices: [
          {
            finish_reason: 'tool_calls',
            message: {
              content: 'ok',
              reasoning_content: 'why',
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
            },
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 2 },
      },
      req,
      { createdAt: 1 },
    );
    expect(aiSdkResponse.safeParse(response).error).toBeUndefined();
  });

  it('finds every field it requires in the stream events it reads', async () => {
    async function* chunks(): AsyncIterable<ChatWireChunk> {
      yield { choices: [{ delta: { reasoning_content: 'why' } }] };
      yield { choices: [{ delta: { content: 'ok' } }] };
      yield {
        choices: [
          { delta: { tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls' },
        ],
      };
      yield { choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } };
    }
    const read = new Set(aiSdkEvent.options.map((option) => option.shape.type.value));
    const events: ResponseStreamEvent[] = [];
    for await (const event of toResponseEvents(chunks(), req, { createdAt: 1 })) events.push(event);
    const checked = events.filter((event) => read.has(event.type as never));
    expect(new Set(checked.map((event) => event.type))).toEqual(read);
    for (const event of checked) expect(aiSdkEvent.safeParse(event).error).toBeUndefined();
  });
});
