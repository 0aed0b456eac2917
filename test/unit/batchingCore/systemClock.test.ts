import { systemClock } from '../../../shared/batchingCore/systemClock';

describe('systemClock', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('tells wall-clock time, so a Lambda deadline compares directly', () => {
    // Act
    const now = systemClock.now();

    // Assess
    expect(now).toBe(1_700_000_000_000);
  });

  it('resolves a sleep once its time has passed, not before', async () => {
    // Prepare
    let done = false;
    const sleeping = systemClock.sleep(500).then(() => (done = true));

    // Act
    await jest.advanceTimersByTimeAsync(499);
    const early = done;
    await jest.advanceTimersByTimeAsync(1);
    await sleeping;

    // Assess
    expect(early).toBe(false);
    expect(done).toBe(true);
  });

  it('rejects with the signal’s reason and clears its timer when aborted', async () => {
    // Prepare
    const controller = new AbortController();
    const sleeping = systemClock.sleep(10_000, controller.signal);

    // Act
    controller.abort(new Error('stop'));

    // Assess
    await expect(sleeping).rejects.toThrow('stop');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort(new Error('already'));

    // Act
    const sleeping = systemClock.sleep(10, controller.signal);

    // Assess
    await expect(sleeping).rejects.toThrow('already');
  });

  it('fires a timer once its time has passed, and never once stopped', async () => {
    // Prepare
    const fired: string[] = [];
    systemClock.setTimer!(500, () => fired.push('kept'));
    const stop = systemClock.setTimer!(500, () => fired.push('stopped'));

    // Act
    await jest.advanceTimersByTimeAsync(499);
    const early = [...fired];
    stop();
    await jest.advanceTimersByTimeAsync(1);

    // Assess
    expect(early).toEqual([]);
    expect(fired).toEqual(['kept']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
