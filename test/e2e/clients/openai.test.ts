import OpenAI from 'openai';
import type { LocalPlatformProcess } from '../../helpers/localPlatform';
import {
  CHAT_MODEL,
  GPU_EMBEDDING_DIMENSIONS,
  GPU_EMBEDDING_MODEL,
  MAX_TOKENS,
  TITAN_EMBEDDING_MODEL,
  WEATHER_ARGS_JSON_SCHEMA,
  WEATHER_REPORT_JSON_SCHEMA,
  WEATHER_TOOL_DESCRIPTION,
  WEATHER_TOOL_NAME,
  WeatherArgs,
  WeatherReport,
  baseURL,
  startPlatform,
} from '../../helpers/clients/fixtures';
import { configureSimulator, simulatorStats, waitUntil } from '../../helpers/clients/simulator';

/**
 * The official `openai` client against the local platform, on the features apps use beyond
 * a plain completion: streaming, tools, structured output, reasoning effort, the Responses
 * API, embedding dimensions, Bedrock fallback of a stream, and client aborts.
 */
describe('openai client against the local platform', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;

  beforeAll(async () => {
    platform = await startPlatform();
    client = new OpenAI({ baseURL: baseURL(platform), apiKey: platform.apiKey, maxRetries: 0 });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const weatherTool: OpenAI.Chat.Completions.ChatCompletionFunctionTool = {
    type: 'function',
    function: { name: WEATHER_TOOL_NAME, description: WEATHER_TOOL_DESCRIPTION, parameters: { ...WEATHER_ARGS_JSON_SCHEMA }, strict: true },
  };

  it('answers a plain chat completion and embeds with bge-m3', async () => {
    // Act
    const completion = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: 'Say hello.' }],
      max_tokens: MAX_TOKENS,
    });
    const embeddings = await client.embeddings.create({ model: GPU_EMBEDDING_MODEL, input: ['first', 'second'] });
    // Assess
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(embeddings.data.map((d) => d.embedding.length)).toEqual([GPU_EMBEDDING_DIMENSIONS, GPU_EMBEDDING_DIMENSIONS]);
  });

  it('streams the same answer as the non-streamed request, then one usage chunk', async () => {
    // Prepare
    const request = {
      model: CHAT_MODEL,
      messages: [
        { role: 'system' as const, content: 'You are terse.' },
        { role: 'user' as const, content: 'Describe a GPU in one sentence.' },
      ],
      max_tokens: MAX_TOKENS,
      temperature: 0,
    };
    const whole = await client.chat.completions.create(request);
    // Act
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    // Assess
    const text = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(1);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0]!.id).toMatch(/^chatcmpl-/);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === CHAT_MODEL)).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const finishes = chunks.flatMap((chunk) =>
      chunk.choices.filter((choice) => choice.finish_reason !== null).map((choice) => choice.finish_reason),
    );
    expect(finishes).toEqual([whole.choices[0]!.finish_reason]);
    // Exactly one chunk carries usage: the last, with no choices.
    const withUsage = chunks.filter((chunk) => chunk.usage);
    expect(withUsage).toHaveLength(1);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.prompt_tokens).toBe(whole.usage!.prompt_tokens);
    expect(last.usage!.completion_tokens).toBe(whole.usage!.completion_tokens);
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
  });

  it('makes a forced tool call and answers with text once the tool result comes back', async () => {
    // Prepare
    const user: OpenAI.Chat.Completions.ChatCompletionMessageParam = { role: 'user', content: 'What is the weather in Paris?' };
    // Act
    const first = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [user],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: WEATHER_TOOL_NAME } },
      max_tokens: MAX_TOKENS,
    });
    // Assess
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    expect(call.id).toMatch(/^\S+$/);
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe(WEATHER_TOOL_NAME);
    const args = WeatherArgs.strict().parse(JSON.parse(call.function.arguments));
    expect(args.city.length).toBeGreaterThan(0);

    // Act: the tool's result goes back in a `tool` message.
    const second = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [
        user,
        { role: 'assistant', content: choice.message.content, tool_calls: choice.message.tool_calls },
        { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ city: args.city, temperatureC: 21, conditions: 'sunny' }) },
      ],
      tools: [weatherTool],
      max_tokens: MAX_TOKENS,
    });
    // Assess
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(second.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('returns JSON that follows a strict json_schema response_format', async () => {
    // Act
    const completion = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: 'Report the weather in Paris.' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'weather_report', strict: true, schema: { ...WEATHER_REPORT_JSON_SCHEMA } },
      },
      max_tokens: MAX_TOKENS,
    });
    // Assess
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('stop');
    const report = WeatherReport.strict().parse(JSON.parse(choice.message.content!));
    expect(report.city.length).toBeGreaterThan(0);
  });

  it('accepts reasoning_effort and counts reasoning tokens, fewer at low than at high', async () => {
    // Prepare
    const ask = (effort: 'low' | 'high') =>
      client.chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: 'Why is the sky blue?' }],
        reasoning_effort: effort,
        max_tokens: MAX_TOKENS,
      });
    // Act
    const low = await ask('low');
    const high = await ask('high');
    // Assess
    const lowReasoning = low.usage!.completion_tokens_details!.reasoning_tokens!;
    const highReasoning = high.usage!.completion_tokens_details!.reasoning_tokens!;
    expect(lowReasoning).toBeGreaterThan(0);
    expect(lowReasoning).toBeLessThan(low.usage!.completion_tokens);
    expect(highReasoning).toBeGreaterThan(lowReasoning);
    expect(low.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('answers responses.create, and streams the same text as events', async () => {
    // Prepare
    const request = { model: CHAT_MODEL, input: 'Say hello in five words.', max_output_tokens: MAX_TOKENS };
    // Act
    const response = await client.responses.create(request);
    // Assess
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.model).toBe(CHAT_MODEL);
    expect(typeof response.id).toBe('string');
    expect(response.output_text.length).toBeGreaterThan(0);
    const messages = response.output.filter((item) => item.type === 'message');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.role).toBe('assistant');
    expect(response.usage!.input_tokens).toBeGreaterThan(0);
    expect(response.usage!.output_tokens).toBeGreaterThan(0);
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);

    // Act: the same request, streamed.
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of await client.responses.create({ ...request, stream: true })) events.push(event);
    // Assess
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toEqual(
      expect.arrayContaining([
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.output_item.done',
      ]),
    );
    const sequence = events.map((event) => event.sequence_number);
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    expect(new Set(sequence).size).toBe(sequence.length);
    const deltas = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : [])).join('');
    expect(deltas).toBe(response.output_text);
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.status).toBe('completed');
    expect(completed.response.usage!.output_tokens).toBe(response.usage!.output_tokens);

    // Act: the SDK's stream helper checks the event order strictly and assembles the response.
    const final = await client.responses.stream(request).finalResponse();
    // Assess
    expect(final.output_text).toBe(response.output_text);
  });

  it('embeds with titan-embed-text-v2 at 256 dimensions', async () => {
    // Act
    const base64 = await client.embeddings.create({
      model: TITAN_EMBEDDING_MODEL,
      input: ['first input', 'second input'],
      dimensions: 256,
    });
    const float = await client.embeddings.create({
      model: TITAN_EMBEDDING_MODEL,
      input: 'first input',
      dimensions: 256,
      encoding_format: 'float',
    });
    // Assess
    expect(base64.data.map((d) => d.embedding.length)).toEqual([256, 256]);
    expect(float.data[0]!.embedding).toHaveLength(256);
    float.data[0]!.embedding.slice(0, 16).forEach((value, i) => expect(base64.data[0]!.embedding[i]).toBeCloseTo(value, 6));
  });

  it('stops the generation on the GPU when the client aborts a stream', async () => {
    try {
      // Prepare: 10 tokens a second, so the answer takes seconds to stream.
      await configureSimulator(platform, { tokensPerSecond: 10 });
      const before = await simulatorStats(platform);
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        {
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: 'Tell me a long story about batching.' }],
          stream: true,
          max_tokens: MAX_TOKENS,
        },
        { signal: controller.signal },
      );
      // Act: abort after the second chunk.
      let received = 0;
      await (async () => {
        for await (const _chunk of stream) {
          received += 1;
          if (received === 2) controller.abort();
        }
      })().catch((error: unknown) => {
        if (!(error instanceof OpenAI.APIUserAbortError) && !(error instanceof Error && error.name === 'AbortError')) throw error;
      });
      // Assess: the simulator counts one cancelled generation on the GPU face, with tokens it never made.
      expect(received).toBeGreaterThanOrEqual(2);
      await waitUntil(
        async () => (await simulatorStats(platform)).faces.openai.cancelled - before.faces.openai.cancelled >= 1,
        5_000,
        'the simulator counts the generation as cancelled',
      );
      const after = await simulatorStats(platform);
      expect(after.faces.openai.cancelled - before.faces.openai.cancelled).toBe(1);
      expect(after.faces.openai.cancelledTokens - before.faces.openai.cancelledTokens).toBeGreaterThan(0);
    } finally {
      await configureSimulator(platform, { tokensPerSecond: 0 });
    }
  });

  // Last: it opens the GPU face's circuit.
  it('streams from Bedrock while the GPU face fails', async () => {
    try {
      // Prepare: the OpenAI face (the GPU pool) fails every request.
      await configureSimulator(platform, { openai: { errorRate: 1 } });
      const before = await simulatorStats(platform);
      // Act
      const stream = await client.chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: 'fallback while streaming?' }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: MAX_TOKENS,
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      // Assess: a whole stream, served by Bedrock's streaming face, none of it by the GPU face.
      const after = await simulatorStats(platform);
      const text = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('');
      expect(text.length).toBeGreaterThan(0);
      expect(chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(1);
      const finishes = chunks.flatMap((chunk) =>
        chunk.choices.filter((choice) => choice.finish_reason !== null).map((choice) => choice.finish_reason),
      );
      expect(finishes).toHaveLength(1);
      expect(['stop', 'length']).toContain(finishes[0]);
      expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
      expect(after.faces.bedrock.streamed - before.faces.bedrock.streamed).toBe(1);
      expect(after.faces.bedrock.requests - before.faces.bedrock.requests).toBe(1);
      expect((after.faces.openai.statuses['200'] ?? 0) - (before.faces.openai.statuses['200'] ?? 0)).toBe(0);
    } finally {
      await configureSimulator(platform, { openai: { errorRate: 0 } });
    }
  });
});
