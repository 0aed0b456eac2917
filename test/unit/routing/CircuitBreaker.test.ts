import { CircuitBreaker } from '../../../shared/routing/CircuitBreaker';

describe('CircuitBreaker', () => {
  const make = () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, now: () => now });
    return {
      breaker,
      advance: (ms: number) => {
        now += ms;
      },
    };
  };

  it('opens after the threshold of consecutive faults and skips the backend', () => {
    // Prepare
    const { breaker } = make();
    // Act
    breaker.onFailure();
    breaker.onFailure();
    const beforeThird = breaker.allows();
    breaker.onFailure();
    // Assess
    expect(beforeThird).toBe(true);
    expect(breaker.state).toBe('open');
    expect(breaker.allows()).toBe(false);
  });

  it('a success in between resets the count', () => {
    const { breaker } = make();
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
  });

  it('lets exactly one probe through after the cooldown, and closes when it succeeds', () => {
    // Prepare
    const { breaker, advance } = make();
    for (let i = 0; i < 3; i++) breaker.onFailure();
    // Act
    advance(1_000);
    const first = breaker.allows();
    breaker.onDispatch();
    const second = breaker.allows();
    breaker.onSuccess();
    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(breaker.state).toBe('closed');
    expect(breaker.allows()).toBe(true);
  });

  it('a failed probe opens it for another cooldown', () => {
    const { breaker, advance } = make();
    for (let i = 0; i < 3; i++) breaker.onFailure();
    advance(1_000);
    breaker.onDispatch();
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    advance(999);
    expect(breaker.allows()).toBe(false);
    advance(1);
    expect(breaker.allows()).toBe(true);
  });

  it('a probe whose result never came expires after a cooldown', () => {
    const { breaker, advance } = make();
    for (let i = 0; i < 3; i++) breaker.onFailure();
    advance(1_000);
    breaker.onDispatch();
    advance(1_000);
    expect(breaker.allows()).toBe(true);
  });
});
