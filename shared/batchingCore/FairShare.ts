/**
 * Who a backend call is for, and how a backend's slots are shared among those waiting
 * for one: weighted max-min fair shares across tenants, real-time ahead of batch.
 * Pure scheduling, no I/O: the {@link AdaptiveLimiter} asks it whom to start next.
 * @module
 */

/** A call's class: real-time requests take free capacity first, batch lines take what is left. */
export type Priority = 'realtime' | 'batch';

/** Who a waiting call is for. */
export interface Claim {
  /** The tenant the call is for; calls without one share the tenant `''`. */
  tenantId: string;
  priority: Priority;
  /**
   * Clock time from which a waiting batch call is served as if it were real-time (its
   * deadline nears): it is no longer held under the real-time reserve.
   */
  urgentAt?: number;
}

/** The claim of calls that say nothing: real-time, of no tenant. */
export const ANONYMOUS_CLAIM: Claim = { tenantId: '', priority: 'realtime' };

/** How slots are shared; every field has a default. */
export interface FairShareOptions {
  /**
   * `false` serves waiting calls first come, first served whatever their tenant or
   * class, with no reserve (the behaviour before fair sharing; kept for comparison).
   * Default true.
   */
  enabled?: boolean;
  /** Weight of each tenant by id; a tenant not listed has `defaultWeight`. */
  weights?: Readonly<Record<string, number>>;
  /** Default 1. */
  defaultWeight?: number;
  /**
   * Most of a backend's server slots (its limit where it has none) that batch calls leave
   * free for real-time ones while real-time traffic is about (a call started within
   * `realtimeHoldMs`), so a burst starts at once instead of waiting for batch calls to
   * end. The reserve itself follows the traffic: twice the most real-time calls recently
   * in flight at once, at least one slot, at most this share (rounded up); batch always
   * keeps at least one slot. 0 turns the reserve off (batch then only yields the slots
   * that free up, and still stays under the server slots). Default 0.25.
   */
  realtimeReserve?: number;
  /** How long after the last real-time call the reserve holds. Default 5,000 ms. */
  realtimeHoldMs?: number;
  /**
   * Most of a backend's server slots (its limit where it has none) that batch calls may
   * fill, together with the real-time calls in flight, while real-time traffic is about:
   * the latency guard. On a GPU that batches
   * continuously, every sequence in flight slows each decoding step, so a real-time
   * request's latency follows the whole load, not its place in the queue; holding batch
   * back while real-time traffic is about keeps the steps near an idle pool's, at the price
   * of batch throughput meanwhile. A tenant's real-time calls are held by it only while
   * another tenant has real-time calls too, and then only past the tenant's part by weight
   * of the guarded load: one tenant's real-time flood beyond its share waits, so it cannot
   * slow every other tenant's requests, while a burst of one tenant's real-time calls
   * during another's batch job is not held by it (only, past the server slots, by the
   * tenant's part of them). A tenant's calls of either class start while it holds less
   * than its part of the guarded load (another tenant's flood does not shut it out), as
   * long as the calls in flight are under the server slots. Batch takes the limit (with
   * `serverQueueShare` of the server slots past them) again once real-time traffic has
   * been gone for the hold. Running calls are never stopped: the
   * load falls as they end. {@link latencyGuardShare} derives the share from a GPU
   * server's step cost. Default 1 (off).
   */
  realtimeLoadShare?: number;
  /**
   * Most batch calls that may wait in a backend's servers' own queue (past its server
   * slots), as a share of those slots, while no real-time traffic is about; while it is,
   * none may (batch stays under the slots less the reserve). A server takes up a
   * sequence that ends at its next step from its queue, but only after the next call's
   * round trip when its queue is empty: a server-full of answers of C tokens ends about
   * 1/C of its sequences a step, so the default 0.125 keeps answers of 8 tokens and more
   * flowing, while the first real-time request after a quiet spell waits behind a few
   * steps' worth of batch calls in a server's first-come queue, not a whole server-full.
   * 0 never queues batch in a server (real-time latency first, batch throughput less by
   * about one step a call). Counts only where the backend has server slots. Default 0.125,
   * or 0 with the latency guard on ({@link realtimeLoadShare} below 1): the guard is there
   * for latency, and a queued batch call is latency the guard cannot take back.
   */
  serverQueueShare?: number;
  /**
   * A batch call whose earliest deadline is this close is served as real-time (ahead of
   * other batch work and past the reserve). Default 60,000 ms.
   */
  urgentMs?: number;
}

