import OpenAI from 'openai';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { type SimulatorCounters, simulatorStats } from '../helpers/clients/simulator';

/**
 * Deadlines on the real-time path, end to end: the GPU face of the simulator accepts
 * every request and answers ten minutes later (a hung vLLM server). The functions'
 * timeouts are cut to seconds (LOCAL_FUNCTION_TIMEOUTS) so the deadline is reached fast.
 * "Before the function ends" shows in the answer itself: a function cut off by its timeout
 * gets the gateway's own 504 (`{"message": "Endpoint request timed out"}`), never an
 * answer or an error in the OpenAI shape. No test here times anything.
 */
describe('a hung GPU backend through the local platform', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({ LOCAL_FUNCTION_TIMEOUTS: 'chatCompletions:14,embeddings:4' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    const response = await fetch(`${platform.simulator}/_sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openai: { slowRate: 1, slowMs: 600_000 } }),
    });
    expect(response.status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  // The pool also lists the server's models (GET /v1/models); only generations count here.
  const chatCalls = (stats: SimulatorCounters) => stats.faces.openai.byRoute['chat.completions']?.requests ?? 0;

  it('gpt-oss: the GPU pool gets a share of the time left, then Bedrock answers before the function ends', async () => {
    // Prepare
    const before = await simulatorStats(platform);

    // Act
    const completion = await client.chat.completions.create({
      model: 'gpt-oss-20b',
      messages: [{ role: 'user', content: 'hung?' }],
      max_tokens: 16,
    });

    // Assess: answered by the Bedrock face, after the GPU face was tried, by the function (not cut off)
    const after = await simulatorStats(platform);
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(chatCalls(after) - chatCalls(before)).toBe(1);
    expect(after.faces.bedrock.requests - before.faces.bedrock.requests).toBe(1);
  }, 20_000);

  it('gpt-oss streamed: the stream opens on Bedrock once the GPU pool has had its share', async () => {
    // Act
    const stream = await client.chat.completions.create({
      model: 'gpt-oss-20b',
      stream: true,
      messages: [{ role: 'user', content: 'hung stream?' }],
      max_tokens: 16,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text.length).toBeGreaterThan(0);
  }, 20_000);

  it('bge-m3 (GPU only): 504 deadline_exceeded in the OpenAI shape before the function ends, never a 500', async () => {
    // Act
    const response = await fetch(`${platform.api}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bge-m3', input: ['a', 'b'] }),
    });

    // Assess
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({
      error: { message: expect.any(String), type: 'server_error', param: null, code: 'deadline_exceeded' },
    });
  }, 20_000);
});
