import type { CallSignal } from './callSignal';

/** The signal of one streamed call: a {@link CallSignal} whose timeout stops at the first piece. */
export interface StreamSignal extends CallSignal {
  /** The first piece has arrived: from now on only the caller's signal (or {@link cancel}) stops the call. */
  started(): void;
  /** Stops the call from our side (the consumer stopped reading): the transport drops the connection. */
  cancel(): void;
  /** Releases the timer and the listener on the caller's signal; call once the stream is over. */
  dispose(): void;
}

/**
 * Combines the caller's signal with a per-call timeout that only covers the wait for the
 * first piece of a stream. A stream that has started answering may run as long as the
 * caller wants (its deadline, the client staying connected); what the timeout guards
 * against is a backend that accepts the request and never starts.
 */
export function streamSignal(timeoutMs: number | undefined, callerSignal?: AbortSignal): StreamSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted === true) controller.abort(callerSignal.reason);
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  let timer: NodeJS.Timeout | undefined =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new DOMException('The backend did not start answering in time.', 'TimeoutError'));
        }, timeoutMs);
  const stopTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    started: stopTimer,
    cancel: () => {
      stopTimer();
      if (!controller.signal.aborted) controller.abort(new DOMException('The consumer stopped reading the stream.', 'AbortError'));
    },
    dispose: () => {
      stopTimer();
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}
