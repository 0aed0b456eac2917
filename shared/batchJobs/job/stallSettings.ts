import * as z from 'zod';
import { ConfigError, PARSED_ONCE } from '../../config/config';

/** The stall sweep's settings (see sweepStalledJobs). */
export interface StallSettings {
  /** Seconds without progress after which a running job counts as stalled. */
  stalledAfterSeconds: number;
  /** Redrives of a stalled job before its unfinished chunks are abandoned. */
  maxRedrives: number;
}

/**
 * Defaults: two hours (longer than a chunk's worst honest run, a 1,800 s visibility
 * timeout and its retries at the pace of their cause) and three redrives, well inside
 * the 24 h completion window.
 */
const StallSchema = z.object({
  STALLED_AFTER_SECONDS: z.coerce.number().int().positive().default(7_200),
  STALLED_MAX_REDRIVES: z.coerce.number().int().nonnegative().default(3),
});

/** Reads the stall settings from the environment; a bad value fails at cold start, naming it. */
export function loadStallSettings(env: NodeJS.ProcessEnv = process.env): StallSettings {
  const parsed = StallSchema.safeParse(env, PARSED_ONCE);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  return { stalledAfterSeconds: parsed.data.STALLED_AFTER_SECONDS, maxRedrives: parsed.data.STALLED_MAX_REDRIVES };
}
