import { PlatformError } from '../../../../shared/errors/PlatformError';
import { parseRequest } from '../../../../shared/domain/validation';
import { encodeSse, type ResponseStreamEvent } from '../../../../shared/realtime/responses/streamEvents';
import { ResponsesRequest } from '../../../../shared/realtime/responses/requestSchema';
import { toResponseEvents } from '../../../../shared/realtime/responses/toResponseEvents';
import type { ChatWireChunk } from '../../../../shared/realtime/responses/chatWire';

const req = (extra: object = {}) => parseRequest(ResponsesRequest, { model: 'chat-a', input: 'hi', stream: true, ...extra });
const meta = { createdAt: 1_700_000_000, id: 'resp_s', now: () => 1_700_000_009 };

const delta = (d: NonNullable<ChatWireChunk['choices']>[0]['delta'], finish: string | null = null): ChatWireChunk => ({
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: d, finish_reason: finish }],
});
const usage: ChatWireChunk = {
  object: 'chat.completion.chunk',
  choices: [],
  usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
};

async function* from(items: ChatWireChunk[], thenThrow?: unknown): AsyncIterable<ChatWireChunk> {
  for (const item of items) yield item;
  if (thenThrow) throw thenThrow;
}

async function collect(events: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const all: ResponseStreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('toResponseEvents', () => {
  it('streams a text answer the way OpenAI does, numbering every event', async () => {
    const events = await collect(
      toResponseEvents(
        from([delta({ role: 'assistant', content: '' }), delta({ content: 'Hel' }), delta({ content: 'lo' }), delta({}, 'stop'), usage]),
        req(),
        meta,
      ),
    );
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0]).toMatchObject({ response: { id: 'resp_s', status: 'in_progress', output: [], usage: null } });
    const itemId = (events[2] as { item: { id: string } }).item.id;
    expect(events[4]).toEqual({
      type: 'response.output_text.delta',
      sequence_number: 4,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: 'Hel',
      logprobs: [],
    });
    expect(events[6]).toMatchObject({ text: 'Hello', item_id: itemId });
    expect(events[8]).toMatchObject({
      item: { id: itemId, status: 'completed', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] },
    });
    expect(events[9]).toMatchObject({
      response: {
        status: 'completed',
        completed_at: 1_700_000_009,
        usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 },
        output: [{ id: itemId }],
      },
    });
  });

  it('streams reasoning, then text, then tool calls by index, closing calls at the end', async () => {
    const events = await collect(
      toResponseEvents(
        from([
          delta({ reasoning_content: 'Think' }),
          delta({ reasoning_content: 'ing' }),
          delta({ content: 'Let me check.' }),
          delta({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
          delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
          delta({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } }] }),
          delta({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
          delta({}, 'tool_calls'),
          usage,
        ]),
        req({ reasoning: { summary: 'auto' } }),
        meta,
      ),
    );
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = events.at(-1) as { response: { output: unknown[] } };
    expect(done.response.output).toEqual([
      {
        id: expect.stringMatching(/^rs_/),
        type: 'reasoning',
        status: 'completed',
        encrypted_content: null,
        summary: [{ type: 'summary_text', text: 'Thinking' }],
        content: [{ type: 'reasoning_text', text: 'Thinking' }],
      },
      {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Let me check.', annotations: [], logprobs: [] }],
      },
      {
        id: expect.stringMatching(/^fc_/),
        type: 'function_call',
        status: 'completed',
        call_id: 'call_a',
        name: 'weather',
        arguments: '{"city":"Paris"}',
      },
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: 'call_b', name: 'time', arguments: '{}' },
    ]);
    const argsDone = events.filter((e) => e.type === 'response.function_call_arguments.done');
    expect(argsDone).toMatchObject([
      { output_index: 2, arguments: '{"city":"Paris"}', name: 'weather' },
      { output_index: 3, arguments: '{}', name: 'time' },
    ]);
  });

  it('ends incomplete when the output limit was reached', async () => {
    const events = await collect(
      toResponseEvents(from([delta({ content: 'Once' }), delta({}, 'length'), usage]), req({ max_output_tokens: 1 }), meta),
    );
    expect(events.find((e) => e.type === 'response.output_item.done')).toMatchObject({ item: { status: 'incomplete' } });
    expect(events.at(-1)).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    });
  });

  it('ends failed, keeping what was generated, on an error chunk', async () => {
    const events = await collect(
      toResponseEvents(
        from([
          delta({ content: 'Part' }),
          { error: { message: 'Backend overloaded', type: 'rate_limit_error', code: 'rate_limit_exceeded' } },
          delta({ content: 'never' }),
        ]),
        req(),
        meta,
      ),
    );
    expect(events.map((e) => e.type).slice(-2)).toEqual(['response.output_text.delta', 'response.failed']);
    expect(events.at(-1)).toMatchObject({
      response: {
        status: 'failed',
        error: { code: 'rate_limit_exceeded', message: 'Backend overloaded' },
        output: [{ type: 'message', status: 'incomplete', content: [{ text: 'Part' }] }],
      },
    });
  });

  it('ends failed when the chunk stream throws, hiding messages not written for callers', async () => {
    const internal = await collect(toResponseEvents(from([], new Error('socket hang up at 10.0.0.3')), req(), meta));
    expect(internal.at(-1)).toMatchObject({
      type: 'response.failed',
      response: { error: { code: 'server_error', message: 'The model failed while generating the response.' } },
    });
    const platform = new PlatformError('Rate limited by the backend.', {
      code: 'backend_throttled',
      status: 429,
      type: 'rate_limit_error',
    });
    const limited = await collect(toResponseEvents(from([], platform), req(), meta));
    expect(limited.at(-1)).toMatchObject({ response: { error: { code: 'rate_limit_exceeded', message: 'Rate limited by the backend.' } } });
  });

  it('encodes an event as OpenAI frames it', () => {
    const event: ResponseStreamEvent = {
      type: 'response.output_text.delta',
      sequence_number: 3,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta: 'hi',
      logprobs: [],
    };
    expect(encodeSse(event)).toBe(`event: response.output_text.delta\ndata: ${JSON.stringify(event)}\n\n`);
  });
});
