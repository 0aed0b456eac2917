import { loadConfig, type Config } from '../../shared/config/config';
import { ModelCatalogue, type BackendRef } from '../../shared/domain/catalogue';
import { defaultCatalogue } from '../../shared/routing/defaultCatalogue';
import { GPU_LIKE } from './simulatorProcess';

/**
 * The GPU chat pool's cap in every item: twice the sequences the simulated server runs at
 * once, so a full batch is always queued behind the running one (the per-request client
 * gets the same budget).
 */
export const BENCH_CHAT_CONCURRENCY = 2 * GPU_LIKE.maxNumSeqs;

/**
 * The catalogues the suite runs with: the built-in catalogue (the one a deployment gets
 * with `gpuChatUrls` and `gpuEmbedUrls` set), pointed at the simulator. Only what the
 * simulator cannot stand in for is changed, and each change is stated where it is made.
 */

/** The environment a function would get, pointing at the simulator. */
export function benchEnv(simulatorUrl: string, catalogue?: ModelCatalogue): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GPU_CHAT_URLS: simulatorUrl,
    GPU_EMBED_URLS: simulatorUrl,
    ...(catalogue ? { MODEL_CATALOGUE: JSON.stringify(catalogue) } : {}),
  };
}

/**
 * The built-in catalogue against the simulator: GPU pools at its OpenAI face, and the
 * Bedrock backends at its Bedrock face (in a deployment they reach Bedrock itself).
 * `chatConcurrency` (default {@link BENCH_CHAT_CONCURRENCY}, for every item alike)
 * replaces the GPU chat pool's `maxConcurrency`: the built-in 64 is sized for a server
 * that is not the simulator, and the suite states which value a figure was measured with.
 */
export function simulatorCatalogue(
  simulatorUrl: string,
  options: { chatConcurrency?: number; bedrockOnly?: boolean } = {},
): ModelCatalogue {
  const base = defaultCatalogue(loadConfig(benchEnv(simulatorUrl)));
  const models = base.models
    .map((model) => {
      let backends = model.backends.map((ref): BackendRef => {
        if (ref.provider === 'bedrock') return { ...ref, endpoint: simulatorUrl };
        if (model.kind === 'chat') return { ...ref, maxConcurrency: options.chatConcurrency ?? BENCH_CHAT_CONCURRENCY };
        return ref;
      });
      if (options.bedrockOnly) backends = backends.filter((ref) => ref.provider === 'bedrock');
      return { ...model, backends };
    })
    .filter((model) => model.backends.length > 0);
  return ModelCatalogue.parse({ models });
}

/** The validated configuration of a function running against the simulator with `catalogue`. */
export function benchConfig(simulatorUrl: string, catalogue: ModelCatalogue, extra: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ ...benchEnv(simulatorUrl, catalogue), ...extra });
}

/** The backend entry of `modelId` (its first backend), to size contenders alike. */
export function firstBackend(catalogue: ModelCatalogue, modelId: string): BackendRef {
  const model = catalogue.models.find((entry) => entry.id === modelId);
  if (!model?.backends[0]) throw new Error(`no backend for ${modelId} in the bench catalogue`);
  return model.backends[0];
}
