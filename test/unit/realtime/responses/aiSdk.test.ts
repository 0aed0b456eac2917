/**
 * The Vercel AI SDK (`ai` with the `@ai-sdk/openai` provider, whose default model API is
 * Responses) against the local Responses server (see localResponsesServer): text, streams,
 * reasoning and multi-step tool calls.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { seen, startServer } from './localResponsesServer';

let server: Awaited<ReturnType<typeof startServer>>;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  server = await startServer();
  openai = createOpenAI({ apiKey: 'test', baseURL: server.baseURL });
});
afterAll(() => server.close());

const weather = tool({
  description: 'Weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `20C in ${city}`,
});

describe('the AI SDK on /v1/responses', () => {
  it('generates text with the default provider settings', async () => {
    const result = await generateText({ model: openai('chat-a'), prompt: 'hello', maxRetries: 0 });
    expect(result.text).toBe('You said: hello');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: 11, outputTokens: 7 });
    expect(result.response.id).toMatch(/^resp_/);
  });

  it('streams text with the default provider settings', async () => {
    const result = streamText({ model: openai('chat-a'), prompt: 'stream me', maxRetries: 0 });
    let text = '';
    for await (const piece of result.textStream) text += piece;
    expect(text).toBe('You said: stream me');
    expect(await result.finishReason).toBe('stop');
    expect(await result.usage).toMatchObject({ inputTokens: 11, outputTokens: 7 });
  });

  it('runs a multi-step tool call, streamed and not', async () => {
    const options = { model: openai('chat-a'), prompt: 'Weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 };
    const generated = await generateText(options);
    expect(generated.steps[0]!.toolCalls).toMatchObject([{ toolName: 'weather', input: { city: 'Paris' } }]);
    expect(generated.text).toContain('20C in Paris');
    expect(seen.at(-1)!.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_w1' });

    const streamed = streamText(options);
    let text = '';
    for await (const piece of streamed.textStream) text += piece;
    expect(text).toContain('20C in Paris');
  });

  it('continues a conversation from response.messages with store: false, and is told to set it otherwise', async () => {
    const first = await generateText({ model: openai('chat-a'), prompt: 'hello', maxRetries: 0 });
    // response.messages holds what the model answered; the caller keeps its own prompt.
    const messages = [{ role: 'user' as const, content: 'hello' }, ...first.response.messages, { role: 'user' as const, content: 'again' }];
    // Storing by default, the SDK refers to the earlier assistant message by id: nothing here holds it.
    await expect(generateText({ model: openai('chat-a'), messages, maxRetries: 0 })).rejects.toThrow(
      /providerOptions\.openai\.store to false/,
    );
    const second = await generateText({ model: openai('chat-a'), messages, maxRetries: 0, providerOptions: { openai: { store: false } } });
    expect(second.text).toBe('You said: again');
    expect(seen.at(-1)!.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'You said: hello' },
      { role: 'user', content: 'again' },
    ]);
  });

  it('gets reasoning from a model it takes for a reasoning model', async () => {
    const providerOptions = { openai: { reasoningEffort: 'low', reasoningSummary: 'auto', store: false } };
    const generated = await generateText({ model: openai('gpt-5-local'), prompt: 'think', providerOptions, maxRetries: 0 });
    expect(generated.reasoningText).toBe('Thinking it over.');
    expect(generated.text).toBe('You said: think');
    expect(seen.at(-1)).toMatchObject({ reasoning_effort: 'low' });

    const streamed = streamText({ model: openai('gpt-5-local'), prompt: 'think', providerOptions, maxRetries: 0 });
    let text = '';
    for await (const piece of streamed.textStream) text += piece;
    expect(text).toBe('You said: think');
    expect(await streamed.reasoningText).toBe('Thinking it over.');
  });
});
