import { Logger } from '@aws-lambda-powertools/logger';
import { redactSecrets } from './redaction';

/**
 * The platform's one structured logger (Powertools). Nothing logs request content or
 * keys: log ids, counts and codes, never bodies. Should a key reach it anyway (an
 * `Authorization` header, an `api_key` query parameter, in any attribute or message), it
 * is redacted on the way out ({@link redactSecrets}).
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'inference-platform',
  jsonReplacerFn: redactSecrets,
});

/** Runs an observation hook (metrics, logs): what it throws is logged, never passed on. */
export function observe(hook: () => void): void {
  try {
    hook();
  } catch (error) {
    logger.warn('observation hook failed', { error: error as Error });
  }
}
