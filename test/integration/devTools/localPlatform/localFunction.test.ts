import { FunctionTimeoutError, InjectedCrashError } from '../../../../shared/devTools/localPlatform/errors';
import { invokeLocalFunction, type LambdaHandler, type LocalFunction } from '../../../../shared/devTools/localPlatform/localFunction';

const withHandler = (handler: LambdaHandler, timeoutSeconds = 1): LocalFunction => ({
  functionName: 'svc-test-fn',
  timeoutSeconds,
  memorySize: 128,
  loadHandler: async () => handler,
});

describe('invokeLocalFunction', () => {
  it('resolves an async handler with its result, as JSON on the wire', async () => {
    // Act
    const result = await invokeLocalFunction(
      withHandler(async () => ({ a: 1, gone: undefined, at: new Date(0) })),
      {},
    );

    // Assess
    expect(result).toEqual({ a: 1, at: '1970-01-01T00:00:00.000Z' });
  });

  it('supports callback-style handlers', async () => {
    // Act
    const result = await invokeLocalFunction(
      withHandler((_event, _context, callback) => setImmediate(() => callback(null, 'done'))),
      {},
    );

    // Assess
    expect(result).toBe('done');
  });

  it('answers null for a non-async handler without a callback, as the runtime does', async () => {
    // Act
    const result = await invokeLocalFunction(
      withHandler(() => ({ ignored: true })),
      {},
    );

    // Assess
    expect(result).toBeNull();
  });

  it('hands the handler a copy of the event', async () => {
    // Prepare
    const event = { nested: { value: 1 } };

    // Act
    await invokeLocalFunction(
      withHandler(async (received: any) => (received.nested.value = 2)),
      event,
    );

    // Assess
    expect(event.nested.value).toBe(1);
  });

  it('rejects with FunctionTimeoutError past the timeout', async () => {
    // Act
    const act = invokeLocalFunction(
      withHandler(() => new Promise((resolve) => setTimeout(resolve, 1_000).unref()), 0.05),
      {},
    );

    // Assess
    await expect(act).rejects.toBeInstanceOf(FunctionTimeoutError);
    await expect(act).rejects.toThrow('svc-test-fn timed out after 0.05 seconds');
  });

  it('crashes an invocation still running at crashAfterMs, as a timeout: no response, the handler runs on', async () => {
    // Prepare
    let finished = false;
    const slow = withHandler(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      finished = true;
      return 'lost';
    });

    // Act
    const act = invokeLocalFunction(slow, {}, { crashAfterMs: 50 });

    // Assess
    await expect(act).rejects.toBeInstanceOf(InjectedCrashError);
    expect(finished).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(finished).toBe(true);
  });

  it('leaves an invocation done before crashAfterMs untouched', async () => {
    // Act
    const result = await invokeLocalFunction(
      withHandler(async () => 'done'),
      {},
      { crashAfterMs: 200 },
    );

    // Assess
    expect(result).toBe('done');
  });

  it('rejects with what the handler threw', async () => {
    // Act
    const act = invokeLocalFunction(
      withHandler(async () => {
        throw new Error('boom');
      }),
      {},
    );

    // Assess
    await expect(act).rejects.toThrow('boom');
  });
});
