import { BatchingCore } from '../batching/BatchingCore';
import type { Config } from '../config/config';
import type { InferenceInput, InferenceOutput } from '../domain/inference';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { createBedrockClient } from '../providers/bedrock/createBedrockClient';
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
  // One Bedrock client per region and endpoint, shared by every Bedrock backend.
  const bedrockClients = new Map<string, BedrockRuntimeClient>();
  const router = new ModelRouter(loadCatalogue(config), {
    providerFor: (ref) => {
      if (ref.provider !== 'bedrock') return createProvider(ref);
      const key = `${ref.region ?? ''}|${ref.endpoint ?? ''}`;
      const client = bedrockClients.get(key) ?? createBedrockClient({ region: ref.region, endpoint: ref.endpoint });
      bedrockClients.set(key, client);
      return createProvider(ref, { bedrockClient: client });
    },
    failureThreshold: config.circuitFailureThreshold,
    cooldownMs: config.circuitCooldownMs,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { maxAttempts: 3, deadlineSafetyMs: 250 });
  return new InferenceService(router, core);
}
