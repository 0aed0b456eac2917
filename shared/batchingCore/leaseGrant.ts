import { leaseKey, type LeaseBook, type LeaseEntry } from './LeaseStore';

/** What one container asks of a backend's book at a write: per tenant, what it wants and uses. */
export interface LeaseRequest {
  holder: string;
  /** The backend's budget: the most calls in flight against it across the fleet. */
  capacity: number;
  /** Clock time of the write; entries that expired by then are dropped. */
  now: number;
  /** How long the granted entries last. */
  ttlMs: number;
  /**
   * Per tenant: `want`, the slots the holder could use (calls in flight plus waiting, at
   * most its own learned limit), of which `realtime` for real-time calls (default 0), and
   * `inUse`, the calls it has in flight. A tenant the holder no longer names (or names
   * with both `want` and `inUse` 0) has its entry removed.
   */
  tenants: Readonly<Record<string, { want: number; inUse: number; realtime?: number }>>;
}

/** What the holder got for one tenant. */
export interface TenantGrant {
  /** Slots recorded in the book for the holder: never fewer than it still has in flight of what it held. */
  slots: number;
  /**
   * Calls it may have in flight from now: `slots`, or less when its fair share shrank
   * below what it uses (it then starts nothing until enough calls end, and gives the
   * rest back at its next write).
   */
  allowance: number;
}

/** The book to write and the holder's grants. */
export interface LeaseGrantResult {
  book: LeaseBook;
  grants: Record<string, TenantGrant>;
}

/**
 * Weighted max-min fair shares of `capacity` among claimants with `demands`: every
 * claimant that wants less than its weighted share of what is left gets all it wants, and
 * the others split the rest in proportion to their weights (water-filling). Shares are
 * real numbers; their sum is min(capacity, total demand).
 */
export function weightedMaxMin(
  capacity: number,
  demands: ReadonlyMap<string, number>,
  weightOf: (claimant: string) => number,
): Map<string, number> {
  const shares = new Map<string, number>();
  const order = [...demands].filter(([, demand]) => demand > 0).sort(([a, da], [b, db]) => da / weightOf(a) - db / weightOf(b));
  let left = Math.max(0, capacity);
  let weightLeft = order.reduce((sum, [claimant]) => sum + weightOf(claimant), 0);
  for (const [claimant, demand] of order) {
    const weight = weightOf(claimant);
    const share = Math.min(demand, (left * weight) / weightLeft);
    shares.set(claimant, share);
    left -= share;
    weightLeft -= weight;
  }
  for (const [claimant] of demands) if (!shares.has(claimant)) shares.set(claimant, 0);
  return shares;
}

/** A holder's part of its tenant's share: its real-time want first, then its batch want from what real-time leaves. */
function holderShares(
  tenantShare: number,
  wants: ReadonlyMap<string, { want: number; realtime: number }>,
): { realtime: Map<string, number>; batch: Map<string, number> } {
  const equal = () => 1;
  const realtime = weightedMaxMin(tenantShare, new Map([...wants].map(([holder, want]) => [holder, want.realtime])), equal);
  const left = tenantShare - [...realtime.values()].reduce((sum, share) => sum + share, 0);
  const batch = weightedMaxMin(left, new Map([...wants].map(([holder, want]) => [holder, want.want - want.realtime])), equal);
  return { realtime, batch };
}