/** A continuously batching GPU server's step cost (as vLLM's, and the simulator's engine). */
export interface StepCost {
  /** Sequences the server runs at once (vLLM `--max-num-seqs`). */
  maxNumSeqs: number;
  /** Fixed cost of a step, ms. */
  stepMs: number;
  /** What each decoding sequence adds to a step, ms. */
  decodeMsPerSeq: number;
  /** What each prompt token read adds to a step, ms. */
  prefillMsPerToken: number;
  /** A typical call's prompt and completion tokens. */
  promptTokens: number;
  completionTokens: number;
}

/**
 * The latency guard's share ({@link FairShareOptions.realtimeLoadShare}) that keeps a
 * server's steps within `slowdown` times an idle one's. A step costs
 * `stepMs + decoding × decodeMsPerSeq + prefillTokens × prefillMsPerToken`; at a steady
 * load of N sequences each adds its decode cost to every step, and its prompt once over
 * its completion, so a step is `stepMs + N × (decodeMsPerSeq + promptTokens ×
 * prefillMsPerToken / completionTokens)`. An idle step (one sequence) is `stepMs +
 * decodeMsPerSeq`. The share is the largest N within `slowdown` times that, over
 * `maxNumSeqs` (two decimals, rounded down; at least one sequence).
 */
export function latencyGuardShare(cost: StepCost, slowdown = 1.5): number {
  const perSequence = cost.decodeMsPerSeq + (cost.promptTokens * cost.prefillMsPerToken) / Math.max(1, cost.completionTokens);
  const idleStep = cost.stepMs + cost.decodeMsPerSeq;
  const sequences = perSequence > 0 ? Math.max(1, Math.floor(((slowdown - 1) * idleStep) / perSequence)) : cost.maxNumSeqs;
  return Math.max(0.01, Math.min(1, Math.floor((100 * sequences) / cost.maxNumSeqs) / 100));
}

/** Every option filled in. */
export type ResolvedFairShare = Required<Omit<FairShareOptions, 'weights'>> & { weights: Readonly<Record<string, number>> };

/** Fills the defaults and rejects impossible values (a weight of 0 would starve its tenant for ever). */
export function resolveFairShare(options: FairShareOptions = {}): ResolvedFairShare {
  const resolved: ResolvedFairShare = {
    enabled: options.enabled ?? true,
    weights: options.weights ?? {},
    defaultWeight: options.defaultWeight ?? 1,
    realtimeReserve: options.realtimeReserve ?? 0.25,
    realtimeHoldMs: options.realtimeHoldMs ?? 5_000,
    realtimeLoadShare: options.realtimeLoadShare ?? 1,
    serverQueueShare: options.serverQueueShare ?? ((options.realtimeLoadShare ?? 1) < 1 ? 0 : 0.125),
    urgentMs: options.urgentMs ?? 60_000,
  };
  for (const [tenant, weight] of [['(default)', resolved.defaultWeight] as const, ...Object.entries(resolved.weights)]) {
    if (!(weight > 0 && Number.isFinite(weight)))
      throw new Error(`fair-share weight of ${tenant} must be a positive number, got ${weight}`);
  }
  if (!(resolved.realtimeReserve >= 0 && resolved.realtimeReserve < 1)) {
    throw new Error(`realtimeReserve must be in [0, 1), got ${resolved.realtimeReserve}`);
  }
  if (!(resolved.realtimeLoadShare > 0 && resolved.realtimeLoadShare <= 1)) {
    throw new Error(`realtimeLoadShare must be in (0, 1], got ${resolved.realtimeLoadShare}`);
  }
  if (!(resolved.serverQueueShare >= 0 && resolved.serverQueueShare <= 1)) {
    throw new Error(`serverQueueShare must be in [0, 1], got ${resolved.serverQueueShare}`);
  }
  for (const key of ['realtimeHoldMs', 'urgentMs'] as const) {
    if (!(resolved[key] >= 0)) throw new Error(`${key} must be zero or more, got ${resolved[key]}`);
  }
  return resolved;
}

