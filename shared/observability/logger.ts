import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The platform's one structured logger (Powertools). Nothing logs request content or
 * keys: log ids, counts and codes, never bodies.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'inference-platform' });

/** Runs an observation hook (metrics, logs): what it throws is logged, never passed on. */
export function observe(hook: () => void): void {
  try {
    hook();
  } catch (error) {
    logger.warn('observation hook failed', { error: error as Error });
  }
}
