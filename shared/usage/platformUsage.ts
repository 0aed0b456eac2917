import type { MiddlewareObj } from '@middy/core';
import type { UsageMeter } from './UsageMeter';

let meter: UsageMeter | undefined;

/**
 * The container's usage meter: the first call builds it with `build` (its composition
 * root, shared/wiring/realtime.ts, gives the store and flush policy), later calls return
 * the same one. Real-time handlers count into it; {@link usageMiddleware} settles it at
 * the end of each invocation.
 */
export function containerUsageMeter(build: () => UsageMeter): UsageMeter {
  meter ??= build();
  return meter;
}

/** Waits for the container's usage flush in flight, and flushes if one is due (no-op when nothing counts usage). */
export async function settleUsage(): Promise<void> {
  await meter?.settle();
}

/**
 * Middleware: settles the usage meter before the invocation ends. A frozen Lambda runs
 * no timers, so a flush that is due must be written while the invocation is still alive.
 */
export function usageMiddleware(): MiddlewareObj {
  return { after: settleUsage, onError: settleUsage };
}
