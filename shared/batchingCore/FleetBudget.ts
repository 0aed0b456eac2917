import { type Claim, resolveFairShare, type FairShareOptions } from './FairShare';
import { grantLeases, type TenantGrant } from './leaseGrant';
import { EMPTY_LEASE_BOOK, type LeaseBook, type LeaseStore } from './LeaseStore';
import type { BudgetedBackend, Clock, SharedBudget } from './types';

/** How a container's fleet budget is built. */
export interface FleetBudgetOptions {
  store: LeaseStore;
  clock: Clock;
  /** This container's id in the books (a random id per process). */
  holderId: string;
  /** How long a written lease lasts. Default 20,000 ms. */
  ttlMs?: number;
  /** How often a busy container renews its leases (and takes up changes of the fair shares). Default 5,000 ms. */
  renewMs?: number;
  /** How soon a container whose calls wait for slots asks again after a write that left them waiting. Default 500 ms. */
  retryMs?: number;
  /** How long a tenant's slots are kept after its last call ends, for the next batch, before they are given back. Default 1,000 ms. */
  idleReturnMs?: number;
  /** Conflicting writes in a row before a write gives up until the next try. Default 8. */
  maxConflicts?: number;
  /** Tenants' weights (`TENANT_WEIGHTS`); disabled, every call counts as one anonymous tenant. */
  fairShare?: FairShareOptions;
  /** Told of a store failure; the container then runs on its own limits until the store answers again. */
  onError?: (error: unknown, backendId: string) => void;
}

interface Waiter {
  /** A real-time call: it goes before the tenant's waiting batch calls. */
  realtime: boolean;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface TenantSlots {
  grant: TenantGrant;
  inFlight: number;
  /** Of `inFlight`, the real-time calls. */
  realtimeInFlight: number;
  waiters: Waiter[];
  /** What the last write asked for: only a demand beyond it warrants a write before `retryMs`. */
  asked: number;
}

/** One backend's leases in this container. */
interface BackendState {
  readonly id: string;
  capacity: number;
  /** Reads the container's own learned limit for the backend: it never asks for more. */
  localLimit: () => number;
  readonly tenants: Map<string, TenantSlots>;
  /** The book as last read or written: the base of the next conditional write. */
  book: LeaseBook;
  /** When this container's entries lapse (all are written together). */
  expiresAt: number;
  /** The writes under way (one at a time), resolved once the last one asked for is done. */
  running: Promise<void> | undefined;
  /** Another write is due as soon as the running one ends. */
  again: boolean;
  /** The store failed: calls run on the container's own limits until it answers again. */
  failOpen: boolean;
  /** When the last write ended. */
  lastSyncAt: number;
  /** When the last call ended with nothing left running or waiting. */
  idleSince: number;
  timer: { at: number; cancel: AbortController } | undefined;
}

/** Counters of one backend's budget in this container, for tests and the benchmark. */
export interface FleetBudgetSnapshot {
  /** Slots held, by tenant. */
  slots: Record<string, number>;
  /** Calls in flight under the budget, by tenant. */
  inFlight: Record<string, number>;
  /** Calls waiting for a slot. */
  waiting: number;
  failOpen: boolean;
}

/**
 * One budget per backend across the fleet, seen from one container: the container holds
 * leases on a share of each backend's `fleetConcurrency` and starts a call only within
 * them, so the calls in flight against a backend, summed over every worker and API
 * container, stay within its budget however many containers run.
 *
 * A lease is an entry in the backend's lease book ({@link LeaseStore}): slots for one
 * tenant, valid for `ttlMs`. The container writes its entries (all tenants of a backend
 * in one conditional write, by the rule of {@link grantLeases}) when calls wait for slots
 * it does not hold, every `renewMs` while it is busy, and `idleReturnMs` after a tenant's
 * last call to give the slots back (or at once by {@link returnIdle}, when an invocation
 * ends); never per call. Tenants share the budget by weighted max-min fairness across the
 * fleet (a tenant alone gets all of it), and within a tenant's share its real-time calls
 * go first, in the book (a container announces how many of the slots it wants are for
 * real-time calls) and in the container (a waiting real-time call before the tenant's
 * waiting batch calls).
 *
 * Calls pass {@link acquire} before the backend's own limiter and {@link release} after,
 * and the container never asks for more than its limiter's learned limit, so its
 * effective limit is min(learned limit, lease). If the store fails, the container falls
 * back to its own limiter (never to a halt) and retries the store every `retryMs`.
 */
export class FleetBudget implements SharedBudget {
  readonly #options: Required<Omit<FleetBudgetOptions, 'onError' | 'fairShare'>> & Pick<FleetBudgetOptions, 'onError'>;
  readonly #fairShare: ReturnType<typeof resolveFairShare>;
  readonly #backends = new Map<string, BackendState>();

