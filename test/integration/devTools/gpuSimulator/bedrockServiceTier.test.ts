import { BedrockRuntimeClient, ConverseCommand, type ServiceTierType } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';

const CHAT_MODEL = 'openai.gpt-oss-20b-1:0';

/** Conformance: the simulator's Bedrock face takes Converse's `serviceTier` as Bedrock does, driven by the real SDK client. */
describe('GPU simulator, Bedrock face: service tiers', () => {
  let sim: RunningSimulator;
  let client: BedrockRuntimeClient;

  const converse = (serviceTier?: { type: ServiceTierType }) =>
    client.send(new ConverseCommand({ modelId: CHAT_MODEL, messages: [{ role: 'user', content: [{ text: 'Hi' }] }], serviceTier }));

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 5, itemMs: 0 });
    client = new BedrockRuntimeClient({
      endpoint: sim.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: new NodeHttpHandler(),
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  it.each(['flex', 'priority', 'default'] as const)('serves a request in tier %s and names it in the answer', async (type) => {
    // Act
    const response = await converse({ type });

    // Assess
    expect(response.serviceTier).toEqual({ type });
    expect(response.usage?.inputTokens).toBeGreaterThan(0);
  });

  it('serves a request without a tier in Standard (`default`)', async () => {
    // Act
    const response = await converse();

    // Assess
    expect(response.serviceTier).toEqual({ type: 'default' });
  });

  it('refuses an unknown tier with a 400 ValidationException, as Bedrock does', async () => {
    // Act
    const error = await converse({ type: 'economy' as ServiceTierType }).then(
      () => undefined,
      (caught: Error & { $metadata: { httpStatusCode?: number } }) => caught,
    );

    // Assess
    expect(error?.name).toBe('ValidationException');
    expect(error?.$metadata.httpStatusCode).toBe(400);
    expect(error?.message).toMatch(/serviceTier/);
  });
});
