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

  it('says how long until it lets a call through: none closed, the rest of the cooldown open, at most a second while a probe is out', () => {
    // Prepare
    const { breaker, advance } = make();
    const closed = breaker.msUntilAllowed();
    for (let index = 0; index < 3; index += 1) breaker.onFailure();

    // Act
    advance(400);
    const open = breaker.msUntilAllowed();
    advance(600);
    const halfOpen = breaker.msUntilAllowed();
    breaker.onDispatch();
    const probeOut = breaker.msUntilAllowed();
    breaker.onSuccess();

    // Assess
    expect([closed, open, halfOpen, probeOut, breaker.msUntilAllowed()]).toEqual([0, 600, 0, 1_000, 0]);
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

  it('tells of each change: open at the threshold, not again while open, open again after a failed probe, closed after a good one', () => {
    // Prepare
    let now = 0;
    const changes: string[] = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      cooldownMs: 1_000,
      now: () => now,
      onChange: (state) => changes.push(state),
    });
    // Act
    breaker.onFailure();
    breaker.onFailure();
    breaker.onFailure();
    now = 1_000;
    breaker.onDispatch();
    breaker.onFailure();
    now = 2_000;
    breaker.onDispatch();
    breaker.onSuccess();
    breaker.onSuccess();
    // Assess
    expect(changes).toEqual(['open', 'open', 'closed']);
  });

  describe('slow calls (a hung backend)', () => {
    const makeSlow = () => {
      let now = 0;
      const changes: string[] = [];
      const breaker = new CircuitBreaker({
        failureThreshold: 3,
        cooldownMs: 1_000,
        slowCallMs: 10_000,
        now: () => now,
        onChange: (state) => changes.push(state),
      });
      const advance = (ms: number) => {
        now += ms;
      };
      return { breaker, changes, advance };
    };

    it('opens once the threshold of calls has run past slowCallMs with none finished, before any of them fails', () => {
      // Prepare: three calls start and never end.
      const { breaker, changes, advance } = makeSlow();
      for (let i = 0; i < 3; i++) breaker.callStarted();
      // Act
      advance(9_999);
      const beforeSlow = breaker.allows();
      advance(1);
      const once = breaker.allows();
      // Assess
      expect(beforeSlow).toBe(true);
      expect(once).toBe(false);
      expect(breaker.state).toBe('open');
      expect(changes).toEqual(['open']);
    });

    it('stays closed while calls keep finishing: long calls on a backend that answers are not a hang', () => {
      // Prepare: three long calls, and a short one that finishes every few seconds.
      const { breaker, advance } = makeSlow();
      for (let i = 0; i < 3; i++) breaker.callStarted();
      // Act
      const allowed: boolean[] = [];
      for (let second = 0; second < 30; second += 3) {
        advance(3_000);
        const short = breaker.callStarted();
        breaker.callEnded(short);
        breaker.onSuccess();
        allowed.push(breaker.allows());
      }
      // Assess
      expect(allowed.every(Boolean)).toBe(true);
      expect(breaker.state).toBe('closed');
    });

    it('stays closed with fewer slow calls than the threshold, and ended calls no longer count', () => {
      // Prepare
      const { breaker, advance } = makeSlow();
      const first = breaker.callStarted();
      breaker.callStarted();
      breaker.callStarted();
      // Act: one of the three ends (timed out, say) long ago; the other two hang on.
      advance(5_000);
      breaker.callEnded(first);
      breaker.onFailure();
      advance(20_000);
      // Assess
      expect(breaker.allows()).toBe(true);
    });

    it('after the cooldown, a probe that answers closes it even though the hung calls are still running', () => {
      // Prepare
      const { breaker, changes, advance } = makeSlow();
      for (let i = 0; i < 3; i++) breaker.callStarted();
      advance(10_000);
      breaker.allows();
      // Act
      advance(1_000);
      const probeAllowed = breaker.allows();
      breaker.onDispatch();
      const probe = breaker.callStarted();
      breaker.callEnded(probe);
      breaker.onSuccess();
      // Assess
      expect(probeAllowed).toBe(true);
      expect(breaker.allows()).toBe(true);
      expect(changes).toEqual(['open', 'closed']);
    });
  });
});
