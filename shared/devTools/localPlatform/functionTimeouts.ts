import { LocalPlatformError } from './errors';

/**
 * The function timeouts `LOCAL_FUNCTION_TIMEOUTS` replaces, by function key:
 * comma-separated `key:seconds` (`chatCompletions:8,embeddings:6`). A test knob, so that
 * what happens at a function's deadline (a hung backend, the fallback, the 504) can be
 * watched in seconds rather than in the 900 s of a streaming function. Unknown keys and
 * values that are not positive numbers are refused at start.
 */
export function functionTimeoutsFromEnv(env: NodeJS.ProcessEnv, knownFunctions: readonly string[]): Map<string, number> {
  const timeouts = new Map<string, number>();
  for (const entry of (env.LOCAL_FUNCTION_TIMEOUTS ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [key, value] = entry.split(':').map((part) => part.trim());
    const seconds = Number(value);
    if (!key || !knownFunctions.includes(key)) {
      throw new LocalPlatformError(
        `LOCAL_FUNCTION_TIMEOUTS names ${key || '(nothing)'}, not a function of serverless.yml (${knownFunctions.join(', ')})`,
        { code: 'BAD_OPTION' },
      );
    }
    if (!(seconds > 0))
      throw new LocalPlatformError(`LOCAL_FUNCTION_TIMEOUTS ${key}: '${value ?? ''}' is not a positive number of seconds`, {
        code: 'BAD_OPTION',
      });
    timeouts.set(key, seconds);
  }
  return timeouts;
}
