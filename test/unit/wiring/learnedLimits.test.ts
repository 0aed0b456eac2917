import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { LimitMemory } from '../../../shared/batchingCore/LimitMemory';
import { loadConfig } from '../../../shared/config/config';
import { chatItems } from '../../../shared/realtime/chatRequests';
import { createInferenceRuntime, type InferenceRuntime } from '../../../shared/wiring/realtime';

const bedrock = mockClient(BedrockRuntimeClient);

/** One chat model on one Bedrock backend of 32 at most: its limit starts at 16. */
const config = loadConfig({
  AWS_REGION: 'us-east-1',
  MODEL_CATALOGUE: JSON.stringify({
    models: [
      {
        id: 'gpt-oss-20b',
        kind: 'chat',
        contextTokens: 131_072,
        backends: [{ provider: 'bedrock', id: 'bedrock:learned', model: 'openai.gpt-oss-20b-1:0', maxConcurrency: 32 }],
      },
    ],
  }),
});

/** Runs `count` chat requests through a runtime; its limit for the backend afterwards. */
async function serve({ router, core }: InferenceRuntime, count: number): Promise<number | undefined> {
  const model = router.model('gpt-oss-20b', 'chat');
  const items = Array.from(
    { length: count },
    (_, i) => chatItems({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: `Hi ${i}` }] }, model, { idPrefix: `${i}#` })[0]!,
  );
  const outcomes = await core.run(items);
  expect(outcomes.every((outcome) => outcome.status === 'succeeded')).toBe(true);
  return core.stats().limits['bedrock:learned'];
}

beforeEach(() => {
  bedrock.reset();
  bedrock.on(ConverseCommand).resolves({
    output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 },
    metrics: { latencyMs: 1 },
    $metadata: {},
  });
});

describe('learned limits survive from one invocation to the next in a warm container', () => {
  it('starts a runtime built later in the process at the limit the earlier one learned', async () => {
    // Prepare: the first invocation's runtime probes from 16 with ten successes
    const first = await serve(createInferenceRuntime(config, 'batch'), 10);

    // Act: a later invocation builds its runtime again (same container); a fresh memory is a cold container
    const second = await serve(createInferenceRuntime(config, 'batch'), 1);
    const cold = await serve(createInferenceRuntime(config, 'batch', { limitMemory: new LimitMemory() }), 1);

    // Assess
    expect(first).toBe(26);
    expect(second).toBe(27);
    expect(cold).toBe(17);
  });
});