/**
 * The rule of the fleet budget: what one container may hold of a backend's budget, and
 * the book that records it. Pure; the container writes the returned book on the
 * condition that the one it read is still current, so every write applies it to the
 * whole fleet's latest state.
 *
 * 1. Entries whose lease has expired count for nothing and are dropped.
 * 2. The budget is shared among the tenants that want slots (every holder's announced
 *    `want`, the asking holder's new one included) by weighted max-min fairness
 *    ({@link weightedMaxMin}, tenant weights), then each tenant's share among its holders
 *    with equal weights, **real-time ahead of batch**: first among the holders' real-time
 *    wants, then what is left among their batch wants (an API container's real-time calls
 *    before a worker's lines of the same tenant). The holder's entitlement for a tenant is
 *    its share rounded up, at most what it wants. A tenant alone gets the whole budget.
 *    Fairness between tenants comes first, as within a container: a tenant's real-time
 *    flood beyond its share takes nothing from another tenant's batch share.
 * 3. The holder keeps what it holds and still uses (a running call is never cut), and
 *    takes more up to its entitlement from what the others do not hold.
 *
 * Whatever the demands: the slots recorded in a written book never sum to more than
 * `capacity`, as long as the book read did not (the holder's kept slots were counted in it).
 * Entitlements are within one slot of the exact fair share; a holder over its share is
 * told so (`allowance` below `slots`) and shrinks as its calls end, so shares converge
 * within one renewal plus one call duration of a change in demand.
 */
export function grantLeases(book: LeaseBook, request: LeaseRequest, weightOf: (tenant: string) => number): LeaseGrantResult {
  const { holder, capacity, now } = request;
  const others: LeaseEntry[] = [];
  const previous = new Map<string, LeaseEntry>();
  for (const entry of Object.values(book.leases)) {
    if (entry.expiresAt <= now) continue;
    if (entry.holder === holder) previous.set(entry.tenant, entry);
    else others.push(entry);
  }
  const asked = Object.entries(request.tenants)
    .filter(([, { want, inUse }]) => want > 0 || inUse > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const tenantDemand = new Map<string, number>();
  const holderWants = new Map<string, Map<string, { want: number; realtime: number }>>();
  const addWant = (tenant: string, who: string, want: number, realtime: number): void => {
    tenantDemand.set(tenant, (tenantDemand.get(tenant) ?? 0) + want);
    const wants = holderWants.get(tenant) ?? new Map<string, { want: number; realtime: number }>();
    const known = wants.get(who) ?? { want: 0, realtime: 0 };
    wants.set(who, { want: known.want + want, realtime: known.realtime + Math.min(want, Math.max(0, realtime)) });
    holderWants.set(tenant, wants);
  };
  for (const entry of others) addWant(entry.tenant, entry.holder, entry.want, entry.realtime ?? 0);
  for (const [tenant, { want, realtime }] of asked) addWant(tenant, holder, want, realtime ?? 0);
  const tenantShares = weightedMaxMin(capacity, tenantDemand, weightOf);

  // What the holder keeps first: its slots still in use (never more than it held).
  const kept = new Map(asked.map(([tenant, { inUse }]) => [tenant, Math.min(inUse, previous.get(tenant)?.slots ?? 0)]));
  let free = capacity - others.reduce((sum, entry) => sum + entry.slots, 0) - [...kept.values()].reduce((sum, n) => sum + n, 0);

  const leases: Record<string, LeaseEntry> = {};
  for (const entry of others) leases[leaseKey(entry.holder, entry.tenant)] = entry;
  const grants: Record<string, TenantGrant> = {};
  for (const [tenant, { want, realtime }] of asked) {
    const shares = holderShares(tenantShares.get(tenant) ?? 0, holderWants.get(tenant)!);
    const holderShare = (shares.realtime.get(holder) ?? 0) + (shares.batch.get(holder) ?? 0);
    const entitled = Math.min(want, Math.ceil(holderShare - 1e-9));
    const keep = kept.get(tenant)!;
    const extra = Math.max(0, Math.min(entitled - keep, free));
    free -= extra;
    const slots = keep + extra;
    grants[tenant] = { slots, allowance: Math.min(slots, entitled) };
    const realtimeWant = Math.min(want, Math.max(0, realtime ?? 0));
    leases[leaseKey(holder, tenant)] = {
      holder,
      tenant,
      slots,
      want,
      ...(realtimeWant > 0 ? { realtime: realtimeWant } : {}),
      expiresAt: now + request.ttlMs,
    };
  }
  return { book: { version: book.version + 1, leases }, grants };
}
