/** The signal a provider hands to its transport, and how to tell why it fired. */
export interface CallSignal {
  /** Fires when the caller aborts or the call's time is up. */
  signal: AbortSignal;
  /** True once the call's own timeout (not the caller) has fired. */
  timedOut(): boolean;
}

/**
 * Combines the caller's signal (deadline, shutdown) with a per-call timeout, so that a
 * hung backend cannot hold a batch slot longer than `timeoutMs` and the error can say
 * which of the two stopped the call.
 */
export function callSignal(timeoutMs: number | undefined, callerSignal?: AbortSignal): CallSignal {
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const signals = [callerSignal, timeout].filter((s): s is AbortSignal => s !== undefined);
  // A signal that never fires keeps the transports' code paths the same when neither is given.
  const signal = signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
  return { signal, timedOut: () => timeout?.aborted === true };
}
