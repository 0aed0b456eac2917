import { loadConfig, modelKey, type Config } from '../../shared/config/config';
import { ModelCatalogue, type BackendRef } from '../../shared/domain/catalogue';
import { defaultCatalogue } from '../../shared/routing/defaultCatalogue';
import { GPU_LIKE } from './simulatorProcess';

/** What one simulated server runs at once: its generation engine's sequences, its forward passes' slots and items. */
export interface SimulatedServer {
  maxNumSeqs: number;
  slots: number;
  maxItemsPerPass: number;
}

/**
 * The catalogues the suite runs with: the built-in catalogue (the one a deployment gets
 * with `gpuChatUrls` and `gpuEmbedUrls` set), pointed at the simulator, in every item. Only
 * what the simulator cannot stand in for is changed, and each change is stated where it is made.
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
 * Bedrock backends at its Bedrock face (in a deployment they reach Bedrock itself). Each
 * pool states the simulated `server`'s size as a deployment states its servers'
 * (`GPU_POOL_<KEY>_MAX_NUM_SEQS`): chat pools its `maxNumSeqs`, embeddings pools the items
 * its passes run at once (`slots × maxItemsPerPass`); the built-in rule (`sizeConcurrency`)
 * sizes every pool's concurrency from that. For {@link GPU_LIKE}, the default, both are
 * vLLM's default 256: the catalogue as shipped.
 */
export function simulatorCatalogue(
  simulatorUrl: string,
  options: { server?: SimulatedServer; bedrockOnly?: boolean } = {},
): ModelCatalogue {
  const server = options.server ?? GPU_LIKE;
  const sequences = (kind: 'chat' | 'embeddings') => (kind === 'chat' ? server.maxNumSeqs : server.slots * server.maxItemsPerPass);
  const shipped = defaultCatalogue(loadConfig(benchEnv(simulatorUrl)));
  const sized = Object.fromEntries(
    shipped.models
      .filter((model) => model.backends.some((ref) => ref.provider === 'openai-compatible'))
      .map((model) => [`GPU_POOL_${modelKey(model.id)}_MAX_NUM_SEQS`, String(sequences(model.kind))]),
  );
  const base = defaultCatalogue(loadConfig({ ...benchEnv(simulatorUrl), ...sized }));
  const models = base.models
    .map((model) => {
      let backends = model.backends.map((ref): BackendRef => (ref.provider === 'bedrock' ? { ...ref, endpoint: simulatorUrl } : ref));
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
