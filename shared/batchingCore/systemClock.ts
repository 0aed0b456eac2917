import type { Clock } from './types';

/**
 * The real {@link Clock}: wall-clock milliseconds since the Unix epoch, so a deadline
 * computed as `Date.now() + context.getRemainingTimeInMillis()` compares directly.
 * `sleep` is a `setTimeout` that is cleared when the signal aborts, so an abandoned wait
 * leaves no timer behind to keep a Lambda's event loop busy. `setTimer` is the same
 * without a promise or a signal, for the timers the core sets on every call.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  setTimer(ms: number, fire: () => void): () => void {
    const timer = setTimeout(fire, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** The signal's reason, or an AbortError when the signal was aborted without one. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}
