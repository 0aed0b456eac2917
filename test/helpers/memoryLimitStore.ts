import type { CounterDraw, LimitCounterStore } from '../../shared/limits/types';

/** Window counters and slots in memory, with the DynamoDB store's conditional semantics; counts its writes. */
export class MemoryLimitCounterStore implements LimitCounterStore {
  readonly counters = new Map<string, number>();
  readonly slots = new Map<string, number>();
  writes = 0;

  async draw(draw: CounterDraw): Promise<{ granted: boolean; total: number }> {
    await Promise.resolve();
    const key = `${draw.scope}#${draw.windowStart}#${draw.resource}`;
    const total = this.counters.get(key) ?? 0;
    if (total + draw.amount > draw.limit) return { granted: false, total };
    this.writes += 1;
    this.counters.set(key, total + draw.amount);
    return { granted: true, total: total + draw.amount };
  }

  /** The shared counter of a scope's window. */
  total(scope: string, windowStart: number, resource: 'requests' | 'tokens'): number {
    return this.counters.get(`${scope}#${windowStart}#${resource}`) ?? 0;
  }

  async acquireSlot(scope: string, slotKey: string, limit: number): Promise<{ granted: boolean; inFlight: number }> {
    const key = `${scope}#${slotKey}`;
    const inFlight = this.slots.get(key) ?? 0;
    if (inFlight >= limit) return { granted: false, inFlight };
    this.slots.set(key, inFlight + 1);
    return { granted: true, inFlight: inFlight + 1 };
  }

  async releaseSlot(scope: string, slotKey: string): Promise<void> {
    const key = `${scope}#${slotKey}`;
    this.slots.set(key, Math.max(0, (this.slots.get(key) ?? 0) - 1));
  }
}
