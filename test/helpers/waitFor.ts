/**
 * The one polling helper of the tests. Polls `read` until `done` holds of its value, and
 * returns that value; fails after `timeoutMs` naming `what` it waited for (when given) and
 * the last value read.
 */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 120_000,
  intervalMs = 250,
  what?: string,
): Promise<T> {
  const start = Date.now();
  let value = await read();
  while (!done(value)) {
    if (Date.now() - start > timeoutMs)
      throw new Error(
        `Timed out after ${timeoutMs} ms${what ? ` waiting for ${what}` : ''}; last value: ${String(JSON.stringify(value)).slice(0, 2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await read();
  }
  return value;
}

/** Polls `check` until it returns something other than undefined or false (every 50 ms, 10 s at most by default). */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  return (await waitFor(check, (value) => value !== undefined && value !== false, timeoutMs, 50, what)) as T;
}
