import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';

/** The `hangRate` fault: a hung GPU server accepts a request and never answers it. */
describe('GPU simulator, hangRate', () => {
  let sim: RunningSimulator;

  const stats = async () =>
    (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { faces: Record<string, { hung: number; cancelled: number }> };
  const configure = (patch: unknown) =>
    fetch(`${sim.url}/_sim/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  const embed = (signal?: AbortSignal) =>
    fetch(`${sim.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bge-m3', input: 'x' }),
      ...(signal ? { signal } : {}),
    });

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 5, itemMs: 0, slots: 2 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('holds a request unanswered until its client gives up, counts it, and serves again once the rate is back to 0', async () => {
    // Prepare
    expect((await configure({ openai: { hangRate: 1 } })).status).toBe(200);
    const giveUp = new AbortController();

    // Act: no status line arrives; the client aborts; the knob goes back to 0.
    const hung = embed(giveUp.signal).then(
      (response) => `answered ${response.status}`,
      (error: Error) => error.name,
    );
    const settledEarly = await Promise.race([hung, sleep(500).then(() => 'still waiting')]);
    giveUp.abort();
    const ending = await hung;
    await configure({ openai: { hangRate: 0 } });
    const served = await embed();

    // Assess
    expect(settledEarly).toBe('still waiting');
    expect(ending).toBe('AbortError');
    expect(served.status).toBe(200);
    expect((await stats()).faces.openai!.hung).toBe(1);
  });

  it('the other face still answers, and closing the simulator lets go of a hung request', async () => {
    // Prepare
    const local = await startSimulator({ port: 0, passMs: 5, itemMs: 0, slots: 2, openai: { hangRate: 1 } });
    const hung = fetch(`${local.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bge-m3', input: 'x' }),
    }).then(
      (response) => `answered ${response.status}`,
      () => 'connection closed',
    );
    const bedrock = await fetch(`${local.url}/model/${encodeURIComponent('amazon.titan-embed-text-v2:0')}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputText: 'x' }),
    });

    // Act
    await local.close();

    // Assess
    expect(bedrock.status).toBe(200);
    expect(await hung).toBe('connection closed');
  });
});