/** One waiting call. */
export interface FairEntry<W> {
  readonly claim: Claim;
  readonly waiter: W;
  readonly seq: number;
  /** The queue it sits in (moves from batch to real-time when it turns urgent). */
  lane: Priority;
}

/** A FIFO without `Array.shift`: entries are taken from `head`, and removed ones are skipped. */
class Lane<W> {
  items: (FairEntry<W> | undefined)[] = [];
  head = 0;
  count = 0;

  push(entry: FairEntry<W>): void {
    this.items.push(entry);
    this.count += 1;
  }

  peek(): FairEntry<W> | undefined {
    while (this.head < this.items.length && this.items[this.head] === undefined) this.head += 1;
    return this.items[this.head];
  }

  shift(): FairEntry<W> | undefined {
    const entry = this.peek();
    if (!entry) return undefined;
    this.items[this.head] = undefined;
    this.head += 1;
    this.count -= 1;
    this.compact();
    return entry;
  }

  remove(entry: FairEntry<W>): boolean {
    const index = this.items.indexOf(entry, this.head);
    if (index < 0) return false;
    this.items[index] = undefined;
    this.count -= 1;
    this.compact();
    return true;
  }

  private compact(): void {
    if (this.count === 0) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The waiting calls of one backend, and the calls it has in flight per tenant and class,
 * deciding whom the next free slot goes to:
 *
 * 1. **Weighted max-min fair shares across tenants.** The slot goes to the tenant with a
 *    call waiting that has the fewest calls in flight on this backend per unit of weight
 *    (real-time and batch calls alike); ties go to a tenant with a real-time call
 *    waiting, then to the one that has started the least work per unit of weight, then
 *    to the earliest arrival. A tenant that wants less than its share gets all it wants
 *    (a small job never waits behind a big one), the others split the rest by weight, and
 *    a tenant alone gets every slot. Running calls are never stopped: slots free up one
 *    call at a time, so shares converge within one call duration of a change in demand.
 * 2. **Real-time ahead of batch.** Within a tenant's share its real-time calls (and its
 *    batch calls whose deadline nears) go before its batch calls. Batch calls of every
 *    tenant together stay under the server slots (the limit where there are none) less
 *    the real-time reserve while real-time traffic is about, and start only while all
 *    calls in flight are under the slots, so a burst finds free slots at once instead of
 *    waiting for batch calls to end, and never waits behind one in a server's own queue;
 *    with no real-time traffic for the hold, batch takes the limit, past the slots by at
 *    most `serverQueueShare` of them (work-conserving). Batch yields by not starting,
 *    never by failing a running call.
 *
 * A tenant's real-time flood beyond its share therefore does not starve another
 * tenant's batch job below its share: fairness between tenants comes first, priority
 * within a tenant and in the use of the reserve second. With the latency guard
 * ({@link FairShareOptions.realtimeLoadShare}) the same holds for load: while tenants'
 * real-time traffic meets, each keeps its weighted part of the guarded load.
 *
 * Disabled, it is one FIFO over every call (no class, no tenant, no reserve).
 */
export class FairQueue<W> {
  readonly #options: ResolvedFairShare;
  readonly #lanes: Record<Priority, Map<string, Lane<W>>> = { realtime: new Map(), batch: new Map() };
  readonly #inFlightByTenant = new Map<string, number>();
  readonly #startedByTenant = new Map<string, number>();
  readonly #inFlightByClass: Record<Priority, number> = { realtime: 0, batch: 0 };
  /** Real-time calls in flight per tenant (tenants with none are left out). */
  readonly #realtimeInFlightByTenant = new Map<string, number>();
  readonly #waitingByClass: Record<Priority, number> = { realtime: 0, batch: 0 };
  #lastRealtimeAt = Number.NEGATIVE_INFINITY;
  #seq = 0;
  /** Work per unit of weight of the last tenant served before its call (its start tag): where a tenant that starts waiting again joins. */
  #virtualTime = 0;
  /** Most real-time calls in flight at once in the current and the previous hold window. */
  readonly #peak = { current: 0, previous: 0, since: 0 };

