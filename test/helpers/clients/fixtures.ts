import { z } from 'zod';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../localPlatform';

/**
 * What the client end-to-end tests (test/e2e/clients/) share: the local platform they run
 * against, the model names, and one schema for tool arguments and structured output.
 */

/** Chat model: served by the GPU face first, Bedrock when the GPU face fails. */
export const CHAT_MODEL = 'gpt-oss-20b';
/** Embedding model on the GPU face (1024 dimensions). */
export const GPU_EMBEDDING_MODEL = 'bge-m3';
export const GPU_EMBEDDING_DIMENSIONS = 1024;
/** Embedding model on Bedrock; takes `dimensions` 256, 512 or 1024. */
export const TITAN_EMBEDDING_MODEL = 'titan-embed-text-v2';

/**
 * Completion-token cap the tests send. gpt-oss reasons first (24 tokens at the default
 * `medium` effort) and the simulator's default cap is 16, so without a cap an answer could
 * be all reasoning and no content.
 */
export const MAX_TOKENS = 256;

/** The platform as realtime.test.ts starts it: a short circuit cooldown so fallbacks are quick. */
export function startPlatform(): Promise<LocalPlatformProcess> {
  return startLocalPlatformProcess({ CIRCUIT_COOLDOWN_MS: '1000', CIRCUIT_FAILURE_THRESHOLD: '2' });
}

/** The OpenAI base URL of a running platform. */
export function baseURL(platform: LocalPlatformProcess): string {
  return `${platform.api}/v1`;
}

/** A weather report: the structured-output schema of every client test. */
export const WeatherReport = z.object({
  city: z.string().min(1),
  temperatureC: z.number(),
  conditions: z.enum(['sunny', 'rainy', 'cloudy']),
});
export type WeatherReport = z.infer<typeof WeatherReport>;

/** The same schema as JSON Schema, in the strict form OpenAI structured outputs take. */
export const WEATHER_REPORT_JSON_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    temperatureC: { type: 'number' },
    conditions: { type: 'string', enum: ['sunny', 'rainy', 'cloudy'] },
  },
  required: ['city', 'temperatureC', 'conditions'],
  additionalProperties: false,
} as const;

/** The tool every client offers; its arguments. */
export const WEATHER_TOOL_NAME = 'get_weather';
export const WEATHER_TOOL_DESCRIPTION = 'Current weather in a city';
export const WeatherArgs = z.object({ city: z.string().min(1), unit: z.enum(['celsius', 'fahrenheit']) });
export const WEATHER_ARGS_JSON_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', description: 'City name' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'unit'],
  additionalProperties: false,
} as const;
