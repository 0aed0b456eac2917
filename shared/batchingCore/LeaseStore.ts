/**
 * The fleet budget's shared state: one lease book per backend, kept where every container
 * of the fleet can reach it (a DynamoDB item in production, memory in tests and the
 * benchmark). The book is only ever replaced whole, on the condition that nobody changed
 * it since it was read: the rule that decides what goes into it ({@link grantLeases}) is
 * pure and runs in the container.
 * @module
 */

/** The slots one container holds on a backend for one tenant, and what it asked for. */
export interface LeaseEntry {
  /** The container (a random id per process). */
  holder: string;
  /** The tenant the slots serve (`''` when fair sharing is off). */
  tenant: string;
  /** Slots held: the most calls the holder may have in flight for the tenant. */
  slots: number;
  /** Slots the holder wanted at its last write (its demand, announced to the others). */
  want: number;
  /** Of `want`, the slots for real-time calls, which go before batch ones within the tenant's share (absent: 0). */
  realtime?: number;
  /** Clock time (epoch ms) after which the entry counts for nothing: a crashed holder leaks nothing for longer. */
  expiresAt: number;
}

/** One backend's leases, by {@link leaseKey}, and the version every write bumps by one. */
export interface LeaseBook {
  /** 0 for a book never written. */
  version: number;
  leases: Record<string, LeaseEntry>;
}

/** What a conditional write came to. */
export type LeaseWriteResult = { written: true } | { written: false; current: LeaseBook };

/** Where the lease books live. */
export interface LeaseStore {
  /** The current book of a backend (strongly consistent); an empty one at version 0 if none. */
  read(backendId: string): Promise<LeaseBook>;
  /**
   * Replaces the book of a backend with `book` if its version is still `expectedVersion`
   * (0: no book yet); otherwise writes nothing and returns the current book.
   */
  write(backendId: string, book: LeaseBook, expectedVersion: number): Promise<LeaseWriteResult>;
}

/** The key of an entry in a book. */
export function leaseKey(holder: string, tenant: string): string {
  return `${holder}|${tenant}`;
}

/** An empty book. */
export const EMPTY_LEASE_BOOK: LeaseBook = Object.freeze({ version: 0, leases: Object.freeze({}) }) as LeaseBook;
