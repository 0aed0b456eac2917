import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import { LimitMemory } from '../../../shared/batchingCore/LimitMemory';
import { buildCore } from '../../helpers/buildCore';
import { FakeBackend, makeItems } from '../../helpers/fakeBackends';

/** A chat-like pool: one item a call, room for 64, expected to take 16 at once. */
const pool = (clock: ConstructorParameters<typeof FakeBackend>[1]) =>
  new FakeBackend('pool', clock, { maxBatchItems: 1, maxConcurrency: 64, expectedConcurrency: 16 });

describe('BatchingCore: where each backend’s limit starts, and what carries over', () => {
  it("starts a backend's limit at its expected concurrency, not at the core's default", async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [pool(c)] }));

    // Act
    const running = core.run(makeItems(40));
    await clock.runAll();
    await running;

    // Assess: the first 16 calls all started at once
    expect(routes['chat:m']![0]!.calls.filter((call) => call.startedAt === 0)).toHaveLength(16);
  });

  it('resumes at the limit the last core of the process learned, through a shared LimitMemory', async () => {
    // Prepare: a first core (the first invocation of a container) probes the pool up
    const memory = new LimitMemory();
    const first = buildCore((c) => ({ 'chat:m': [pool(c)] }), { limitMemory: memory });
    const firstRun = first.core.run(makeItems(40));
    await first.clock.runAll();
    await firstRun;
    const learned = first.core.stats().limits.pool!;

    // Act: a second core in the same process, and one with a memory of its own
    const second = buildCore((c) => ({ 'chat:m': [pool(c)] }), { limitMemory: memory });
    const cold = buildCore((c) => ({ 'chat:m': [pool(c)] }));
    const runs = [second, cold].map(({ core }) => core.run(makeItems(200)));
    await Promise.all([second.clock.runAll(), cold.clock.runAll()]);
    await Promise.all(runs);

    // Assess: slow start took the first from 16 to 56; the second starts all of those at once
    expect(learned).toBe(56);
    expect(memory.limits()).toEqual({ pool: 64 });
    expect(second.routes['chat:m']![0]!.calls.filter((call) => call.startedAt === 0)).toHaveLength(56);
    expect(cold.routes['chat:m']![0]!.calls.filter((call) => call.startedAt === 0)).toHaveLength(16);
  });
});

describe('BatchingCore: no abort machinery a call does not need', () => {
  it('gives a call no signal when nothing could stop it, and one when a deadline or a caller could', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [pool(c)] }));
    const caller = new AbortController();

    // Act
    const running = [
      core.run(makeItems(1, { prefix: 'free' })),
      core.run(makeItems(1, { prefix: 'due' }), { deadline: 60_000 }),
      core.run(makeItems(1, { prefix: 'owned' }), { signal: caller.signal }),
    ];
    await clock.runAll();
    await Promise.all(running);

    // Assess
    const signalled = Object.fromEntries(routes['chat:m']![0]!.calls.map((call) => [call.inputs[0], call.signalled]));
    expect(signalled).toEqual({ free0: false, due0: true, owned0: true });
  });

  it('sends an item that fills a batch on its own at once, with no max-wait timer', async () => {
    // Prepare: a first call tells the queue the route's limits (one item a call)
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [pool(c)] }), { maxWaitMs: 50 });
    const first = core.submit(makeItems(1, { prefix: 'first' })[0]!);
    await clock.runAll();
    await first;
    const sleepsBefore = clock.sleeps.length;

    // Act
    const outcomes = makeItems(3).map((item) => core.submit(item));
    await clock.settle();
    const startedAt = routes['chat:m']![0]!.calls.slice(1).map((call) => call.startedAt);
    await clock.runAll();
    await Promise.all(outcomes);

    // Assess: each started without waiting, and the only timers were the calls' own 100 ms
    expect(startedAt).toEqual([clock.sleeps[sleepsBefore]!.at, clock.sleeps[sleepsBefore]!.at, clock.sleeps[sleepsBefore]!.at]);
    expect(clock.sleeps.slice(sleepsBefore).map((sleep) => sleep.ms)).toEqual([100, 100, 100]);
  });
});

describe('BatchingCore on the system clock: its timers without promises', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('cuts a call that hangs at the deadline, and leaves no timer behind once calls end', async () => {
    // Prepare: one backend that answers only when its call is aborted
    const hanging = {
      id: 'hang',
      maxBatchItems: 1,
      maxBatchTokens: 1_000,
      maxConcurrency: 4,
      expectedLatencyMs: 100,
      invoke: (_inputs: string[], { signal }: { signal?: AbortSignal }) =>
        new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    };
    const core = new BatchingCore<string, string>({ resolve: () => hanging, record: () => undefined }, { deadlineSafetyMs: 0 });

    // Act
    const running = core.run(makeItems(2), { deadline: Date.now() + 1_000 });
    await jest.advanceTimersByTimeAsync(999);
    const pendingBefore = jest.getTimerCount();
    await jest.advanceTimersByTimeAsync(1);
    const outcomes = await running;

    // Assess: one deadline timer per call, and none left
    expect(pendingBefore).toBe(2);
    expect(outcomes.map((outcome) => outcome.status === 'failed' && outcome.error.code)).toEqual([
      'deadline_exceeded',
      'deadline_exceeded',
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
