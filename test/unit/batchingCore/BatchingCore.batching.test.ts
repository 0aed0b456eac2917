import { BackendRejectedError } from '../../../shared/errors/backendErrors';
import { buildCore } from '../../helpers/buildCore';
import { FakeBackend, makeItems, ok } from '../../helpers/fakeBackends';

describe('BatchingCore: batching', () => {
  it('returns exactly one outcome per item, in input order, ids matching, across routes', async () => {
    // Prepare
    const { clock, core } = buildCore((c) => ({
      'chat:a': [new FakeBackend('A', c, { maxBatchItems: 2 })],
      'chat:b': [
        new FakeBackend('B', c, {
          behaviour: (inputs) =>
            inputs.map((input) => (input === 'b1' ? { ok: false, error: new BackendRejectedError('bad') } : ok(input))),
        }),
      ],
    }));
    const items = [...makeItems(3, { route: 'chat:a', prefix: 'a' }), ...makeItems(3, { route: 'chat:b', prefix: 'b' })];
    const shuffled = [items[3]!, items[0]!, items[4]!, items[1]!, items[5]!, items[2]!];

    // Act
    const running = core.run(shuffled);
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(outcomes.map((o) => o.id)).toEqual(['b0', 'a0', 'b1', 'a1', 'b2', 'a2']);
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'failed', 'succeeded', 'succeeded', 'succeeded']);
    expect(outcomes[1]).toMatchObject({ status: 'succeeded', value: 'out:a0', backendId: 'A', attempts: 1 });
  });

  it('packs each route into calls under the backend’s item limit', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchItems: 4 })] }));

    // Act
    const running = core.run(makeItems(10));
    await clock.runAll();
    await running;

    // Assess
    expect(routes['chat:m']![0]!.calls.map((call) => call.inputs)).toEqual([
      ['i0', 'i1', 'i2', 'i3'],
      ['i4', 'i5', 'i6', 'i7'],
      ['i8', 'i9'],
    ]);
  });

  it('packs under the backend’s token limit, an oversized item alone', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchTokens: 100 })] }));
    const items = [
      { id: 'a', route: 'chat:m', input: 'a', estimatedTokens: 60 },
      { id: 'b', route: 'chat:m', input: 'b', estimatedTokens: 30 },
      { id: 'huge', route: 'chat:m', input: 'huge', estimatedTokens: 400 },
      { id: 'c', route: 'chat:m', input: 'c', estimatedTokens: 50 },
      { id: 'd', route: 'chat:m', input: 'd', estimatedTokens: 50 },
    ];

    // Act
    const running = core.run(items);
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls.map((call) => call.inputs)).toEqual([['a', 'b'], ['huge'], ['c', 'd']]);
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
  });

  it('holds a submitted item until maxWaitMs, then sends what has gathered', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }), { maxWaitMs: 10 });
    const backend = routes['chat:m']![0]!;
    const [first, second] = makeItems(2);

    // Act
    const outcomes = [core.submit(first!)];
    await clock.advance(5);
    outcomes.push(core.submit(second!));
    await clock.advance(4);
    const callsBeforeMaxWait = backend.calls.length;
    await clock.advance(1);
    const callsAtMaxWait = backend.calls.map((call) => ({ inputs: call.inputs, at: call.startedAt }));
    await clock.runAll();

    // Assess
    expect(callsBeforeMaxWait).toBe(0);
    expect(callsAtMaxWait).toEqual([{ inputs: ['i0', 'i1'], at: 10 }]);
    expect((await Promise.all(outcomes)).map((o) => o.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('sends a submitted batch as soon as it reaches the item limit learnt from the backend', async () => {
    // Prepare: a first batch teaches the core the backend's limit of 2 items
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchItems: 2 })] }), { maxWaitMs: 10 });
    const backend = routes['chat:m']![0]!;
    void core.submit(makeItems(1, { prefix: 'warm' })[0]!);
    await clock.runAll();
    const items = makeItems(3);

    // Act
    const outcomes = items.map((item) => core.submit(item));
    await clock.settle();
    const startedAtOnce = backend.calls.slice(1).map((call) => call.inputs);
    await clock.runAll();

    // Assess
    expect(startedAtOnce).toEqual([['i0', 'i1']]);
    expect(backend.calls.slice(1).map((call) => call.inputs)).toEqual([['i0', 'i1'], ['i2']]);
    expect((await Promise.all(outcomes)).every((o) => o.status === 'succeeded')).toBe(true);
  });

  it('sends a submitted batch when the next item would pass the token limit', async () => {
    // Prepare: a first batch teaches the core the backend's limit of 100 tokens
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchTokens: 100 })] }), { maxWaitMs: 10 });
    const backend = routes['chat:m']![0]!;
    void core.submit(makeItems(1, { prefix: 'warm' })[0]!);
    await clock.runAll();
    const items = [60, 30, 50].map((tokens, i) => ({ id: `t${i}`, route: 'chat:m', input: `t${i}`, estimatedTokens: tokens }));

    // Act
    const outcomes = items.map((item) => core.submit(item));
    await clock.settle();
    const startedAtOnce = backend.calls.slice(1).map((call) => call.inputs);
    await clock.runAll();

    // Assess
    expect(startedAtOnce).toEqual([['t0', 't1']]);
    expect(backend.calls.slice(1).map((call) => call.inputs)).toEqual([['t0', 't1'], ['t2']]);
    expect((await Promise.all(outcomes)).every((o) => o.status === 'succeeded')).toBe(true);
  });

  it('flush sends waiting batches without waiting for maxWaitMs', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }), { maxWaitMs: 1_000 });
    const outcome = core.submit(makeItems(1)[0]!);

    // Act
    core.flush();
    await clock.settle();

    // Assess
    expect(routes['chat:m']![0]!.calls).toHaveLength(1);
    expect(clock.now()).toBe(0);
    await clock.runAll();
    await expect(outcome).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('throws on duplicate ids in one run, before sending anything', () => {
    // Prepare
    const { core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }));
    const [item] = makeItems(1);

    // Act
    const act = () => core.run([item!, { ...item! }]);

    // Assess
    expect(act).toThrow(/Duplicate item id 'i0'/);
    expect(routes['chat:m']![0]!.calls).toHaveLength(0);
  });

  it('resolves an empty run with no outcomes', async () => {
    // Prepare
    const { core } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }));

    // Act
    const outcomes = await core.run([]);

    // Assess
    expect(outcomes).toEqual([]);
  });
});
