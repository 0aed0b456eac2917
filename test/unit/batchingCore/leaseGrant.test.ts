import { grantLeases, weightedMaxMin, type LeaseRequest } from '../../../shared/batchingCore/leaseGrant';
import { EMPTY_LEASE_BOOK, type LeaseBook } from '../../../shared/batchingCore/LeaseStore';

const equal = () => 1;
const request = (holder: string, tenants: LeaseRequest['tenants'], now = 0, capacity = 64): LeaseRequest => ({
  holder,
  capacity,
  now,
  ttlMs: 20_000,
  tenants,
});
const total = (book: LeaseBook, now = 0) =>
  Object.values(book.leases)
    .filter((entry) => entry.expiresAt > now)
    .reduce((sum, entry) => sum + entry.slots, 0);

describe('weightedMaxMin', () => {
  it('gives a claimant under its share all it wants and splits the rest by weight', () => {
    // Act
    const shares = weightedMaxMin(
      90,
      new Map([
        ['small', 10],
        ['a', 100],
        ['b', 100],
      ]),
      (claimant) => (claimant === 'a' ? 3 : 1),
    );

    // Assess: small takes its 10; a and b split 80 as 3:1
    expect(Object.fromEntries(shares)).toEqual({ small: 10, a: 60, b: 20 });
  });

  it('gives nothing beyond the demand when the capacity is larger', () => {
    // Act
    const shares = weightedMaxMin(
      100,
      new Map([
        ['a', 5],
        ['b', 0],
      ]),
      equal,
    );

    // Assess
    expect(Object.fromEntries(shares)).toEqual({ a: 5, b: 0 });
  });
});

