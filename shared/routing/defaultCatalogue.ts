import type * as z from 'zod';
import { ModelCatalogue, type BackendRefInput, type ModelEntry } from '../domain/catalogue';
import type { Config } from '../config/config';
import { ConfigError, modelKey, PARSED_ONCE } from '../config/config';

type BackendInput = BackendRefInput;

/** A built-in model: what it is, and its Bedrock fallback unless `BEDROCK_FALLBACK_<KEY>` names another (or `none`). */
interface BuiltInModel {
  entry: Omit<z.input<typeof ModelEntry>, 'backends'>;
  /** A model only its vendor serves (Titan): no GPU server can, so it gets no GPU pool. */
  bedrockOnly?: boolean;
  bedrock?: {
    model: string;
    extra?: { expectedLatencyMs?: number; embeddingDimensions?: number[]; serviceTiers?: Array<'standard' | 'flex' | 'priority'> };
    batchInference?: boolean;
  };
}

/**
 * vLLM's default `--max-num-seqs` for its OpenAI server on GPUs under 70 GiB (the L40S of
 * the default g6e.xlarge); H100-class GPUs default to 1,024. `GPU_POOL_<KEY>_MAX_NUM_SEQS`
 * states a pool's own.
 */
const VLLM_MAX_NUM_SEQS = 256;

const BUILT_IN: BuiltInModel[] = [
  {
    entry: { id: 'gpt-oss-20b', kind: 'chat', ownedBy: 'openai', contextTokens: 131_072, maxOutputTokens: 16_384, reasoning: true },
    bedrock: { model: 'openai.gpt-oss-20b-1:0', extra: { serviceTiers: ['standard', 'flex', 'priority'] }, batchInference: true },
  },
  {
    entry: { id: 'gpt-oss-120b', kind: 'chat', ownedBy: 'openai', contextTokens: 131_072, maxOutputTokens: 16_384, reasoning: true },
    bedrock: { model: 'openai.gpt-oss-120b-1:0', extra: { serviceTiers: ['standard', 'flex', 'priority'] }, batchInference: true },
  },
  {
    entry: { id: 'titan-embed-text-v2', kind: 'embeddings', ownedBy: 'amazon', contextTokens: 8_192, maxOutputTokens: 1 },
    bedrockOnly: true,
    bedrock: { model: 'amazon.titan-embed-text-v2:0', extra: { expectedLatencyMs: 500, embeddingDimensions: [256, 512, 1024] } },
  },
  { entry: { id: 'bge-m3', kind: 'embeddings', ownedBy: 'BAAI', contextTokens: 8_192, maxOutputTokens: 1 } },
];

/**
 * The catalogue used unless MODEL_CATALOGUE replaces it. Each model has its own GPU
 * pool, first: `GPU_POOL_<KEY>_URLS` (`GPU_POOL_GPT_OSS_20B_URLS`), or else the servers
 * shared by its kind (`GPU_CHAT_URLS`, `GPU_EMBED_URLS`), except for a model only Bedrock
 * serves (Titan); either way a request goes only
 * to the servers whose `GET /v1/models` lists the model. Then its Bedrock fallback:
 * `BEDROCK_FALLBACK_<KEY>` (a Bedrock model id, or `none`), or the built-in one. A model
 * left with no backend is not offered. A pool's concurrency is sized from its servers and
 * `GPU_POOL_<KEY>_MAX_NUM_SEQS` (default 256, vLLM's): twice the sequences they run at
 * once, starting at those sequences for chat and at that ceiling for embeddings, whose
 * calls carry 64 inputs each (see `sizeConcurrency`).
 */
export function defaultCatalogue(config: Config): ModelCatalogue {
  const gpuPool = (model: BuiltInModel): BackendInput[] => {
    const { id, kind } = model.entry;
    if (model.bedrockOnly === true) return [];
    const baseUrls = config.gpuPools[modelKey(id)] ?? (kind === 'chat' ? config.gpuChatUrls : config.gpuEmbedUrls);
    if (baseUrls.length === 0) return [];
    // The pool's concurrency follows from its servers and what each runs at once (sizeConcurrency).
    const limits =
      kind === 'chat'
        ? { maxBatchItems: 1, maxBatchTokens: 200_000, expectedLatencyMs: 5_000, timeoutMs: 120_000 }
        : { maxBatchItems: 64, maxBatchTokens: 64 * 8_192, expectedLatencyMs: 1_000, timeoutMs: 60_000 };
    return [
      {
        provider: 'openai-compatible',
        id: `${kind === 'chat' ? 'gpu-chat' : 'gpu-embed'}:${id}`,
        model: id,
        baseUrls,
        maxNumSeqs: config.gpuMaxNumSeqs[modelKey(id)] ?? VLLM_MAX_NUM_SEQS,
        ...limits,
        // What the pool's time is priced at: the fleet's instance type where it says.
        ...(config.gpuInstanceTypes[modelKey(id)] ? { instanceType: config.gpuInstanceTypes[modelKey(id)] } : {}),
        // How long batch work may wait for the pool to start (the fleet sets it from its pool's startupSeconds).
        ...(config.gpuStartupSeconds[modelKey(id)] !== undefined ? { startupSeconds: config.gpuStartupSeconds[modelKey(id)] } : {}),
      },
    ];
  };
  const bedrock = (model: BuiltInModel): BackendInput[] => {
    const named = config.bedrockFallbacks[modelKey(model.entry.id)];
    if (named === 'none') return [];
    const bedrockModel = named ?? model.bedrock?.model;
    if (bedrockModel === undefined) return [];
    return [
      {
        provider: 'bedrock',
        id: `bedrock:${bedrockModel}`,
        model: bedrockModel,
        region: config.bedrockRegion,
        maxConcurrency: 32,
        maxBatchItems: 1,
        maxBatchTokens: 200_000,
        expectedLatencyMs: 5_000,
        timeoutMs: 120_000,
        ...(named === undefined ? model.bedrock?.extra : {}),
        // The AWS quotas by default; a MODEL_CATALOGUE sets them per model.
        ...(named === undefined && model.bedrock?.batchInference ? { batchInference: {} } : {}),
      },
    ];
  };
  const models = BUILT_IN.map((model) => ({ ...model.entry, backends: [...gpuPool(model), ...bedrock(model)] })).filter(
    (model) => model.backends.length > 0,
  );
  return ModelCatalogue.parse({ models }, PARSED_ONCE);
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
  const parsed = ModelCatalogue.safeParse(json, PARSED_ONCE);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`MODEL_CATALOGUE is invalid at ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