  /** Calls that fill the backend's servers (Infinity: unknown, the limit stands for it). */
  readonly #serverSlots: number;

  /**
   * @param serverSlots calls that fill the backend's servers at once (`Backend.serverSlots`):
   *   while real-time traffic is about, the reserve and the latency guard are counted
   *   against it (or the limit, when smaller), so no batch call waits in a server's own
   *   first-come queue ahead of a real-time one.
   */
  constructor(options: FairShareOptions | ResolvedFairShare = {}, serverSlots?: number) {
    this.#options = resolveFairShare(options);
    this.#serverSlots = serverSlots !== undefined && serverSlots >= 1 ? Math.floor(serverSlots) : Number.POSITIVE_INFINITY;
  }

  /** Whether tenants and classes are told apart. */
  get enabled(): boolean {
    return this.#options.enabled;
  }

  /** Calls waiting. */
  get size(): number {
    return this.#waitingByClass.realtime + this.#waitingByClass.batch;
  }

  /** Calls in flight of one tenant (both classes). */
  inFlightOf(tenantId: string): number {
    return this.#inFlightByTenant.get(tenantId) ?? 0;
  }

  /** Calls in flight of one class. */
  inFlightOfClass(priority: Priority): number {
    return this.#inFlightByClass[priority];
  }

  /** The weight of a tenant. */
  weightOf(tenantId: string): number {
    return this.#options.weights[tenantId] ?? this.#options.defaultWeight;
  }

  /** The claim as the queue counts it: when disabled, every call is the same anonymous batch call (one FIFO). */
  normalise(claim: Claim): Claim {
    return this.#options.enabled ? claim : { tenantId: '', priority: 'batch' };
  }

