import { LocalPlatformError } from '../../../../shared/devTools/localPlatform/errors';
import { LocalFaults, localFaultsFromEnv } from '../../../../shared/devTools/localPlatform/faultInjection';

describe('LocalFaults', () => {
  it('draws the same faults for the same seed, and other ones for another', () => {
    // Prepare
    const draws = (seed: number) => {
      const faults = new LocalFaults({ seed, duplicateRate: 0.3, crashRates: { worker: 0.3 } });
      return Array.from({ length: 50 }, () => `${faults.duplicate('work', 1) ?? '-'}/${faults.crash('worker', 1_000)?.afterMs ?? '-'}`);
    };

    // Act + Assess
    expect(draws(1)).toEqual(draws(1));
    expect(draws(2)).not.toEqual(draws(1));
  });

  it('delivers a message a second time only on its first receive, about at the rate asked', () => {
    // Prepare
    const faults = new LocalFaults({ seed: 7, duplicateRate: 0.05, crashRates: {} });

    // Act
    const chosen = Array.from({ length: 10_000 }, () => faults.duplicate('requests', 1)).filter(Boolean);

    // Assess
    expect(chosen.length).toBeGreaterThan(400);
    expect(chosen.length).toBeLessThan(600);
    expect(new Set(chosen)).toEqual(new Set(['concurrent', 'later']));
    expect(faults.duplicate('requests', 2)).toBeUndefined();
  });

  it('crashes only the functions named, once their working time is known, within its first half', () => {
    // Prepare
    const faults = new LocalFaults({ seed: 3, duplicateRate: 0, crashRates: { worker: 1 } });

    // Act
    const plans = Array.from({ length: 20 }, () => faults.crash('worker', 2_000));

    // Assess
    expect(faults.crash('requests', 2_000)).toBeUndefined();
    expect(faults.crash('worker', undefined)).toBeUndefined();
    for (const plan of plans) {
      expect(plan!.afterMs).toBeGreaterThanOrEqual(100);
      expect(plan!.afterMs).toBeLessThanOrEqual(1_000);
    }
  });

  it('crashes at least once every 2 / rate invocations, however the draws fall', () => {
    // Prepare
    const faults = new LocalFaults({ seed: 11, duplicateRate: 0, crashRates: { requests: 0.1 } });
    let longestGap = 0;
    let gap = 0;

    // Act
    for (let i = 0; i < 500; i++) {
      gap += 1;
      if (faults.crash('requests', 1_000)) {
        faults.crashed('requests');
        longestGap = Math.max(longestGap, gap);
        gap = 0;
      }
    }

    // Assess
    expect(longestGap).toBeLessThanOrEqual(20);
  });

  it('refuses a function to crash that serverless.yml does not have', () => {
    const faults = new LocalFaults({ seed: 1, duplicateRate: 0, crashRates: { wroker: 0.5 } });
    expect(() => faults.checkFunctions(['worker', 'requests'])).toThrow(/wroker/);
    const letters = new LocalFaults({ seed: 1, duplicateRate: 0, crashRates: {}, deadLetterRates: { wroker: 0.5 } });
    expect(() => letters.checkFunctions(['worker', 'requests'])).toThrow(/LOCAL_DEAD_LETTER_FUNCTIONS names wroker/);
  });

  it('sends messages of the functions named to the dead-letter queue about at the rate asked, and at least once every 2 / rate', () => {
    // Prepare
    const faults = new LocalFaults({ seed: 5, duplicateRate: 0, crashRates: {}, deadLetterRates: { worker: 0.05 } });

    // Act
    const picks = Array.from({ length: 4_000 }, () => faults.deadLetter('worker'));

    // Assess
    const count = picks.filter(Boolean).length;
    expect(count).toBeGreaterThan(150);
    expect(count).toBeLessThan(300);
    let gap = 0;
    let longestGap = 0;
    for (const picked of picks) {
      gap = picked ? 0 : gap + 1;
      longestGap = Math.max(longestGap, gap);
    }
    expect(longestGap).toBeLessThan(40);
    expect(faults.deadLetter('requests')).toBe(false);
  });
});

describe('localFaultsFromEnv', () => {
  it('is off unless a rate is set', () => {
    expect(localFaultsFromEnv({})).toBeUndefined();
    expect(localFaultsFromEnv({ LOCAL_CRASH_FUNCTIONS: 'worker' })).toBeUndefined();
  });

  it('reads the rates, a rate per function, and the seed', () => {
    // Act
    const faults = localFaultsFromEnv({
      LOCAL_SQS_DUPLICATE_RATE: '0.05',
      LOCAL_CRASH_RATE: '0.2',
      LOCAL_CRASH_FUNCTIONS: 'worker:0.4, requests',
      LOCAL_DEAD_LETTER_FUNCTIONS: 'worker:0.03',
      LOCAL_FAULT_SEED: '3',
    });

    // Assess
    expect(faults?.options).toEqual({
      seed: 3,
      duplicateRate: 0.05,
      crashRates: { worker: 0.4, requests: 0.2 },
      deadLetterRates: { worker: 0.03 },
    });
    expect(localFaultsFromEnv({ LOCAL_DEAD_LETTER_FUNCTIONS: 'worker:0.1' })?.options.deadLetterRates).toEqual({ worker: 0.1 });
  });

  it.each([
    [{ LOCAL_SQS_DUPLICATE_RATE: '5%' }, /LOCAL_SQS_DUPLICATE_RATE=5%/],
    [{ LOCAL_CRASH_FUNCTIONS: 'worker:2' }, /LOCAL_CRASH_FUNCTIONS worker=2/],
    [{ LOCAL_CRASH_RATE: '0.1' }, /needs LOCAL_CRASH_FUNCTIONS/],
    [{ LOCAL_DEAD_LETTER_FUNCTIONS: 'worker:1.5' }, /LOCAL_DEAD_LETTER_FUNCTIONS worker=1.5/],
    [{ LOCAL_SQS_DUPLICATE_RATE: '0.1', LOCAL_FAULT_SEED: 'abc' }, /LOCAL_FAULT_SEED=abc/],
  ])('refuses %j', (env, message) => {
    expect(() => localFaultsFromEnv(env)).toThrow(LocalPlatformError);
    expect(() => localFaultsFromEnv(env)).toThrow(message);
  });
});
