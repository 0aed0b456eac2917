import { BatchingCore } from '../batching/BatchingCore';
import type { Config } from '../config/config';
import type { InferenceInput, InferenceOutput } from '../domain/inference';
import { createProvider } from '../providers/createProvider';
import { loadCatalogue } from '../routing/defaultCatalogue';
import { ModelRouter } from '../routing/ModelRouter';
import { InferenceService } from './InferenceService';

/**
 * Wires the real-time path from configuration: catalogue → router (providers, circuit
 * breakers) → batching core → service. Called once per Lambda container, so adaptive
 * limits and circuit states carry over between warm invocations.
 */
export function createInferenceService(config: Config): InferenceService {
  const router = new ModelRouter(loadCatalogue(config), {
    providerFor: (ref) => createProvider(ref),
    failureThreshold: config.circuitFailureThreshold,
    cooldownMs: config.circuitCooldownMs,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { maxAttempts: 3, deadlineSafetyMs: 250 });
  return new InferenceService(router, core);
}
