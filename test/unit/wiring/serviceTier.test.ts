import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../../shared/config/config';
import { BackendRef } from '../../../shared/domain/catalogue';
import { createProvider } from '../../../shared/providers/createProvider';
import { chatItems } from '../../../shared/realtime/chatRequests';
import { createInferenceRuntime, type Workload } from '../../../shared/wiring/realtime';

const bedrock = mockClient(BedrockRuntimeClient);
const GPT_OSS = 'openai.gpt-oss-20b-1:0';

const converseAnswer = (tier?: 'flex' | 'default') => ({
  output: { message: { role: 'assistant' as const, content: [{ text: 'ok' }] } },
  stopReason: 'end_turn' as const,
  usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 },
  metrics: { latencyMs: 1 },
  ...(tier ? { serviceTier: { type: tier } } : {}),
  $metadata: {},
});

/** A catalogue of one chat model served only by Bedrock, offering the tiers given. */
function config(serviceTiers: string[], env: Record<string, string> = {}) {
  const catalogue = {
    models: [
      {
        id: 'gpt-oss-20b',
        kind: 'chat',
        contextTokens: 131_072,
        backends: [{ provider: 'bedrock', id: 'bedrock:gpt-oss', model: GPT_OSS, region: 'us-east-1', serviceTiers }],
      },
    ],
  };
  return loadConfig({ MODEL_CATALOGUE: JSON.stringify(catalogue), AWS_REGION: 'us-east-1', ...env });
}

/** Runs one chat request through a runtime wired for `workload`; the Converse input Bedrock received and the outcome. */
async function runOne(workload: Workload, cfg = config(['standard', 'flex', 'priority'])) {
  const { router, core } = createInferenceRuntime(cfg, workload);
  const items = chatItems({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'Hi' }] }, router.model('gpt-oss-20b', 'chat'));
  const [outcome] = await core.run(items);
  return { sent: bedrock.commandCalls(ConverseCommand)[0]!.args[0].input, outcome };
}

beforeEach(() => {
  bedrock.reset();
  bedrock.on(ConverseCommand).callsFake((input: { serviceTier?: { type: 'flex' | 'default' } }) => converseAnswer(input.serviceTier?.type));
});

describe('the Bedrock service tier of each workload (the one place it is chosen: createInferenceRuntime)', () => {
  it('asks for Flex on batch work (job lines, queue requests), and records the tier served', async () => {
    // Act
    const { sent, outcome } = await runOne('batch');

    // Assess
    expect(sent.serviceTier).toEqual({ type: 'flex' });
    expect(outcome).toMatchObject({ status: 'succeeded', value: { kind: 'chat', result: { serviceTier: 'flex' } } });
  });

  it('asks for no tier on real-time requests, so Bedrock serves them Standard', async () => {
    // Act
    const { sent, outcome } = await runOne('realtime');

    // Assess
    expect(sent).not.toHaveProperty('serviceTier');
    expect(outcome).toMatchObject({ status: 'succeeded', value: { result: { serviceTier: 'standard' } } });
  });

  it('calls a model that offers no Flex in Standard, even for batch work', async () => {
    // Act
    const { sent } = await runOne('batch', config(['standard']));

    // Assess
    expect(sent).not.toHaveProperty('serviceTier');
  });

  it('follows BEDROCK_BATCH_SERVICE_TIER and BEDROCK_REALTIME_SERVICE_TIER', async () => {
    // Act
    const batch = await runOne('batch', config(['standard', 'flex', 'priority'], { BEDROCK_BATCH_SERVICE_TIER: 'standard' }));
    bedrock.resetHistory();
    const realtime = await runOne('realtime', config(['standard', 'flex', 'priority'], { BEDROCK_REALTIME_SERVICE_TIER: 'priority' }));

    // Assess
    expect(batch.sent).not.toHaveProperty('serviceTier');
    expect(realtime.sent.serviceTier).toEqual({ type: 'priority' });
  });

  it('refuses a tier that is not one of standard, flex, priority at cold start', () => {
    expect(() => loadConfig({ BEDROCK_BATCH_SERVICE_TIER: 'cheap' })).toThrow(/BEDROCK_BATCH_SERVICE_TIER/);
  });
});

describe('createProvider', () => {
  it("sends InvokeModel's tier too (Titan offers Standard only, so the catalogue never asks it)", async () => {
    // Prepare
    bedrock.on(InvokeModelCommand).resolves({
      body: new TextEncoder().encode(JSON.stringify({ embedding: [0.1], inputTextTokenCount: 3 })) as never,
      contentType: 'application/json',
      $metadata: {},
    });
    const ref = (serviceTiers: string[]) =>
      BackendRef.parse({ provider: 'bedrock', id: 'b', model: 'amazon.titan-embed-text-v2:0', region: 'us-east-1', serviceTiers });

    // Act
    await createProvider(ref(['standard']), { serviceTier: 'flex' }).embed('amazon.titan-embed-text-v2:0', ['a']);
    await createProvider(ref(['standard', 'flex']), { serviceTier: 'flex' }).embed('amazon.titan-embed-text-v2:0', ['a']);

    // Assess
    const sent = bedrock.commandCalls(InvokeModelCommand).map((call) => call.args[0].input.serviceTier);
    expect(sent).toEqual([undefined, 'flex']);
  });
});
