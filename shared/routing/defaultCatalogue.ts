import type * as z from 'zod';
import { ModelCatalogue, type BackendRef, type ModelEntry } from '../domain/catalogue';
import type { Config } from '../config/config';
import { ConfigError } from '../config/config';

/**
 * The catalogue used unless MODEL_CATALOGUE replaces it. GPU pools come first where
 * their URLs are configured; Bedrock is the fallback for the gpt-oss models.
 */
export function defaultCatalogue(config: Config): ModelCatalogue {
  const gpuChat = (model: string): BackendRef[] =>
    config.gpuChatUrls.length === 0
      ? []
      : [
          {
            provider: 'openai-compatible',
            id: `gpu-chat:${model}`,
            model,
            baseUrls: config.gpuChatUrls,
            maxConcurrency: 64,
            maxBatchItems: 1,
            maxBatchTokens: 200_000,
            expectedLatencyMs: 5_000,
            timeoutMs: 120_000,
          },
        ];
  const bedrock = (model: string, extra: Partial<BackendRef> = {}): BackendRef =>
    ({
      provider: 'bedrock',
      id: `bedrock:${model}`,
      model,
      region: config.bedrockRegion,
      maxConcurrency: 32,
      maxBatchItems: 1,
      maxBatchTokens: 200_000,
      expectedLatencyMs: 5_000,
      timeoutMs: 120_000,
      ...extra,
    }) as BackendRef;

  const models: z.input<typeof ModelEntry>[] = [
    {
      id: 'gpt-oss-20b',
      kind: 'chat',
      ownedBy: 'openai',
      contextTokens: 131_072,
      maxOutputTokens: 16_384,
      reasoning: true,
      backends: [...gpuChat('gpt-oss-20b'), bedrock('openai.gpt-oss-20b-1:0')],
    },
    {
      id: 'gpt-oss-120b',
      kind: 'chat',
      ownedBy: 'openai',
      contextTokens: 131_072,
      maxOutputTokens: 16_384,
      reasoning: true,
      backends: [...gpuChat('gpt-oss-120b'), bedrock('openai.gpt-oss-120b-1:0')],
    },
    {
      id: 'titan-embed-text-v2',
      kind: 'embeddings',
      ownedBy: 'amazon',
      contextTokens: 8_192,
      maxOutputTokens: 1,
      backends: [bedrock('amazon.titan-embed-text-v2:0', { expectedLatencyMs: 500, embeddingDimensions: [256, 512, 1024] })],
    },
  ];
  if (config.gpuEmbedUrls.length > 0) {
    models.push({
      id: 'bge-m3',
      kind: 'embeddings',
      ownedBy: 'BAAI',
      contextTokens: 8_192,
      maxOutputTokens: 1,
      backends: [
        {
          provider: 'openai-compatible',
          id: 'gpu-embed:bge-m3',
          model: 'bge-m3',
          baseUrls: config.gpuEmbedUrls,
          maxConcurrency: 16,
          maxBatchItems: 64,
          maxBatchTokens: 64 * 8_192,
          expectedLatencyMs: 1_000,
          timeoutMs: 60_000,
        },
      ],
    });
  }
  return ModelCatalogue.parse({ models });
}

/** The catalogue in force: MODEL_CATALOGUE if set (validated), the default otherwise. */
export function loadCatalogue(config: Config): ModelCatalogue {
  if (!config.modelCatalogueJson) return defaultCatalogue(config);
  let json: unknown;
  try {
    json = JSON.parse(config.modelCatalogueJson);
  } catch (error) {
    throw new ConfigError(`MODEL_CATALOGUE is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ModelCatalogue.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`MODEL_CATALOGUE is invalid at ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
