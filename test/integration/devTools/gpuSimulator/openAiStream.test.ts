import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';
import { DEFAULT_SIMULATOR_CONFIG } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'days'],
    },
  },
};

/** Server-sent events of a response body: each `data:` payload, `[DONE]` kept as a string. */
function parseSse(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      const data = block.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

/** `stream: true` chat completions on the OpenAI face: chunks, pacing, aborts and mid-stream errors. */
describe('GPU simulator, OpenAI streaming', () => {
  let sim: RunningSimulator;

  async function stream(body: Record<string, unknown>): Promise<{ status: number; contentType: string | null; events: any[] }> {
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-oss-20b', stream: true, ...body }),
    });
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      events: response.status === 200 ? parseSse(text) : [JSON.parse(text)],
    };
  }

  const user = (content: string) => [{ role: 'user', content }];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 5, itemMs: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.updateConfig({
      passMs: 5,
      tokensPerSecond: 0,
      maxNumSeqs: DEFAULT_SIMULATOR_CONFIG.maxNumSeqs,
      openai: DEFAULT_SIMULATOR_CONFIG.openai,
    });
    sim.reset();
  });

  it('streams chat.completion.chunk events: role first, reasoning and content deltas, finish_reason, usage, [DONE]', async () => {
    // Prepare
    const body = { messages: user('Stream to me'), max_tokens: 200, stream_options: { include_usage: true } };

    // Act
    const { status, contentType, events } = await stream(body);
    const whole: any = await (
      await fetch(`${sim.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ ...body, model: 'gpt-oss-20b', stream: false }),
      })
    ).json();

    // Assess
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ id: chunks[0].id, object: 'chat.completion.chunk', created: expect.any(Number), model: 'gpt-oss-20b' });
    }
    expect(chunks[0].choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual(whole.usage);
    expect(usageChunk.usage.completion_tokens_details.reasoning_tokens).toBe(24);
    const last = chunks.at(-2);
    expect(last.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    expect(chunks.slice(0, -1).every((chunk: any) => chunk.usage === null)).toBe(true);
    const deltas = chunks.slice(1, -2).map((chunk: any) => chunk.choices[0].delta);
    const reasoning = deltas
      .filter((delta: any) => 'reasoning_content' in delta)
      .map((delta: any) => delta.reasoning_content)
      .join('');
    const content = deltas
      .filter((delta: any) => 'content' in delta)
      .map((delta: any) => delta.content)
      .join('');
    expect(reasoning).toBe(whole.choices[0].message.reasoning_content);
    expect(content).toBe(whole.choices[0].message.content);
    expect(deltas).toHaveLength(whole.usage.completion_tokens);
    expect(sim.stats().faces.openai).toMatchObject({ streamed: 1, completionTokens: 2 * whole.usage.completion_tokens });
  });

  it('leaves usage out of the chunks without stream_options.include_usage', async () => {
    // Act
    const { events } = await stream({ messages: user('no usage'), model: 'bge-m3', max_tokens: 3 });

    // Assess
    const chunks = events.slice(0, -1);
    expect(chunks.every((chunk: any) => !('usage' in chunk) && chunk.choices.length === 1)).toBe(true);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
  });

  it('streams tool calls: id, type and name with empty arguments first, then argument pieces only', async () => {
    // Act
    const { events } = await stream({
      model: 'bge-m3',
      messages: user('weather in Rome please'),
      tools: [WEATHER],
      tool_choice: 'required',
    });

    // Assess
    const chunks = events.slice(0, -1);
    const calls = chunks.flatMap((chunk: any) => chunk.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: expect.stringMatching(/^call_[0-9a-f]{24}$/),
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    expect(calls.length).toBeGreaterThan(2);
    for (const later of calls.slice(1)) expect(Object.keys(later).sort()).toEqual(['function', 'index']);
    const args = JSON.parse(calls.map((call: any) => call.function.arguments).join(''));
    expect(args).toEqual({ city: expect.any(String), days: expect.any(Number) });
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
  });

  it('answers errors and throttles before the first byte as ordinary JSON errors', async () => {
    // Prepare
    sim.updateConfig({ openai: { throttleRate: 1 } });

    // Act
    const throttled = await stream({ messages: user('x') });

    // Assess
    expect(throttled.status).toBe(429);
    expect(throttled.events[0].error.type).toBe('rate_limit_error');
  });

  it('breaks a stream after its first token with a data: {"error"} event at midStreamErrorRate 1', async () => {
    // Prepare
    sim.updateConfig({ openai: { midStreamErrorRate: 1 } });

    // Act
    const { status, events } = await stream({ messages: user('break'), max_tokens: 100 });

    // Assess
    expect(status).toBe(200);
    expect(events).toHaveLength(3);
    expect(events[1].choices[0].delta).toEqual({ reasoning_content: expect.any(String) });
    expect(events[2]).toEqual({ error: { message: expect.any(String), type: 'server_error', param: null, code: 'mid_stream_error' } });
    expect(sim.stats().faces.openai).toMatchObject({ midStreamErrors: 1, completionTokens: 1 });
  });

  it('says rate_limit_error in the mid-stream error event when midStreamErrorKind is throttled', async () => {
    // Prepare
    sim.updateConfig({ openai: { midStreamErrorRate: 1, midStreamErrorKind: 'throttled' } });

    // Act
    const { events } = await stream({ model: 'bge-m3', messages: user('break') });

    // Assess
    expect(events.at(-1)).toEqual({
      error: { message: expect.any(String), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
  });

  it('emits the first token after one pass and the rest at tokensPerSecond, streamed or not', async () => {
    // Prepare: 20 tokens/s, so an answer of 8+ tokens takes at least 350 ms after its first.
    sim.updateConfig({ tokensPerSecond: 20 });
    const body = JSON.stringify({ model: 'bge-m3', messages: user('pace me'), max_tokens: 10, stream: true });

    // Act
    const startedAt = Date.now();
    const response = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', body });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    let firstTokenMs = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      if (firstTokenMs === 0 && text.includes('"content":"sim')) firstTokenMs = Date.now() - startedAt;
    }
    const streamMs = Date.now() - startedAt;
    const plainStartedAt = Date.now();
    await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', body: body.replace('"stream":true', '"stream":false') }).then((reply) =>
      reply.json(),
    );
    const plainMs = Date.now() - plainStartedAt;

    // Assess
    expect(firstTokenMs).toBeGreaterThan(0);
    expect(streamMs - firstTokenMs).toBeGreaterThanOrEqual(340); // at least 7 more tokens at 50 ms each
    expect(plainMs).toBeGreaterThanOrEqual(340);
  });

  it('stops generating when the client aborts mid-stream, and counts it as cancelled', async () => {
    // Prepare
    sim.updateConfig({ tokensPerSecond: 25 });
    const controller = new AbortController();
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'bge-m3', messages: user('abort me'), max_tokens: 30, stream: true }),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();

    // Act: read until three content deltas arrived, then hang up.
    let text = '';
    while ((text.match(/"content":"[^"]/g) ?? []).length < 3) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const settled = sim.stats().faces.openai;
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(settled.cancelled).toBe(1);
    expect(settled.completionTokens).toBeGreaterThanOrEqual(3);
    expect(settled.completionTokens).toBeLessThan(8);
    expect(settled.completionTokens + settled.cancelledTokens).toBeGreaterThanOrEqual(8);
    expect(sim.stats().faces.openai.completionTokens).toBe(settled.completionTokens);
    expect(sim.stats().queue.inFlightRequests).toBe(0);
  });

  it('cancels a non-streamed request whose client leaves while it waits for a place in the batch, freeing it', async () => {
    // Prepare: a batch of one sequence, busy with an answer of 16 tokens at 50 ms each.
    sim.updateConfig({ maxNumSeqs: 1, tokensPerSecond: 20 });
    const post = (content: string, signal?: AbortSignal) =>
      fetch(`${sim.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'bge-m3', messages: user(content) }),
        signal,
      });
    const first = post('first');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const controller = new AbortController();
    const second = post('second', controller.signal).catch((error: Error) => error);

    // Act
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waiting = sim.stats().generation.waiting;
    controller.abort();
    await first;
    await second;
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess: the aborted request never reached the batch.
    const stats = sim.stats();
    expect(waiting).toBe(1);
    expect(stats.faces.openai).toMatchObject({ cancelled: 1, statuses: { '200': 1, '499': 1 } });
    expect(stats.generation).toMatchObject({ sequences: 1, peakRunning: 1, waiting: 0, running: 0 });
    expect(stats.queue.items).toBe(0);
  });

  it('stops a non-streamed answer that is still decoding when its client leaves', async () => {
    // Prepare: at 10 tokens/s an answer of 8+ tokens needs 700 ms after its first.
    sim.updateConfig({ tokensPerSecond: 10 });
    const controller = new AbortController();
    const request = fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'bge-m3', messages: user('leave early'), max_tokens: 30 }),
      signal: controller.signal,
    }).catch((error: Error) => error);

    // Act
    await new Promise((resolve) => setTimeout(resolve, 250));
    controller.abort();
    await request;
    await new Promise((resolve) => setTimeout(resolve, 150));

    // Assess
    const stats = sim.stats().faces.openai;
    expect(stats).toMatchObject({ cancelled: 1, statuses: { '499': 1 } });
    expect(stats.completionTokens).toBeGreaterThanOrEqual(1);
    expect(stats.completionTokens).toBeLessThan(6);
    expect(stats.cancelledTokens).toBeGreaterThan(0);
  });

  it('streams a legacy completion of one prompt as text_completion chunks, and refuses to stream several', async () => {
    // Act
    const response = await fetch(`${sim.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'bge-m3', prompt: 'once upon', max_tokens: 5, stream: true, stream_options: { include_usage: true } }),
    });
    const events = parseSse(await response.text()) as any[];
    const plain = (await (
      await fetch(`${sim.url}/v1/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'bge-m3', prompt: 'once upon', max_tokens: 5 }),
      })
    ).json()) as any;
    const several = await fetch(`${sim.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'bge-m3', prompt: ['a', 'b'], stream: true }),
    });

    // Assess
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1);
    expect(chunks.every((chunk) => chunk.object === 'text_completion')).toBe(true);
    expect(
      chunks
        .slice(0, -1)
        .map((chunk) => chunk.choices[0].text)
        .join(''),
    ).toBe(plain.choices[0].text);
    expect(chunks.at(-2).choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: plain.usage });
    expect(several.status).toBe(400);
  });
});
