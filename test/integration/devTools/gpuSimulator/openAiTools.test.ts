import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
    },
  },
};
const CLOCK = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
};

/** Tools, structured output, reasoning, logprobs, ignored sampling knobs and token-id embeddings on the OpenAI face. */
describe('GPU simulator, OpenAI tools and structured output', () => {
  let sim: RunningSimulator;

  async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; json: any }> {
    const response = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }
  const chat = (body: Record<string, unknown>) => post('/v1/chat/completions', { model: 'bge-m3', max_tokens: 200, ...body });
  const user = (content: string) => [{ role: 'user', content }];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 2, itemMs: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each([
    ['required calls the first tool', { tool_choice: 'required' }, 'hello', ['get_weather']],
    ['a named tool_choice calls that tool', { tool_choice: { type: 'function', function: { name: 'get_time' } } }, 'hello', ['get_time']],
    ['auto calls the tools the user names', { tool_choice: 'auto' }, 'get_time and get_weather please', ['get_weather', 'get_time']],
    [
      'auto calls one tool without parallel_tool_calls',
      { tool_choice: 'auto', parallel_tool_calls: false },
      'get_time and get_weather',
      ['get_weather'],
    ],
    ['auto calls the first tool when the user says tool', { tool_choice: 'auto' }, 'use a tool', ['get_weather']],
    ['auto (the default) answers text otherwise', {}, 'just chat', []],
    ['none answers text', { tool_choice: 'none' }, 'use get_weather', []],
  ])('%s', async (_name, extra, content, expected) => {
    // Act
    const { status, json } = await chat({ messages: user(content), tools: [WEATHER, CLOCK], ...extra });

    // Assess
    expect(status).toBe(200);
    const choice = json.choices[0];
    const calls = choice.message.tool_calls ?? [];
    expect(calls.map((call: any) => call.function.name)).toEqual(expected);
    if (expected.length > 0) {
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      for (const call of calls) {
        expect(call).toEqual({
          id: expect.stringMatching(/^call_[0-9a-f]{24}$/),
          type: 'function',
          function: { name: expect.any(String), arguments: expect.any(String) },
        });
        const args = JSON.parse(call.function.arguments);
        if (call.function.name === 'get_weather') expect(args).toEqual({ city: expect.any(String), unit: 'celsius' });
        else expect(args).toEqual({ zone: expect.any(String) });
      }
    } else {
      expect(choice.finish_reason).toBe('stop');
      expect(choice.message.content).toMatch(/^sim reply /);
    }
  });

  it('gives the same call ids and arguments for the same conversation', async () => {
    // Act
    const first = await chat({ messages: user('get_weather'), tools: [WEATHER] });
    const again = await chat({ messages: user('get_weather'), tools: [WEATHER] });

    // Assess
    expect(again.json.choices[0].message.tool_calls).toEqual(first.json.choices[0].message.tool_calls);
  });

  it('ends the round trip with text once the last message is a tool result', async () => {
    // Prepare
    const first = await chat({ messages: user('get_weather for Lima'), tools: [WEATHER], tool_choice: 'required' });
    const call = first.json.choices[0].message.tool_calls[0];

    // Act
    const { status, json } = await chat({
      tools: [WEATHER],
      tool_choice: 'required',
      messages: [
        ...user('get_weather for Lima'),
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
      ],
    });

    // Assess
    expect(status).toBe(200);
    expect(json.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { role: 'assistant', content: expect.stringMatching(/^sim reply /) },
    });
    expect(json.choices[0].message.tool_calls).toBeUndefined();
  });

  it('answers response_format json_object with a JSON object and json_schema with JSON that follows the schema', async () => {
    // Prepare
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 3 },
        score: { type: 'number', minimum: 0, maximum: 1 },
        count: { type: 'integer', minimum: 5, maximum: 9 },
        done: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        kind: { enum: ['a', 'b'] },
        version: { const: 2 },
        owner: { type: 'object', properties: { name: { type: 'string' }, age: { type: ['integer', 'null'] } }, required: ['name', 'age'] },
        ref: { $ref: '#/$defs/point' },
      },
      required: ['title', 'score', 'count', 'done', 'tags', 'kind', 'version', 'owner', 'ref'],
      $defs: { point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
    };

    // Act
    const object = await chat({ messages: user('give json'), response_format: { type: 'json_object' } });
    const shaped = await chat({
      messages: user('give json'),
      response_format: { type: 'json_schema', json_schema: { name: 'thing', schema, strict: true } },
    });

    // Assess
    expect(JSON.parse(object.json.choices[0].message.content)).toEqual(expect.any(Object));
    const value = JSON.parse(shaped.json.choices[0].message.content);
    expect(value).toEqual({
      title: expect.any(String),
      score: expect.any(Number),
      count: expect.any(Number),
      done: expect.any(Boolean),
      tags: [expect.any(String), expect.any(String)],
      kind: 'a',
      version: 2,
      owner: { name: expect.any(String), age: expect.any(Number) },
      ref: { x: expect.any(Number) },
    });
    expect(value.title.length).toBeGreaterThanOrEqual(3);
    expect(value.score).toBeGreaterThanOrEqual(0);
    expect(value.score).toBeLessThanOrEqual(1);
    expect(Number.isInteger(value.count) && value.count >= 5 && value.count <= 9).toBe(true);
    expect(shaped.json.usage.completion_tokens).toBe(Math.ceil(shaped.json.choices[0].message.content.length / 4));
  });

  it('reasons on gpt-oss: reasoning_content scales with reasoning_effort and counts in completion tokens', async () => {
    // Act
    const answers = await Promise.all(
      (['low', 'medium', 'high'] as const).map((effort) =>
        chat({ model: 'gpt-oss-120b', messages: user('think'), reasoning_effort: effort }),
      ),
    );
    const plain = await chat({ messages: user('think') });
    const capped = await chat({ model: 'gpt-oss-120b', messages: user('think'), max_tokens: 10 });

    // Assess
    const [low, medium, high] = answers.map(({ json }) => json);
    expect(low.usage.completion_tokens_details.reasoning_tokens).toBe(8);
    expect(medium.usage.completion_tokens_details.reasoning_tokens).toBe(24);
    expect(high.usage.completion_tokens_details.reasoning_tokens).toBe(64);
    expect(high.choices[0].message.reasoning_content.length).toBeGreaterThan(low.choices[0].message.reasoning_content.length);
    expect(low.choices[0].message.content).toMatch(/^sim reply /);
    expect(high.usage.completion_tokens - 64).toBe(low.usage.completion_tokens - 8);
    expect(plain.json.choices[0].message.reasoning_content).toBeUndefined();
    expect(capped.json.usage.completion_tokens).toBe(10);
    expect(capped.json.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: null } });
  });

  it('without max_tokens, lets defaultMaxTokens cap the answer alone, after the reasoning', async () => {
    // Act
    const { json } = await post('/v1/chat/completions', { model: 'gpt-oss-20b', messages: user('no cap given') });

    // Assess: 24 reasoning tokens, then an answer of at most 16 (the default cap).
    expect(json.usage.completion_tokens_details.reasoning_tokens).toBe(24);
    expect(json.choices[0].message.content).toMatch(/^sim reply /);
    expect(json.usage.completion_tokens - 24).toBeLessThanOrEqual(16);
    expect(json.usage.completion_tokens - 24).toBeGreaterThanOrEqual(8);
  });

  it('accepts the sampling knobs vLLM takes and answers the same whatever they say', async () => {
    // Act
    const base = await chat({ messages: user('same') });
    const tuned = await chat({
      messages: user('same'),
      seed: 7,
      temperature: 1.3,
      top_p: 0.5,
      presence_penalty: 1,
      frequency_penalty: -1,
      logit_bias: { '42': -100 },
      user: 'u-1',
      n: 1,
    });

    // Assess
    expect(tuned.status).toBe(200);
    expect(tuned.json.choices[0].message.content).toBe(base.json.choices[0].message.content);
  });

  it('returns logprobs.content, one entry per content token, with top_logprobs', async () => {
    // Act
    const { json } = await chat({ messages: user('probabilities'), logprobs: true, top_logprobs: 2 });

    // Assess
    const entries = json.choices[0].logprobs.content;
    expect(entries).toHaveLength(json.usage.completion_tokens);
    expect(entries.map((entry: any) => entry.token).join('')).toBe(json.choices[0].message.content);
    for (const entry of entries) {
      expect(entry).toEqual({
        token: expect.any(String),
        logprob: expect.any(Number),
        bytes: expect.any(Array),
        top_logprobs: expect.any(Array),
      });
      expect(entry.logprob).toBeLessThan(0);
      expect(entry.top_logprobs).toHaveLength(2);
      expect(entry.top_logprobs[0].token).toBe(entry.token);
    }
  });

  it('embeds token-id inputs, one id list or several, as vLLM does', async () => {
    // Act
    const single = await post('/v1/embeddings', { model: 'bge-m3', input: [101, 2023, 102], dimensions: 8 });
    const batch = await post('/v1/embeddings', {
      model: 'bge-m3',
      input: [
        [101, 2023, 102],
        [7, 8],
      ],
      dimensions: 8,
    });

    // Assess
    expect(single.status).toBe(200);
    expect(single.json.data).toHaveLength(1);
    expect(single.json.usage.prompt_tokens).toBe(3);
    expect(batch.json.data.map((item: any) => item.index)).toEqual([0, 1]);
    expect(batch.json.usage.prompt_tokens).toBe(5);
    expect(batch.json.data[0].embedding).toEqual(single.json.data[0].embedding);
    expect(batch.json.data[1].embedding).not.toEqual(single.json.data[0].embedding);
  });

  it.each([
    [
      'a tool_choice naming an unknown tool',
      { tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'nope' } } },
      'tool_choice',
    ],
    ['a bad reasoning_effort', { reasoning_effort: 'extreme' }, 'reasoning_effort'],
    ['an unknown response_format type', { response_format: { type: 'yaml' } }, 'response_format.type'],
  ])('answers 400 for %s', async (_name, extra, param) => {
    // Act
    const { status, json } = await chat({ messages: user('x'), ...extra });

    // Assess
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', param });
  });
});
