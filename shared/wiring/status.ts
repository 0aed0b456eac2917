import type { Config } from '../config/config';
import { probeServer } from '../providers/openai/probeServer';
import { checkBackends, type StatusReport } from '../routing/backendStatus';
import { loadCatalogue } from '../routing/defaultCatalogue';

/*
 * The wiring of the status route: the catalogue from configuration, its GPU servers probed
 * over HTTP. Call once per module.
 */

/** A check of every model's backends, each probe allowed `timeoutMs`. */
export function createBackendStatusCheck(config: Config, timeoutMs: number): () => Promise<StatusReport> {
  const { models } = loadCatalogue(config);
  return () => checkBackends(models, probeServer, { timeoutMs });
}
