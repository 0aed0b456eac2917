import type { LeaseBook, LeaseStore, LeaseWriteResult } from '../../shared/batchingCore/LeaseStore';

/**
 * The lease books in memory, with the store's conditional write: what the DynamoDB item
 * does, for unit tests and the benchmark. Every written book is checked against the
 * budget's invariant by `onWrite`, if given. `delay` stands in for the store's round trip.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly books = new Map<string, LeaseBook>();
  reads = 0;
  writes = 0;
  conflicts = 0;
  /** Makes the next calls fail with this error, while set. */
  failWith: Error | undefined;

  constructor(private readonly options: { delay?: () => Promise<void>; onWrite?: (backendId: string, book: LeaseBook) => void } = {}) {}

  async read(backendId: string): Promise<LeaseBook> {
    await this.options.delay?.();
    if (this.failWith) throw this.failWith;
    this.reads += 1;
    return structuredClone(this.books.get(backendId) ?? { version: 0, leases: {} });
  }

  async write(backendId: string, book: LeaseBook, expectedVersion: number): Promise<LeaseWriteResult> {
    await this.options.delay?.();
    if (this.failWith) throw this.failWith;
    const current = this.books.get(backendId) ?? { version: 0, leases: {} };
    if (current.version !== expectedVersion) {
      this.conflicts += 1;
      return { written: false, current: structuredClone(current) };
    }
    this.writes += 1;
    this.books.set(backendId, structuredClone(book));
    this.options.onWrite?.(backendId, book);
    return { written: true };
  }

  /** Slots recorded for a backend, by tenant, counting only entries live at `now`. */
  slotsByTenant(backendId: string, now: number): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const entry of Object.values(this.books.get(backendId)?.leases ?? {})) {
      if (entry.expiresAt > now) totals[entry.tenant] = (totals[entry.tenant] ?? 0) + entry.slots;
    }
    return totals;
  }
}
