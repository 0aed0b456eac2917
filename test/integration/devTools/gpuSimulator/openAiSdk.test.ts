import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';

/** The official openai client against the simulator's OpenAI face: streaming, tools, structured output. */
describe('GPU simulator, OpenAI face through the openai client', () => {
  let sim: RunningSimulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 2, itemMs: 0 });
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('streams chunks the client assembles into the same answer as the non-streamed call', async () => {
    // Prepare
    const request = { model: 'gpt-oss-20b', messages: [{ role: 'user' as const, content: 'sdk stream' }], max_tokens: 100 };

    // Act
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let content = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    const whole = await client.chat.completions.create(request);

    // Assess
    expect(content).toBe(whole.choices[0]?.message.content);
    expect(finish).toBe(whole.choices[0]?.finish_reason);
    expect(usage).toEqual(whole.usage);
  });

  it('runs a tool round trip with the client helpers, streamed and not', async () => {
    // Prepare
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'please lookup cats' }];

    // Act
    const runner = client.chat.completions.stream({ model: 'bge-m3', messages, tools });
    const streamed = await runner.finalChatCompletion();
    const call = streamed.choices[0]?.message.tool_calls?.[0];
    const answer = await client.chat.completions.create({
      model: 'bge-m3',
      tools,
      messages: [
        ...messages,
        { role: 'assistant', content: null, tool_calls: call ? [call] : [] },
        { role: 'tool', tool_call_id: call?.id ?? '', content: '{"found": 3}' },
      ],
    });

    // Assess
    expect(streamed.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'lookup' } });
    expect(JSON.parse(call?.type === 'function' ? call.function.arguments : '')).toEqual({ q: expect.any(String) });
    expect(answer.choices[0]?.finish_reason).not.toBe('tool_calls');
    expect(answer.choices[0]?.message.content).toMatch(/^sim reply /);
  });

  it('makes the client throw on a mid-stream error event', async () => {
    // Prepare
    sim.updateConfig({ openai: { midStreamErrorRate: 1 } });

    // Act
    const outcome = await (async () => {
      const stream = await client.chat.completions.create({ model: 'bge-m3', messages: [{ role: 'user', content: 'x' }], stream: true });
      for await (const _chunk of stream) {
        // read until the error
      }
    })().then(
      () => null,
      (error: Error) => error,
    );
    sim.updateConfig({ openai: { midStreamErrorRate: 0 } });

    // Assess
    expect(outcome).toBeInstanceOf(OpenAI.APIError);
    expect(outcome?.message).toContain('mid-stream');
  });
});
