import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BackendRef } from '../../../shared/domain/catalogue';
import { BedrockProvider } from '../../../shared/providers/bedrock/BedrockProvider';
import { OpenAiCompatibleProvider } from '../../../shared/providers/openai/OpenAiCompatibleProvider';
import { createBedrockClient } from '../../../shared/providers/bedrock/createBedrockClient';
import { createProvider } from '../../../shared/providers/createProvider';

describe('createProvider', () => {
  it('builds a Bedrock provider from a bedrock entry', () => {
    // Prepare
    const ref = BackendRef.parse({ provider: 'bedrock', id: 'bedrock-gpt-oss', model: 'openai.gpt-oss-120b-1:0', region: 'us-west-2' });

    // Act
    const provider = createProvider(ref, { bedrockClient: new BedrockRuntimeClient({ region: 'us-west-2' }) });

    // Assess
    expect(provider).toBeInstanceOf(BedrockProvider);
    expect(provider.kind).toBe('bedrock');
    expect(provider.maxEmbeddingInputs).toBe(1);
  });

  it('builds an OpenAI-compatible provider from a pool entry', () => {
    // Prepare
    const ref = BackendRef.parse({
      provider: 'openai-compatible',
      id: 'gpu-pool',
      model: 'openai/gpt-oss-20b',
      baseUrls: ['http://127.0.0.1:8000/v1'],
    });

    // Act
    const provider = createProvider(ref);

    // Assess
    expect(provider).toBeInstanceOf(OpenAiCompatibleProvider);
    expect(provider.kind).toBe('openai-compatible');
  });

  it("builds a new provider on every call (caching is the caller's)", () => {
    // Prepare
    const ref = BackendRef.parse({ provider: 'openai-compatible', id: 'gpu-pool', model: 'm', baseUrls: ['http://127.0.0.1:8000'] });

    // Act
    const [a, b] = [createProvider(ref), createProvider(ref)];

    // Assess
    expect(a).not.toBe(b);
  });
});

describe('createBedrockClient', () => {
  it('uses the HTTP/1.1 handler, one attempt, and the given region and endpoint', async () => {
    // Act
    const client = createBedrockClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4010' });

    // Assess
    expect(client.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    expect(await client.config.maxAttempts()).toBe(1);
    expect(await client.config.region()).toBe('eu-west-1');
    const endpoint = await client.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    client.destroy();
  });
});