  /**
   * Most batch calls that may be in flight under `limit` at `now`. With no real-time call
   * seen within the hold: the limit, or the server slots and `serverQueueShare` of them
   * when smaller. Else the server slots (or the limit, when smaller) less the reserve,
   * which is twice the most real-time calls seen in flight at once within the last one or
   * two holds (so a burst of that size again finds room), at least one slot, at most
   * `realtimeReserve` of those slots; batch keeps at least one slot. Fair sharing off: the limit.
   */
  batchCap(limit: number, now: number): number {
    if (!this.#options.enabled) return limit;
    const known = Number.isFinite(this.#serverSlots);
    this.#rollPeak(now);
    if (!this.#realtimeAbout(now)) {
      return known ? Math.min(limit, this.#serverSlots + Math.ceil(this.#serverSlots * this.#options.serverQueueShare)) : limit;
    }
    const slots = Math.min(limit, this.#serverSlots);
    if (this.#options.realtimeReserve === 0) return slots;
    const peak = Math.max(this.#peak.current, this.#peak.previous, this.#inFlightByClass.realtime);
    const reserve = Math.min(Math.ceil(slots * this.#options.realtimeReserve), Math.max(1, 2 * peak));
    return Math.max(1, slots - reserve);
  }

  /**
   * Most calls (real-time and batch together) that batch calls may fill under `limit` at
   * `now`: `limit`; while real-time traffic is about, the server slots (or the limit, when
   * smaller), so batch takes only what real-time leaves of the servers' sequences, or
   * `realtimeLoadShare` of them (at least one) with the latency guard.
   */
  loadCap(limit: number, now: number): number {
    if (!this.#options.enabled || !this.#realtimeAbout(now)) return limit;
    const slots = Math.min(limit, this.#serverSlots);
    if (this.#options.realtimeLoadShare >= 1) return slots;
    return Math.max(1, Math.floor(slots * this.#options.realtimeLoadShare));
  }

  /**
   * A tenant's part of `limit` by weight among the tenants with calls in flight or waiting
   * (itself included): `limit × its weight ÷ their weights' sum`. Not max-min (a light
   * tenant's unused part is not handed on): a floor each tenant's batch keeps under the
   * latency guard (batch and real-time alike), not the share the fair queue serves.
   */
  fairShareOf(tenantId: string, limit: number): number {
    // The active tenants' weights, each counted once, without building a set (this runs per pick).
    let total = 0;
    let counted = false;
    const add = (tenant: string): void => {
      total += this.weightOf(tenant);
      if (tenant === tenantId) counted = true;
    };
    for (const tenant of this.#inFlightByTenant.keys()) add(tenant);
    for (const tenant of this.#lanes.realtime.keys()) if (!this.#inFlightByTenant.has(tenant)) add(tenant);
    for (const tenant of this.#lanes.batch.keys()) {
      if (!this.#inFlightByTenant.has(tenant) && !this.#lanes.realtime.has(tenant)) add(tenant);
    }
    if (!counted) total += this.weightOf(tenantId);
    return (limit * this.weightOf(tenantId)) / total;
  }

  /**
   * Whether a batch call of `tenantId` (or, under the latency guard, a real-time one beside
   * another tenant's) may start with `inFlight` calls of `limit` in flight, as far as load
   * goes: while the load is under {@link loadCap}; past it, under the latency guard only,
   * while the tenant holds less than its weighted share of the guard's cap (another
   * tenant's real-time flood does not shut it out) and the calls in flight are under the
   * server slots (past them a call only waits in a server's queue).
   */
  #guardAdmits(tenantId: string, inFlight: number, limit: number, now: number): boolean {
    const cap = this.loadCap(limit, now);
    if (inFlight < cap) return true;
    return (
      this.#options.realtimeLoadShare < 1 &&
      inFlight < Math.min(limit, this.#serverSlots) &&
      this.inFlightOf(tenantId) < this.fairShareOf(tenantId, cap)
    );
  }

  /**
   * Whether a real-time call of `tenantId` may start with `inFlight` calls of `limit` in
   * flight, before the limit itself. A tenant alone (no other tenant's call in flight or
   * waiting) is held by nothing but the limit. Beside another tenant's real-time calls,
   * the latency guard (when on) admits it while the load is under the guard's cap or the
   * tenant holds less than its weighted part of it. Otherwise beside another tenant, it
   * starts while the calls in flight are under the server slots, or while the tenant
   * holds less than its weighted part of them: past the slots a call would wait in a
   * server's first-come queue, ahead of the other tenant's calls, so it waits here instead.
   */
  #realtimeAdmits(tenantId: string, inFlight: number, limit: number, now: number): boolean {
    if (this.#options.realtimeLoadShare < 1 && this.#otherTenant(tenantId, true)) return this.#guardAdmits(tenantId, inFlight, limit, now);
    if (!Number.isFinite(this.#serverSlots) || !this.#otherTenant(tenantId, false)) return true;
    const slots = Math.min(limit, this.#serverSlots);
    return inFlight < slots || this.inFlightOf(tenantId) < this.fairShareOf(tenantId, slots);
  }

  /**
   * Another tenant than `tenantId` has a call in flight or waiting; with `realtimeOnly`, a
   * real-time call in flight or one waiting in the real-time lane (where a batch call
   * served as real-time as its deadline nears also waits). Each map holds only tenants
   * with something in it, so its size tells (no allocation: this runs per pick).
   */
  #otherTenant(tenantId: string, realtimeOnly: boolean): boolean {
    if (realtimeOnly) return holdsOther(this.#lanes.realtime, tenantId) || holdsOther(this.#realtimeInFlightByTenant, tenantId);
    return (
      holdsOther(this.#inFlightByTenant, tenantId) || holdsOther(this.#lanes.realtime, tenantId) || holdsOther(this.#lanes.batch, tenantId)
    );
  }

  /** A real-time call is in flight or waiting, or one started within the hold. */
  #realtimeAbout(now: number): boolean {
    return (
      this.#inFlightByClass.realtime > 0 || this.#waitingByClass.realtime > 0 || now - this.#lastRealtimeAt < this.#options.realtimeHoldMs
    );
  }

  /** Starts a new peak window once the hold has passed (the previous one is kept). */
  #rollPeak(now: number): void {
    const hold = Math.max(1, this.#options.realtimeHoldMs);
    if (now - this.#peak.since < hold) return;
    this.#peak.previous = now - this.#peak.since < 2 * hold ? this.#peak.current : 0;
    this.#peak.current = 0;
    this.#peak.since = now;
  }

  /** Whether a call with `claim` may start now, with `inFlight` of `limit` slots taken, nobody ahead of it. */
  mayStart(claim: Claim, inFlight: number, limit: number, now: number): boolean {
    if (inFlight >= limit) return false;
    const normal = this.normalise(claim);
    const lane = this.#laneOf(normal, now);
    if (lane === 'realtime') return this.#waitingByClass.realtime === 0 && this.#realtimeAdmits(normal.tenantId, inFlight, limit, now);
    if (this.#waitingByClass.realtime > 0 || this.#waitingByClass.batch > 0) return false;
    return this.#inFlightByClass.batch < this.batchCap(limit, now) && this.#guardAdmits(normal.tenantId, inFlight, limit, now);
  }

  /** Queues a waiting call. */
  push(claim: Claim, waiter: W, now: number): FairEntry<W> {
    const normal = this.normalise(claim);
    const entry: FairEntry<W> = { claim: normal, waiter, seq: this.#seq++, lane: this.#laneOf(normal, now) };
    const { tenantId } = normal;
    if (!this.#lanes.realtime.has(tenantId) && !this.#lanes.batch.has(tenantId)) {
      // A tenant that was idle does not bank the time it was away (start-time fair queuing).
      const caughtUp = this.#virtualTime * this.weightOf(tenantId);
      if ((this.#startedByTenant.get(tenantId) ?? 0) < caughtUp) this.#startedByTenant.set(tenantId, caughtUp);
    }
    this.#laneFor(entry.lane, tenantId).push(entry);
    this.#waitingByClass[entry.lane] += 1;
    return entry;
  }

  /** Takes a waiting call off the queue (its caller gave up); false when it was not there. */
  remove(entry: FairEntry<W>): boolean {
    const lane = this.#lanes[entry.lane].get(entry.claim.tenantId);
    if (!lane?.remove(entry)) return false;
    this.#waitingByClass[entry.lane] -= 1;
    if (lane.count === 0) this.#lanes[entry.lane].delete(entry.claim.tenantId);
    return true;
  }

  /**
   * Takes the call the next free slot goes to, with `inFlight` of `limit` slots taken,
   * and counts it as started; undefined when none may start.
   */
  next(inFlight: number, limit: number, now: number): FairEntry<W> | undefined {
    if (inFlight >= limit || this.size === 0) return undefined;
    this.#promoteUrgent(now);
    const batchMayStart = this.#inFlightByClass.batch < this.batchCap(limit, now);
    const tenantId = this.#pickTenant(inFlight, limit, now, batchMayStart);
    if (tenantId === undefined) return undefined;
    const lane: Priority = this.#lanes.realtime.has(tenantId) ? 'realtime' : 'batch';
    const tenantLane = this.#lanes[lane].get(tenantId)!;
    const entry = tenantLane.shift()!;
    if (tenantLane.count === 0) this.#lanes[lane].delete(tenantId);
    this.#waitingByClass[lane] -= 1;
    this.started(entry.claim, now);
    return entry;
  }

  /** Counts a call as started (one that took a free slot without waiting, or one {@link next} picked). */
  started(claim: Claim, now: number): void {
    const { tenantId, priority } = this.normalise(claim);
    const work = this.#startedByTenant.get(tenantId) ?? 0;
    this.#virtualTime = work / this.weightOf(tenantId);
    this.#inFlightByTenant.set(tenantId, this.inFlightOf(tenantId) + 1);
    this.#startedByTenant.set(tenantId, work + 1);
    this.#inFlightByClass[priority] += 1;
    if (priority === 'realtime') {
      this.#realtimeInFlightByTenant.set(tenantId, (this.#realtimeInFlightByTenant.get(tenantId) ?? 0) + 1);
      this.#lastRealtimeAt = now;
      this.#rollPeak(now);
      this.#peak.current = Math.max(this.#peak.current, this.#inFlightByClass.realtime);
    }
  }

  /** Counts a call as ended. */
  ended(claim: Claim): void {
    const { tenantId, priority } = this.normalise(claim);
    const left = this.inFlightOf(tenantId) - 1;
    if (left > 0) this.#inFlightByTenant.set(tenantId, left);
    else this.#inFlightByTenant.delete(tenantId);
    this.#inFlightByClass[priority] = Math.max(0, this.#inFlightByClass[priority] - 1);
    if (priority === 'realtime') {
      const realtimeLeft = (this.#realtimeInFlightByTenant.get(tenantId) ?? 0) - 1;
      if (realtimeLeft > 0) this.#realtimeInFlightByTenant.set(tenantId, realtimeLeft);
      else this.#realtimeInFlightByTenant.delete(tenantId);
    }
  }

  #laneOf(claim: Claim, now: number): Priority {
    if (claim.priority === 'realtime') return 'realtime';
    return claim.urgentAt !== undefined && now >= claim.urgentAt ? 'realtime' : 'batch';
  }

  #laneFor(priority: Priority, tenantId: string): Lane<W> {
    let lane = this.#lanes[priority].get(tenantId);
    if (!lane) {
      lane = new Lane<W>();
      this.#lanes[priority].set(tenantId, lane);
    }
    return lane;
  }

  /** Moves each tenant's first waiting batch call to the real-time lane once its deadline nears. */
  #promoteUrgent(now: number): void {
    if (!this.#options.enabled || this.#waitingByClass.batch === 0) return;
    for (const [tenantId, lane] of [...this.#lanes.batch]) {
      for (let entry = lane.peek(); entry && this.#laneOf(entry.claim, now) === 'realtime'; entry = lane.peek()) {
        lane.shift();
        this.#waitingByClass.batch -= 1;
        entry.lane = 'realtime';
        this.#laneFor('realtime', tenantId).push(entry);
        this.#waitingByClass.realtime += 1;
      }
      if (lane.count === 0) this.#lanes.batch.delete(tenantId);
    }
  }

  /**
   * The tenant with a call that may start furthest below its weighted share (fewest calls
   * in flight per unit of weight); on a tie, one with a real-time call waiting, then the
   * one with the least work started per unit of weight, then the earliest arrival.
   */
  #pickTenant(inFlight: number, limit: number, now: number, batchMayStart: boolean): string | undefined {
    let best: Candidate | undefined;
    for (const [tenantId, lane] of this.#lanes.realtime) {
      const head = lane.peek();
      if (head && this.#realtimeAdmits(tenantId, inFlight, limit, now)) best = this.#better(best, tenantId, head, true);
    }
    if (!batchMayStart) return best?.tenantId;
    for (const [tenantId, lane] of this.#lanes.batch) {
      const head = lane.peek();
      if (head && !this.#lanes.realtime.has(tenantId) && this.#guardAdmits(tenantId, inFlight, limit, now)) {
        best = this.#better(best, tenantId, head, false);
      }
    }
    return best?.tenantId;
  }

  /** `best`, or the tenant whose waiting call `head` ranks before it (a method, not a closure made per pick). */
  #better(best: Candidate | undefined, tenantId: string, head: FairEntry<W>, realtime: boolean): Candidate | undefined {
    const weight = this.weightOf(tenantId);
    const load = this.inFlightOf(tenantId) / weight;
    const work = (this.#startedByTenant.get(tenantId) ?? 0) / weight;
    const better =
      !best ||
      load < best.load ||
      (load === best.load &&
        ((realtime && !best.realtime) ||
          (realtime === best.realtime && (work < best.work || (work === best.work && head.seq < best.seq)))));
    return better ? { tenantId, load, realtime, work, seq: head.seq } : best;
  }
}

/** A tenant considered by {@link FairQueue}'s pick: its load and work per unit of weight, and its head's arrival. */
interface Candidate {
  tenantId: string;
  load: number;
  realtime: boolean;
  work: number;
  seq: number;
}

/** Whether a map keyed by tenant holds a tenant other than `tenantId`. */
function holdsOther(map: ReadonlyMap<string, unknown>, tenantId: string): boolean {
  return map.size > (map.has(tenantId) ? 1 : 0);
}
