import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { embedMany, generateObject, generateText, type LanguageModel, streamText, tool } from 'ai';
import type { LocalPlatformProcess } from '../../helpers/localPlatform';
import {
  CHAT_MODEL,
  GPU_EMBEDDING_DIMENSIONS,
  GPU_EMBEDDING_MODEL,
  MAX_TOKENS,
  WEATHER_TOOL_DESCRIPTION,
  WEATHER_TOOL_NAME,
  WeatherArgs,
  WeatherReport,
  baseURL,
  startPlatform,
} from '../../helpers/clients/fixtures';

/**
 * The Vercel AI SDK against the local platform: `@ai-sdk/openai-compatible` (Chat
 * Completions, embeddings) and `@ai-sdk/openai`'s default model, which speaks the
 * Responses API (docs/client-requests.md says what each sends).
 */
describe('Vercel AI SDK against the local platform', () => {
  let platform: LocalPlatformProcess;
  let compatible: ReturnType<typeof createOpenAICompatible>;

  beforeAll(async () => {
    platform = await startPlatform();
    compatible = createOpenAICompatible({ baseURL: baseURL(platform), apiKey: platform.apiKey, name: 'platform' });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** Every part of a stream, read to the end. */
  async function readParts<T extends { type: string }>(stream: AsyncIterable<T>): Promise<T[]> {
    const parts: T[] = [];
    for await (const part of stream) parts.push(part);
    return parts;
  }

  /**
   * Streams one prompt and checks the stream against generateText's answer to it: no error
   * part, more than one text delta, the same text and output tokens, a stop, usage.
   */
  async function expectStreamLikeGenerated(model: LanguageModel): Promise<void> {
    const prompt = 'Describe a GPU in one sentence.';
    const whole = await generateText({ model, prompt, maxOutputTokens: MAX_TOKENS, maxRetries: 0 });
    const result = streamText({ model, prompt, maxOutputTokens: MAX_TOKENS, maxRetries: 0 });
    const parts = await readParts(result.fullStream);
    expect(parts.filter((part) => part.type === 'error')).toEqual([]);
    expect(parts.filter((part) => part.type === 'text-delta').length).toBeGreaterThan(1);
    const text = await result.text;
    expect(text.length).toBeGreaterThan(0);
    expect(text).toBe(whole.text);
    expect(await result.finishReason).toBe('stop');
    const usage = await result.usage;
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.outputTokens).toBe(whole.usage.outputTokens);
  }

  describe('@ai-sdk/openai-compatible', () => {
    it('generates text', async () => {
      // Act
      const result = await generateText({
        model: compatible(CHAT_MODEL),
        prompt: 'Say hello.',
        maxOutputTokens: MAX_TOKENS,
        maxRetries: 0,
      });
      // Assess
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.finishReason).toBe('stop');
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
    });

    it('embeds many values in order', async () => {
      // Act
      const result = await embedMany({
        model: compatible.textEmbeddingModel(GPU_EMBEDDING_MODEL),
        values: ['first', 'second', 'third'],
        maxRetries: 0,
      });
      // Assess
      expect(result.embeddings.map((vector) => vector.length)).toEqual([
        GPU_EMBEDDING_DIMENSIONS,
        GPU_EMBEDDING_DIMENSIONS,
        GPU_EMBEDDING_DIMENSIONS,
      ]);
      expect(result.embeddings[0]).not.toEqual(result.embeddings[1]);
      expect(result.usage.tokens).toBeGreaterThan(0);
    });

    it('streams text with no error part, the same text as generateText, and usage', async () => {
      // Prepare: usage in a stream needs `stream_options.include_usage`, which this provider sends only with `includeUsage`.
      const withUsage = createOpenAICompatible({
        baseURL: baseURL(platform),
        apiKey: platform.apiKey,
        name: 'platform',
        includeUsage: true,
      });
      // Act, Assess
      await expectStreamLikeGenerated(withUsage(CHAT_MODEL));
    });

    it('calls a tool, with input that follows its schema', async () => {
      // Act
      const result = await generateText({
        model: compatible(CHAT_MODEL),
        prompt: `Use ${WEATHER_TOOL_NAME} to find the weather in Paris.`,
        tools: { [WEATHER_TOOL_NAME]: tool({ description: WEATHER_TOOL_DESCRIPTION, inputSchema: WeatherArgs }) },
        maxOutputTokens: MAX_TOKENS,
        maxRetries: 0,
      });
      // Assess
      expect(result.finishReason).toBe('tool-calls');
      expect(result.toolCalls).toHaveLength(1);
      const call = result.toolCalls[0]!;
      expect(call.toolName).toBe(WEATHER_TOOL_NAME);
      expect(call.toolCallId).toMatch(/^\S+$/);
      expect(WeatherArgs.strict().safeParse(call.input).success).toBe(true);
    });

    it('generates an object that satisfies a zod schema', async () => {
      // Prepare: by default this provider sends `response_format: {type: "json_object"}` with no
      // schema; `supportsStructuredOutputs` makes it send the schema (`json_schema`, strict).
      const structured = createOpenAICompatible({
        baseURL: baseURL(platform),
        apiKey: platform.apiKey,
        name: 'platform',
        supportsStructuredOutputs: true,
      });
      // Act
      const result = await generateObject({
        model: structured(CHAT_MODEL),
        schema: WeatherReport,
        prompt: 'Report the weather in Paris.',
        maxOutputTokens: MAX_TOKENS,
        maxRetries: 0,
      });
      // Assess
      expect(WeatherReport.strict().safeParse(result.object).success).toBe(true);
      expect(result.finishReason).toBe('stop');
    });
  });

  describe('@ai-sdk/openai default model (Responses API)', () => {
    let openai: ReturnType<typeof createOpenAI>;

    beforeAll(() => {
      openai = createOpenAI({ baseURL: baseURL(platform), apiKey: platform.apiKey });
    });

    it('generates text', async () => {
      // Act
      const result = await generateText({ model: openai(CHAT_MODEL), prompt: 'Say hello.', maxOutputTokens: MAX_TOKENS, maxRetries: 0 });
      // Assess
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.finishReason).toBe('stop');
      expect(result.response.modelId).toBe(CHAT_MODEL);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
    });

    it('streams the same text as generateText, with no error part and usage', async () => {
      // Act, Assess
      await expectStreamLikeGenerated(openai(CHAT_MODEL));
    });
  });
});
