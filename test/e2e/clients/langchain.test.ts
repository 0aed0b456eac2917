import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { AIMessageChunk } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import OpenAI from 'openai';
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
 * LangChain JS (`@langchain/openai`) against the local platform, on its default paths:
 * Chat Completions for `ChatOpenAI`, `/v1/embeddings` with base64 vectors for
 * `OpenAIEmbeddings` (docs/client-requests.md says what each sends).
 */
describe('LangChain JS against the local platform', () => {
  let platform: LocalPlatformProcess;
  let chat: ChatOpenAI;

  beforeAll(async () => {
    platform = await startPlatform();
    chat = new ChatOpenAI({
      model: CHAT_MODEL,
      apiKey: platform.apiKey,
      configuration: { baseURL: baseURL(platform) },
      maxRetries: 0,
      maxTokens: MAX_TOKENS,
    });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('invokes a chat model', async () => {
    // Act
    const message = await chat.invoke('Say hello.');
    // Assess
    expect(typeof message.content).toBe('string');
    expect((message.content as string).length).toBeGreaterThan(0);
    expect(message.response_metadata.finish_reason).toBe('stop');
    expect(message.usage_metadata!.input_tokens).toBeGreaterThan(0);
    expect(message.usage_metadata!.output_tokens).toBeGreaterThan(0);
  });

  it('embeds documents and a query, matching the float vectors', async () => {
    // Prepare
    const embeddings = new OpenAIEmbeddings({
      model: GPU_EMBEDDING_MODEL,
      apiKey: platform.apiKey,
      configuration: { baseURL: baseURL(platform) },
      maxRetries: 0,
    });
    const texts = ['the first document', 'a second, longer document to embed', 'third'];
    // Act: LangChain asks for base64 and decodes it.
    const documents = await embeddings.embedDocuments(texts);
    const query = await embeddings.embedQuery(texts[0]!);
    // Assess
    expect(documents.map((vector) => vector.length)).toEqual([
      GPU_EMBEDDING_DIMENSIONS,
      GPU_EMBEDDING_DIMENSIONS,
      GPU_EMBEDDING_DIMENSIONS,
    ]);
    expect(query).toHaveLength(GPU_EMBEDDING_DIMENSIONS);
    const floats = await new OpenAI({ baseURL: baseURL(platform), apiKey: platform.apiKey, maxRetries: 0 }).embeddings.create({
      model: GPU_EMBEDDING_MODEL,
      input: texts,
      encoding_format: 'float',
    });
    for (const [i, vector] of documents.entries()) {
      vector.slice(0, 16).forEach((value, j) => expect(value).toBeCloseTo(floats.data[i]!.embedding[j]!, 6));
    }
    query.slice(0, 16).forEach((value, j) => expect(value).toBeCloseTo(floats.data[0]!.embedding[j]!, 6));
  });

  it('streams chunks that concatenate to the invoked answer, with usage', async () => {
    // Prepare
    const prompt = 'Describe a GPU in one sentence.';
    const whole = await chat.invoke(prompt);
    // Act
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await chat.stream(prompt)) chunks.push(chunk);
    // Assess
    const text = chunks.map((chunk) => chunk.content as string).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(text).toBe(whole.content);
    expect(chunks.filter((chunk) => chunk.content !== '').length).toBeGreaterThan(1);
    const merged = chunks.reduce((sum, chunk) => sum.concat(chunk));
    expect(merged.usage_metadata!.output_tokens).toBe(whole.usage_metadata!.output_tokens);
    expect(merged.usage_metadata!.input_tokens).toBe(whole.usage_metadata!.input_tokens);
  });

  it('calls a bound tool, with arguments that follow its schema', async () => {
    // Prepare
    const getWeather = tool(async ({ city }) => `sunny in ${city}`, {
      name: WEATHER_TOOL_NAME,
      description: WEATHER_TOOL_DESCRIPTION,
      schema: WeatherArgs,
    });
    // Act
    const message = await chat.bindTools([getWeather]).invoke(`Use ${WEATHER_TOOL_NAME} to find the weather in Paris.`);
    // Assess
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0]!;
    expect(call.name).toBe(WEATHER_TOOL_NAME);
    expect(call.id).toMatch(/^\S+$/);
    expect(WeatherArgs.strict().safeParse(call.args).success).toBe(true);
    expect(message.invalid_tool_calls ?? []).toEqual([]);
    expect(message.response_metadata.finish_reason).toBe('tool_calls');
  });

  it('returns structured output that satisfies a zod schema', async () => {
    // Act
    const report = await chat.withStructuredOutput(WeatherReport).invoke('Report the weather in Paris.');
    // Assess
    expect(WeatherReport.strict().safeParse(report).success).toBe(true);
  });
});
