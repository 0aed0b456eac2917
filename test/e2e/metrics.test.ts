import OpenAI from 'openai';
import { emfLines, emfSum } from '../helpers/emf';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { configureSimulator } from '../helpers/clients/simulator';

/**
 * Metrics end to end: the local platform prints Powertools' EMF lines on stdout, as a
 * Lambda does for CloudWatch, and they count exactly what happened.
 */
describe('EMF metrics of real-time requests through the local platform', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({
      POWERTOOLS_METRICS_DISABLED: 'false',
      CIRCUIT_COOLDOWN_MS: '60000',
      CIRCUIT_FAILURE_THRESHOLD: '2',
    });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const ask = () =>
    client.chat.completions.create({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'metrics?' }], max_tokens: 16 });

  it('counts every request, and one fallback per request served by Bedrock while the GPU face fails', async () => {
    try {
      // Prepare: two requests served by the GPU face.
      await ask();
      await ask();
      await configureSimulator(platform, { openai: { errorRate: 1 } });

      // Act: three more while the GPU face fails (the first two open its circuit; the third skips it).
      for (let i = 0; i < 3; i += 1) await ask();
      await new Promise((resolve) => setTimeout(resolve, 200));

      // Assess
      const lines = emfLines(platform.output());
      const model = { model: 'gpt-oss-20b' };
      expect(emfSum(lines, 'Requests', model)).toBe(5);
      expect(emfSum(lines, 'Fallbacks', model)).toBe(3);
      expect(emfSum(lines, 'RequestErrors', model)).toBe(0);
      expect(emfSum(lines, 'CircuitOpens')).toBe(1);
      const requestLines = lines.filter((line) => line.Requests !== undefined);
      expect(
        requestLines.every((line) => line.tenant === 'local' && line._aws.CloudWatchMetrics[0]!.Namespace === 'InferencePlatform/local'),
      ).toBe(true);
      expect(
        requestLines.every(
          (line) =>
            JSON.stringify(line._aws.CloudWatchMetrics[0]!.Dimensions) === JSON.stringify([['service', 'model', 'backend'], ['service']]),
        ),
      ).toBe(true);
    } finally {
      await configureSimulator(platform, { openai: { errorRate: 0 } });
    }
  });

  it('counts the tokens of a streamed answer once its stream ends', async () => {
    // Prepare
    const before = emfLines(platform.output()).length;
    // Act
    const stream = await client.chat.completions.create({
      model: 'gpt-oss-20b',
      messages: [{ role: 'user', content: 'stream?' }],
      max_tokens: 8,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Assess
    const streamed = emfLines(platform.output())
      .slice(before)
      .filter((line) => line.kind === 'chatStream');
    expect(text.length).toBeGreaterThan(0);
    expect(emfSum(streamed, 'Requests')).toBe(1);
    expect(emfSum(streamed, 'OutputTokens')).toBeGreaterThan(0);
  });
});
