import { startSimulator } from '../../../../shared/devTools/gpuSimulator/server';
import { SimulatorConfigError } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

/** Starting, configuring and stopping the simulator in-process, as the local platform does. */
describe('startSimulator', () => {
  it('applies options, reports its real port, and frees the port on close', async () => {
    // Prepare
    const sim = await startSimulator({ port: 0, slots: 2, openai: { errorRate: 0.5 } });

    // Act
    const config = sim.config;
    const health = await fetch(`${sim.url}/health`);
    await sim.close();
    const again = await startSimulator({ port: sim.port });
    await again.close();

    // Assess
    expect(config).toMatchObject({ slots: 2, passMs: 40, openai: { errorRate: 0.5 }, bedrock: { errorRate: 0 } });
    expect(health.status).toBe(200);
    expect(again.port).toBe(sim.port);
    expect(sim.maxItemsPerSecond()).toBeCloseTo((2 * 64 * 1000) / (40 + 64 * 1.5), 6);
  });

  it('rejects invalid options and a port already taken', async () => {
    // Prepare
    const first = await startSimulator({ port: 0 });

    // Act
    const invalid = startSimulator({ slots: 0 });
    const taken = startSimulator({ port: first.port });

    // Assess
    await expect(invalid).rejects.toBeInstanceOf(SimulatorConfigError);
    await expect(taken).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });

  it('closes promptly while a request waits on a long pass', async () => {
    // Prepare
    const sim = await startSimulator({ port: 0, passMs: 60_000 });
    const pending = fetch(`${sim.url}/v1/embeddings`, {
      method: 'POST',
      body: JSON.stringify({ model: 'bge-m3', input: 'x' }),
    }).then(
      (response) => response.status,
      () => 'connection closed',
    );
    // Wait (by state, not by a fixed sleep) until the request sits on the GPU.
    while (sim.stats().queue.inFlightRequests === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    // Act
    const queued = sim.stats().queue;
    await sim.close();

    // Assess
    expect(queued.busySlots + queued.items).toBe(1);
    expect(await pending).toBe('connection closed');
  });

  it('delays slowRate requests and adds addedLatencyMs, counting them as slowed', async () => {
    // Prepare
    const sim = await startSimulator({ port: 0, passMs: 1, itemMs: 0, addedLatencyMs: 5, openai: { slowRate: 1, slowMs: 10 } });

    // Act
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'slow' }] }),
    });
    const stats = sim.stats();
    await sim.close();

    // Assess
    expect(response.status).toBe(200);
    expect(stats.faces.openai).toMatchObject({ slowed: 1, statuses: { '200': 1 } });
  });
});