  constructor(options: FleetBudgetOptions) {
    const ttlMs = options.ttlMs ?? 20_000;
    this.#options = {
      store: options.store,
      clock: options.clock,
      holderId: options.holderId,
      ttlMs,
      renewMs: options.renewMs ?? Math.min(5_000, ttlMs / 4),
      retryMs: options.retryMs ?? 500,
      idleReturnMs: options.idleReturnMs ?? 1_000,
      maxConflicts: options.maxConflicts ?? 8,
      onError: options.onError,
    };
    if (!(this.#options.renewMs > 0 && this.#options.renewMs < ttlMs)) {
      throw new Error(`renewMs must be in (0, ttlMs), got ${this.#options.renewMs} for a ttl of ${ttlMs}`);
    }
    this.#fairShare = resolveFairShare(options.fairShare);
  }

  /** Whether calls to `backend` go through the budget at all. */
  covers(backend: BudgetedBackend): boolean {
    return backend.fleetConcurrency !== undefined && backend.fleetConcurrency > 0;
  }

  /**
   * Takes a slot at once if the container holds a free one for the claim's tenant (or the
   * backend has no budget) and no call of the tenant that goes first waits for one; false,
   * taking nothing, when the caller must wait. `localLimit` is the container's own learned
   * limit for the backend.
   */
  tryAcquire(backend: BudgetedBackend, claim: Claim, localLimit: () => number): boolean {
    if (!this.covers(backend)) return true;
    const state = this.#stateOf(backend, localLimit);
    const slots = this.#tenant(state, this.#tenantOf(claim.tenantId));
    const realtime = this.#isRealtime(claim);
    const queued = realtime ? slots.waiters.some((waiter) => waiter.realtime) : slots.waiters.length > 0;
    if (queued || !this.#mayStart(state, slots)) return false;
    this.#start(slots, realtime);
    return true;
  }

  /**
   * Waits for a slot: the tenant's real-time calls before its batch ones, each class in
   * order of arrival. Rejects with the signal's reason if it aborts first (nothing is then held).
   */
  acquire(backend: BudgetedBackend, claim: Claim, localLimit: () => number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryAcquire(backend, claim, localLimit)) return Promise.resolve();
    const state = this.#backends.get(backend.id)!;
    const slots = this.#tenant(state, this.#tenantOf(claim.tenantId));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        realtime: this.#isRealtime(claim),
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = slots.waiters.indexOf(waiter);
          if (at >= 0) slots.waiters.splice(at, 1);
          reject(signal!.reason);
          this.#plan(state);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      slots.waiters.push(waiter);
      this.#plan(state);
    });
  }

  /** Gives back the slot of a call that has ended (its claim as it was acquired). */
  release(backend: BudgetedBackend, claim: Claim): void {
    if (!this.covers(backend)) return;
    const state = this.#backends.get(backend.id);
    const slots = state?.tenants.get(this.#tenantOf(claim.tenantId));
    if (!state || !slots) return;
    slots.inFlight = Math.max(0, slots.inFlight - 1);
    if (this.#isRealtime(claim)) slots.realtimeInFlight = Math.max(0, slots.realtimeInFlight - 1);
    this.#grantWaiters(state);
    if ([...state.tenants.values()].every((held) => held.inFlight === 0 && held.waiters.length === 0)) {
      state.idleSince = this.#options.clock.now();
    }
    this.#plan(state);
  }

  /**
   * Gives back now every slot this container holds and does not use: for a process about
   * to end or be frozen (a Lambda invocation ending), whose idle-return timer would not run
   * until it thaws, so its slots would be kept from the others until the lease lapses. One
   * write per backend where it holds slots (none where it holds nothing); slots of calls
   * still running are kept. Waits for the writes; never throws (a store failure goes to
   * `onError`, and the lease then lapses at its expiry as after a crash).
   */
  async returnIdle(): Promise<void> {
    // A write under way may grant slots after this returns: it counts as holding (one more write follows it).
    const holding = [...this.#backends.values()].filter(
      (state) => state.running !== undefined || [...state.tenants.values()].some((slots) => slots.grant.slots > 0),
    );
    await Promise.all(holding.map((state) => this.#sync(state)));
  }

  /** This container's view of one backend's budget. */
  snapshot(backendId: string): FleetBudgetSnapshot {
    const state = this.#backends.get(backendId);
    const slots: Record<string, number> = {};
    const inFlight: Record<string, number> = {};
    let waiting = 0;
    for (const [tenant, held] of state?.tenants ?? []) {
      slots[tenant] = held.grant.slots;
      inFlight[tenant] = held.inFlight;
      waiting += held.waiters.length;
    }
    return { slots, inFlight, waiting, failOpen: state?.failOpen ?? false };
  }

  /** Cancels every timer (a test or a benchmark ending); leases then lapse at their expiry. */
  close(): void {
    for (const state of this.#backends.values()) this.#cancelTimer(state);
  }

  #tenantOf(tenantId: string): string {
    return this.#fairShare.enabled ? tenantId : '';
  }

  /** Whether a call counts as real-time in the book (with fair sharing off there are no classes). */
  #isRealtime(claim: Claim): boolean {
    return this.#fairShare.enabled && claim.priority === 'realtime';
  }

  #start(slots: TenantSlots, realtime: boolean): void {
    slots.inFlight += 1;
    if (realtime) slots.realtimeInFlight += 1;
  }

  #stateOf(backend: BudgetedBackend, localLimit: () => number): BackendState {
    let state = this.#backends.get(backend.id);
    if (!state) {
      state = {
        id: backend.id,
        capacity: backend.fleetConcurrency!,
        localLimit,
        tenants: new Map(),
        book: EMPTY_LEASE_BOOK,
        expiresAt: Number.NEGATIVE_INFINITY,
        running: undefined,
        again: false,
        failOpen: false,
        lastSyncAt: Number.NEGATIVE_INFINITY,
        idleSince: Number.NEGATIVE_INFINITY,
        timer: undefined,
      };
      this.#backends.set(backend.id, state);
    }
    state.capacity = backend.fleetConcurrency!;
    state.localLimit = localLimit;
    return state;
  }

  #tenant(state: BackendState, tenant: string): TenantSlots {
    let slots = state.tenants.get(tenant);
    if (!slots) {
      slots = { grant: { slots: 0, allowance: 0 }, inFlight: 0, realtimeInFlight: 0, waiters: [], asked: 0 };
      state.tenants.set(tenant, slots);
    }
    return slots;
  }

  #mayStart(state: BackendState, slots: TenantSlots): boolean {
    if (state.failOpen) return true;
    return this.#options.clock.now() < state.expiresAt && slots.inFlight < slots.grant.allowance;
  }

  #grantWaiters(state: BackendState): void {
    for (const slots of state.tenants.values()) {
      while (slots.waiters.length > 0 && this.#mayStart(state, slots)) {
        const next = Math.max(
          0,
          slots.waiters.findIndex((waiter) => waiter.realtime),
        );
        const [waiter] = slots.waiters.splice(next, 1) as [Waiter];
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        this.#start(slots, waiter.realtime);
        waiter.resolve();
      }
    }
  }

  /**
   * When this container's next write for the backend is due, or undefined when none is:
   * now for calls waiting beyond twice what the last write asked for (a tenant new here, a
   * learned limit in slow start); `retryMs` after the last write for calls still waiting (the others may have given slots back), or after a
   * store failure; `retryMs` after the last write to give back slots beyond the
   * allowance once calls ended; `renewMs` after it while calls run; `idleReturnMs` after
   * the last call ended to give the slots back.
   */
  #due(state: BackendState): number | undefined {
    const { retryMs, renewMs, idleReturnMs } = this.#options;
    let busy = false;
    let held = false;
    let waiting = false;
    let moreWanted = false;
    let surplus = false;
    for (const slots of state.tenants.values()) {
      if (slots.inFlight > 0) busy = true;
      if (slots.waiters.length > 0) waiting = true;
      if (slots.waiters.length > 0) {
        const want = this.#wantOf(state, slots);
        // A demand at least twice what was asked (a new tenant, a limit in slow start) is asked for at once.
        if (want >= 2 * slots.asked && want > slots.asked) moreWanted = true;
      }
      if (slots.grant.slots > 0) held = true;
      if (slots.grant.slots > Math.max(slots.inFlight, slots.grant.allowance)) surplus = true;
    }
    if (state.failOpen) return busy || waiting ? state.lastSyncAt + retryMs : undefined;
    if (moreWanted) return Number.NEGATIVE_INFINITY;
    if (waiting) return state.lastSyncAt + retryMs;
    if (surplus) return state.lastSyncAt + retryMs;
    if (busy) return state.lastSyncAt + renewMs;
    if (held) return Math.max(state.lastSyncAt, state.idleSince) + idleReturnMs;
    return undefined;
  }

  /** Arms the backend's one timer for its next due write (or writes now), unless it is already armed sooner. */
  #plan(state: BackendState): void {
    const due = this.#due(state);
    if (due === undefined) {
      this.#cancelTimer(state);
      return;
    }
    const now = this.#options.clock.now();
    if (due <= now) {
      this.#cancelTimer(state);
      void this.#sync(state);
      return;
    }
    if (state.timer && state.timer.at <= due) return;
    this.#cancelTimer(state);
    const cancel = new AbortController();
    state.timer = { at: due, cancel };
    this.#options.clock.sleep(due - now, cancel.signal).then(
      () => {
        if (state.timer?.cancel === cancel) state.timer = undefined;
        // What was due may have changed meanwhile (calls started again): look again.
        this.#plan(state);
      },
      () => undefined,
    );
  }

  #cancelTimer(state: BackendState): void {
    state.timer?.cancel.abort();
    state.timer = undefined;
  }

  /**
   * Writes this container's entries for the backend (one write at a time: a sync asked for
   * while one runs is one more write after it, and waits for it), then grants, then plans
   * the next write.
   */
  #sync(state: BackendState): Promise<void> {
    if (state.running) {
      state.again = true;
      return state.running;
    }
    // #syncAll awaits before it ends, so `running` is set before it is cleared.
    state.running = this.#syncAll(state);
    return state.running;
  }

  async #syncAll(state: BackendState): Promise<void> {
    try {
      do {
        state.again = false;
        await this.#write(state);
        // A failed store is tried again at `retryMs`, not at once.
      } while (state.again && !state.failOpen);
    } finally {
      state.running = undefined;
    }
    this.#grantWaiters(state);
    this.#plan(state);
  }

  async #write(state: BackendState): Promise<void> {
    const { store, clock, holderId, ttlMs, maxConflicts } = this.#options;
    const tenants: Record<string, { want: number; inUse: number; realtime: number }> = {};
    for (const [tenant, slots] of state.tenants) {
      const want = this.#wantOf(state, slots);
      const realtime = slots.realtimeInFlight + slots.waiters.filter((waiter) => waiter.realtime).length;
      tenants[tenant] = { want, inUse: slots.inFlight, realtime: Math.min(want, realtime) };
    }
    try {
      let book = state.book;
      for (let conflicts = 0; conflicts <= maxConflicts; conflicts += 1) {
        const now = clock.now();
        const { book: next, grants } = grantLeases(book, { holder: holderId, capacity: state.capacity, now, ttlMs, tenants }, (tenant) =>
          this.#weightOf(tenant),
        );
        const result = await store.write(state.id, next, book.version);
        if (!result.written) {
          book = result.current;
          continue;
        }
        state.book = next;
        state.expiresAt = now + ttlMs;
        state.failOpen = false;
        for (const [tenant, slots] of state.tenants) {
          slots.grant = grants[tenant] ?? { slots: 0, allowance: 0 };
          slots.asked = tenants[tenant]?.want ?? 0;
          if (slots.grant.slots === 0 && slots.inFlight === 0 && slots.waiters.length === 0) state.tenants.delete(tenant);
        }
        return;
      }
      // Every try met a newer book: the others are writing; keep the latest and try again at `retryMs`.
      state.book = book;
      for (const [tenant, slots] of state.tenants) slots.asked = Math.max(slots.asked, tenants[tenant]?.want ?? 0);
    } catch (error) {
      state.failOpen = true;
      state.book = EMPTY_LEASE_BOOK;
      this.#options.onError?.(error, state.id);
    } finally {
      state.lastSyncAt = clock.now();
    }
  }

  /** The slots a tenant's calls could use now: running plus waiting, at most the container's own limit. */
  #wantOf(state: BackendState, slots: TenantSlots): number {
    return Math.min(Math.max(1, Math.floor(state.localLimit())), slots.inFlight + slots.waiters.length);
  }

  #weightOf(tenant: string): number {
    return this.#fairShare.weights[tenant] ?? this.#fairShare.defaultWeight;
  }
}
