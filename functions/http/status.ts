import { loadConfig } from '../../shared/config/config';
import { httpRoute } from '../../shared/http/httpRoute';
import { jsonResponse } from '../../shared/http/responses';
import type { StatusReport } from '../../shared/routing/backendStatus';
import { createBackendStatusCheck } from '../../shared/wiring/status';

/** How long one probe of the GPU servers may take, and how long its answer is reused. */
const PROBE_TIMEOUT_MS = 2_000;
const REUSE_MS = 5_000;

/**
 * `GET /v1/status`: each model's backends by name (`gpu-pool`, `bedrock`) and their health
 * from a probe of the GPU servers. One probe serves every caller of this instance for a few
 * seconds, so status pages polling it do not multiply the calls to the GPU servers.
 */
export const createHandler = (deps: { report: () => Promise<StatusReport> }) =>
  httpRoute(async () => jsonResponse(200, await deps.report(), { 'cache-control': 'no-store' }));

/** `check`, its answer reused for `ms` (a failed check is not kept). */
export function reusedFor(ms: number, check: () => Promise<StatusReport>, now = Date.now): () => Promise<StatusReport> {
  let last: { at: number; report: Promise<StatusReport> } | undefined;
  return () => {
    if (!last || now() - last.at >= ms) {
      const report = check();
      const entry = { at: now(), report };
      last = entry;
      report.catch(() => {
        if (last === entry) last = undefined;
      });
    }
    return last.report;
  };
}

export const handler = createHandler({ report: reusedFor(REUSE_MS, createBackendStatusCheck(loadConfig(), PROBE_TIMEOUT_MS)) });
