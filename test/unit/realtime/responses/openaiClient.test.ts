/**
 * The real `openai` client against the local Responses server (see localResponsesServer).
 */
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { faults, seen, startServer, weatherTool } from './localResponsesServer';

let server: Awaited<ReturnType<typeof startServer>>;
let client: OpenAI;

beforeAll(async () => {
  server = await startServer();
  client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => {
  faults.failStream = false;
});

const tools = [weatherTool];

describe('the openai client on /v1/responses', () => {
  it('gets text, output_text and usage back', async () => {
    const response = await client.responses.create({ model: 'chat-a', input: 'hello', instructions: 'Be brief.' });
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('You said: hello');
    expect(response.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, total_tokens: 18 });
    expect(seen.at(-1)!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello' },
    ]);
  });

  it('gets function calls, and answers after their output is sent back with the whole history', async () => {
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.responses.create({ model: 'chat-a', input, tools, reasoning: { effort: 'low' } });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'weather', call_id: 'call_w1', status: 'completed' });
    expect(JSON.parse((call as OpenAI.Responses.ResponseFunctionToolCall).arguments)).toEqual({ city: 'Paris' });
    expect(first.output[0]).toMatchObject({ type: 'reasoning', content: [{ type: 'reasoning_text', text: 'Thinking it over.' }] });
    expect(first.output_text).toBe('');

    const second = await client.responses.create({
      model: 'chat-a',
      tools,
      input: [
        ...input,
        ...first.output,
        { type: 'function_call_output', call_id: 'call_w1', output: '20°C' },
      ] as OpenAI.Responses.ResponseInput,
    });
    expect(second.output_text).toBe('It is 20°C.');
    expect(seen.at(-1)!.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_w1', content: '20°C' },
    ]);
  });

  it('streams events with stream: true', async () => {
    const stream = await client.responses.create({ model: 'chat-a', input: 'streaming works', stream: true });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('You said: streaming works');
    expect(completed).toMatchObject({ status: 'completed', usage: { total_tokens: 18 } });
    expect(seen.at(-1)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('gives finalResponse() and output_text from the stream helper on a text answer', async () => {
    const stream = client.responses.stream({ model: 'chat-a', input: 'a longer sentence to stream', reasoning: { effort: 'low' } });
    let completed = false;
    stream.on('response.completed', () => {
      completed = true;
    });
    const final = await stream.finalResponse();
    expect(completed).toBe(true);
    expect(final.output_text).toBe('You said: a longer sentence to stream');
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(final.output[0]).toMatchObject({ summary: [], content: [{ type: 'reasoning_text', text: 'Thinking it over.' }] });
  });

  it('gives finalResponse() from the stream helper, with reasoning and function calls', async () => {
    const stream = client.responses.stream({ model: 'chat-a', input: 'Weather?', tools, reasoning: { effort: 'low', summary: 'auto' } });
    const argumentDeltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (event) => argumentDeltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'function_call']);
    expect(final.output[0]).toMatchObject({
      summary: [{ type: 'summary_text', text: 'Thinking it over.' }],
      content: [{ text: 'Thinking it over.' }],
    });
    expect(final.output[1]).toMatchObject({ name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(argumentDeltas.join('')).toBe('{"city":"Paris"}');
  });

  it('gets structured output parsed by responses.parse with a zod text format', async () => {
    const Weather = z.object({ city: z.string(), celsius: z.number() });
    const response = await client.responses.parse({
      model: 'chat-a',
      input: 'Weather?',
      text: { format: zodTextFormat(Weather, 'weather') },
    });
    expect(response.output_parsed).toEqual({ city: 'Paris', celsius: 20 });
    expect(seen.at(-1)!.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'weather', strict: true, schema: { type: 'object' } },
    });
  });

  it('ends a failed stream with response.failed', async () => {
    faults.failStream = true;
    const final = await client.responses.stream({ model: 'chat-a', input: 'hello' }).finalResponse();
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({ code: 'server_error', message: 'The backend stopped answering.' });
    expect(final.output_text).toBe('You ');
  });

  it('is refused a field it cannot honour with a 400 naming it', async () => {
    const refused = client.responses.create({ model: 'chat-a', input: 'hi', previous_response_id: 'resp_1' });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
  });
});
