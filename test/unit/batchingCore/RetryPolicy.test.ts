import { RetryBudget } from '../../../shared/batchingCore/RetryBudget';
import { RetryPolicy } from '../../../shared/batchingCore/RetryPolicy';
import { sequenceRandom } from '../../helpers/FakeClock';

describe('RetryPolicy', () => {
  it('doubles the backoff ceiling at each retry and scales it by the jitter', () => {
    // Prepare
    const policy = new RetryPolicy({ baseBackoffMs: 100, maxBackoffMs: 10_000, random: sequenceRandom(0.5, 0.5, 0.25, 0.999) });

    // Act
    const delays = [1, 2, 3, 4].map((retry) => policy.backoffMs(retry));

    // Assess: 0.5×100, 0.5×200, 0.25×400, 0.999×800
    expect(delays).toEqual([50, 100, 100, 799]);
  });

  it('caps the backoff at maxBackoffMs', () => {
    // Prepare
    const policy = new RetryPolicy({ baseBackoffMs: 100, maxBackoffMs: 1_000, random: () => 0.5 });

    // Act
    const delay = policy.backoffMs(20);

    // Assess
    expect(delay).toBe(500);
  });

  it('never waits less than a Retry-After, even above the cap', () => {
    // Prepare
    const policy = new RetryPolicy({ baseBackoffMs: 100, maxBackoffMs: 1_000, random: () => 0.5 });

    // Act
    const short = policy.backoffMs(1, 20);
    const long = policy.backoffMs(1, 5_000);

    // Assess
    expect(short).toBe(50);
    expect(long).toBe(5_000);
  });
});

describe('RetryBudget', () => {
  it('allows ratio × submitted + minimum retries, then none', () => {
    // Prepare
    const budget = new RetryBudget({ ratio: 0.1, minimum: 2 });
    budget.recordSubmitted(30);

    // Act
    const first = budget.take(4);
    const second = budget.take(4);
    const third = budget.take(1);

    // Assess: 0.1 × 30 + 2 = 5
    expect([first, second, third]).toEqual([4, 1, 0]);
    expect(budget.spent).toBe(5);
  });

  it('earns more retries as more items are submitted', () => {
    // Prepare
    const budget = new RetryBudget({ ratio: 0.5, minimum: 0 });
    budget.recordSubmitted(2);
    budget.take(10);

    // Act
    budget.recordSubmitted(4);

    // Assess
    expect(budget.available).toBe(2);
  });
});
