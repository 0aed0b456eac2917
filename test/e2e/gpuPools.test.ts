import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../../shared/devTools/gpuSimulator/server';
import type { SimulatorStatsSnapshot } from '../../shared/devTools/gpuSimulator/SimulatorStats';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';

/**
 * A pool per model, end to end: two GPU pools, each played by a simulator that serves
 * one model only (strict, as vLLM started with one `--served-model-name`), and the
 * platform's own simulator as Bedrock. The gpt-oss-120b pool also lists the gpt-oss-20b
 * server, which must never get a 120b request since it does not list that model.
 */
describe('one GPU pool per model through the local platform', () => {
  let small: RunningSimulator;
  let large: RunningSimulator;
  let platform: LocalPlatformProcess;
  let client: OpenAI;

  beforeAll(async () => {
    small = await startSimulator({ port: 0, models: ['gpt-oss-20b'], strictModels: true });
    large = await startSimulator({ port: 0, models: ['gpt-oss-120b'], strictModels: true });
    platform = await startLocalPlatformProcess({
      GPU_POOL_GPT_OSS_20B_URLS: small.url,
      GPU_POOL_GPT_OSS_120B_URLS: `${small.url},${large.url}`,
    });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    await Promise.all([small?.close(), large?.close()]);
  });

  const stats = async (url: string) => (await (await fetch(`${url}/_sim/stats`)).json()) as SimulatorStatsSnapshot;
  const chats = (snapshot: SimulatorStatsSnapshot) => snapshot.faces.openai.byRoute['chat.completions']?.requests ?? 0;
  const bedrockCalls = (snapshot: SimulatorStatsSnapshot) => snapshot.faces.bedrock.requests;

  const ask = (model: string) =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: `Hello ${model}` }], max_tokens: 256 });

  it("sends each model's requests only to its own pool's servers that serve it, never to Bedrock while they do", async () => {
    // Prepare
    const before = { small: await stats(small.url), large: await stats(large.url), bedrock: await stats(platform.simulator) };

    // Act
    for (let i = 0; i < 3; i++) {
      const [a, b] = await Promise.all([ask('gpt-oss-20b'), ask('gpt-oss-120b')]);
      expect(a.choices[0]!.message.content).toBeTruthy();
      expect(b.choices[0]!.message.content).toBeTruthy();
    }
    const stream = await client.chat.completions.create({
      model: 'gpt-oss-120b',
      stream: true,
      messages: [{ role: 'user', content: 'Stream, please.' }],
      max_tokens: 256,
    });
    for await (const _chunk of stream) {
      // drain
    }

    // Assess
    const after = { small: await stats(small.url), large: await stats(large.url), bedrock: await stats(platform.simulator) };
    expect(chats(after.small) - chats(before.small)).toBe(3);
    expect(chats(after.large) - chats(before.large)).toBe(4);
    expect(after.small.faces.openai.statuses['404'] ?? 0).toBe(0);
    expect(after.large.faces.openai.statuses['404'] ?? 0).toBe(0);
    expect(bedrockCalls(after.bedrock) - bedrockCalls(before.bedrock)).toBe(0);
    expect(chats(after.bedrock) - chats(before.bedrock)).toBe(0);
  }, 60_000);

  it('falls back to Bedrock, and never answers 400, when a pool stops serving its model', async () => {
    // Prepare: the gpt-oss-20b server now serves another model only (vLLM answers 404 NotFoundError)
    const configured = await fetch(`${small.url}/_sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['some-other-model'] }),
    });
    expect(configured.status).toBe(200);
    const before = await stats(platform.simulator);

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${platform.api}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: `still there? ${i}` }], max_tokens: 256 }),
      });
      statuses.push(response.status);
      const body = (await response.json()) as { choices?: Array<{ message: { content: string } }> };
      expect(body).toMatchObject({ choices: [{ message: { role: 'assistant' } }] });
    }
    const stream = await client.chat.completions.create({
      model: 'gpt-oss-20b',
      stream: true,
      messages: [{ role: 'user', content: 'Stream from the fallback.' }],
      max_tokens: 256,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess: every answer 200, from the Bedrock face; the gpt-oss-120b pool is untouched
    const after = await stats(platform.simulator);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(text.length).toBeGreaterThan(0);
    expect(bedrockCalls(after) - bedrockCalls(before)).toBe(5);
    const large120 = await ask('gpt-oss-120b');
    expect(large120.choices[0]!.message.content).toBeTruthy();
  }, 60_000);
});