describe('grantLeases', () => {
  it('gives a tenant alone the whole budget, and no more than it wants', () => {
    // Act
    const alone = grantLeases(EMPTY_LEASE_BOOK, request('c1', { a: { want: 100, inUse: 0 } }), equal);
    const modest = grantLeases(EMPTY_LEASE_BOOK, request('c1', { a: { want: 10, inUse: 0 } }), equal);

    // Assess
    expect(alone.grants.a).toEqual({ slots: 64, allowance: 64 });
    expect(alone.book.version).toBe(1);
    expect(modest.grants.a).toEqual({ slots: 10, allowance: 10 });
  });

  it('lets a newcomer take only what is free, tells the holder over its share to shrink, and then splits evenly', () => {
    // Prepare: c1 holds the whole budget for tenant a
    const first = grantLeases(EMPTY_LEASE_BOOK, request('c1', { a: { want: 64, inUse: 0 } }), equal).book;

    // Act: c2 asks for tenant b; c1 renews with its 64 calls in flight; 32 of them end; both write again
    const newcomer = grantLeases(first, request('c2', { b: { want: 64, inUse: 0 } }, 100), equal);
    const renewal = grantLeases(newcomer.book, request('c1', { a: { want: 64, inUse: 64 } }, 200), equal);
    const shrunk = grantLeases(renewal.book, request('c1', { a: { want: 64, inUse: 32 } }, 300), equal);
    const retried = grantLeases(shrunk.book, request('c2', { b: { want: 64, inUse: 0 } }, 400), equal);

    // Assess
    expect(newcomer.grants.b).toEqual({ slots: 0, allowance: 0 });
    expect(renewal.grants.a).toEqual({ slots: 64, allowance: 32 });
    expect(shrunk.grants.a).toEqual({ slots: 32, allowance: 32 });
    expect(retried.grants.b).toEqual({ slots: 32, allowance: 32 });
    expect(total(retried.book, 400)).toBe(64);
  });

  it('divides by the tenants’ weights across holders, and each tenant’s share among its holders', () => {
    // Prepare: a (weight 2) on two containers, b (weight 1) on one, all wanting everything
    const weight = (tenant: string) => (tenant === 'a' ? 2 : 1);
    let book: LeaseBook = EMPTY_LEASE_BOOK;
    const ask = (holder: string, tenant: string, now: number) => {
      const result = grantLeases(book, request(holder, { [tenant]: { want: 64, inUse: 0 } }, now, 60), weight);
      book = result.book;
      return result.grants[tenant]!;
    };
    // Every holder announces its demand once (granting greedily), then gives back and asks again.
    ask('c1', 'a', 0);
    ask('c2', 'a', 1);
    ask('c3', 'b', 2);
    book = grantLeases(book, request('c1', { a: { want: 64, inUse: 0 } }, 3, 60), weight).book;

    // Act: each asks again, with nothing in use
    const grants = [ask('c1', 'a', 10), ask('c2', 'a', 11), ask('c3', 'b', 12)];

    // Assess: a gets 40 (20 per container), b gets 20
    expect(grants.map((grant) => grant.allowance)).toEqual([20, 20, 20]);
    expect(total(book, 12)).toBe(60);
  });

  it('drops expired entries: a crashed holder leaks its slots only until its lease ends', () => {
    // Prepare: c1 holds everything, then never writes again
    const book = grantLeases(EMPTY_LEASE_BOOK, request('c1', { a: { want: 64, inUse: 0 } }, 0), equal).book;

    // Act
    const during = grantLeases(book, request('c2', { a: { want: 64, inUse: 0 } }, 19_999), equal);
    const after = grantLeases(book, request('c2', { a: { want: 64, inUse: 0 } }, 20_000), equal);

    // Assess
    expect(during.grants.a!.slots).toBe(0);
    expect(after.grants.a!.slots).toBe(64);
    expect(Object.keys(after.book.leases)).toEqual(['c2|a']);
  });

  it('removes a holder’s entry when it wants and uses nothing (slots given back)', () => {
    // Prepare
    const book = grantLeases(EMPTY_LEASE_BOOK, request('c1', { a: { want: 8, inUse: 0 } }), equal).book;

    // Act
    const returned = grantLeases(book, request('c1', { a: { want: 0, inUse: 0 } }, 10), equal);

    // Assess
    expect(returned.book.leases).toEqual({});
    expect(returned.grants).toEqual({});
  });

  it('never records more than the budget, whatever the order of writes (random walk of 5,000 writes)', () => {
    // Prepare: a seeded generator, 6 holders, 3 tenants; each holder writes all its tenants at once, as a container does
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const capacity = 50;
    const inUse = new Map<string, Map<string, number>>();
    let book: LeaseBook = EMPTY_LEASE_BOOK;
    let worst = 0;
    let overHeld = 0;

    // Act
    for (let now = 0; now < 5_000; now += 1) {
      const holder = `c${Math.floor(random() * 6)}`;
      const using = inUse.get(holder) ?? new Map<string, number>();
      inUse.set(holder, using);
      const tenants: Record<string, { want: number; inUse: number; realtime: number }> = {};
      for (const tenant of ['t0', 't1', 't2']) {
        // Calls end at random; the demand, and its real-time part, change at random.
        const still = Math.floor(random() * ((using.get(tenant) ?? 0) + 1));
        using.set(tenant, still);
        const want = random() < 0.3 ? 0 : Math.max(still, Math.floor(random() * 40));
        tenants[tenant] = { want, inUse: still, realtime: Math.floor(random() * (want + 1)) };
      }
      const result = grantLeases(book, { holder, capacity, now, ttlMs: 10_000, tenants }, (t) => (t === 't0' ? 3 : 1));
      book = result.book;
      for (const tenant of ['t0', 't1', 't2']) {
        const grant = result.grants[tenant] ?? { slots: 0, allowance: 0 };
        // New calls start only within the allowance.
        using.set(tenant, Math.max(using.get(tenant)!, Math.min(grant.allowance, tenants[tenant]!.want)));
        if (using.get(tenant)! > grant.slots) overHeld += 1;
      }
      worst = Math.max(worst, total(book, now));
    }

    // Assess
    expect(worst).toBeLessThanOrEqual(capacity);
    expect(worst).toBe(capacity);
    expect(overHeld).toBe(0);
  });

  describe('real-time ahead of batch', () => {
    it('gives a tenant’s real-time want before its batch want, across holders: the worker is told to shrink, the API container takes what it frees', () => {
      // Prepare: worker c1 runs 8 batch calls of tenant a, the whole budget of 8
      const worker = grantLeases(EMPTY_LEASE_BOOK, request('c1', { a: { want: 8, inUse: 0 } }, 0, 8), equal).book;

      // Act: API container c2 asks for 6 real-time slots of tenant a; c1 renews; 6 of its calls end; c2 asks again
      const newcomer = grantLeases(worker, request('c2', { a: { want: 6, inUse: 0, realtime: 6 } }, 100, 8), equal);
      const renewal = grantLeases(newcomer.book, request('c1', { a: { want: 8, inUse: 8 } }, 200, 8), equal);
      const shrunk = grantLeases(renewal.book, request('c1', { a: { want: 8, inUse: 2 } }, 300, 8), equal);
      const retried = grantLeases(shrunk.book, request('c2', { a: { want: 6, inUse: 0, realtime: 6 } }, 400, 8), equal);

      // Assess: real-time gets its 6 (equal parts would be 4 each); batch keeps what real-time leaves
      expect(newcomer.grants.a).toEqual({ slots: 0, allowance: 0 });
      expect(renewal.grants.a).toEqual({ slots: 8, allowance: 2 });
      expect(shrunk.grants.a).toEqual({ slots: 2, allowance: 2 });
      expect(retried.grants.a).toEqual({ slots: 6, allowance: 6 });
      expect(retried.book.leases['c2|a']).toMatchObject({ want: 6, realtime: 6, slots: 6 });
      expect(total(retried.book, 400)).toBe(8);
    });

    it('leaves batch all that real-time does not want (work-conserving), and splits a holder’s mixed want real-time first', () => {
      // Act: c2 wants 5 of which 2 real-time; then c1 wants 8 for batch; budget 8
      const mixed = grantLeases(EMPTY_LEASE_BOOK, request('c2', { a: { want: 5, inUse: 0, realtime: 2 } }, 100, 8), equal);
      const worker = grantLeases(mixed.book, request('c1', { a: { want: 8, inUse: 0 } }, 200, 8), equal);

      // Assess: c2 gets its 2 real-time, and half of the 6 left for batch (3); c1 the other 3
      expect(mixed.grants.a).toEqual({ slots: 5, allowance: 5 });
      expect(worker.grants.a).toEqual({ slots: 3, allowance: 3 });
      expect(total(worker.book, 200)).toBe(8);
    });

    it('puts fairness between tenants first: one tenant’s real-time flood takes nothing from another tenant’s batch share', () => {
      // Prepare: c1 wants 8 for tenant b's batch lines
      const book = grantLeases(EMPTY_LEASE_BOOK, request('c1', { b: { want: 8, inUse: 0 } }, 0, 8), equal).book;

      // Act: c2 floods real-time calls of tenant a; c1 renews with its 8 in flight
      const flood = grantLeases(book, request('c2', { a: { want: 8, inUse: 0, realtime: 8 } }, 100, 8), equal);
      const renewal = grantLeases(flood.book, request('c1', { b: { want: 8, inUse: 8 } }, 200, 8), equal);

      // Assess: each tenant's share is half
      expect(renewal.grants.b).toEqual({ slots: 8, allowance: 4 });
    });
  });
});
