import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { bedrockTierFor, type BackendRef } from '../domain/catalogue';
import type { ServiceTier } from '../domain/pricing';
import { BedrockProvider } from './bedrock/BedrockProvider';
import { OpenAiCompatibleProvider } from './openai/OpenAiCompatibleProvider';
import type { InferenceProvider } from './types';

/** What the catalogue does not say: injected clients, mostly for tests and local runs. */
export interface CreateProviderOptions {
  /** Used for a Bedrock backend instead of building a client (share one per region). */
  bedrockClient?: BedrockRuntimeClient;
  /** Used by OpenAI-compatible backends instead of the global fetch. */
  fetch?: typeof fetch;
  /**
   * The Bedrock service tier this process's work asks for (batch work: Flex; real time:
   * Standard); a backend whose model does not offer it is called Standard.
   */
  serviceTier?: ServiceTier;
}

/**
 * Builds the provider a catalogue backend entry describes. Pure: every call builds a
 * new provider (and, for Bedrock, a new SDK client unless one is given), so the caller
 * keeps one per backend id at module scope to reuse connections across invocations.
 */
export function createProvider(ref: BackendRef, options: CreateProviderOptions = {}): InferenceProvider {
  switch (ref.provider) {
    case 'bedrock':
      return new BedrockProvider({
        backendId: ref.id,
        timeoutMs: ref.timeoutMs,
        serviceTier: bedrockTierFor(ref, options.serviceTier ?? 'standard'),
        ...(options.bedrockClient === undefined ? {} : { client: options.bedrockClient }),
        ...(ref.region === undefined ? {} : { region: ref.region }),
        ...(ref.endpoint === undefined ? {} : { endpoint: ref.endpoint }),
      });
    case 'openai-compatible':
      return new OpenAiCompatibleProvider({
        backendId: ref.id,
        baseUrls: ref.baseUrls,
        timeoutMs: ref.timeoutMs,
        modelListTtlMs: ref.modelListTtlMs,
        ...(ref.apiKey === undefined ? {} : { apiKey: ref.apiKey }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
  }
}
