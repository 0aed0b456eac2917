import type { LocalPlatformProcess } from '../localPlatform';
import { waitFor } from '../waitFor';

/**
 * The simulator's control routes as the client end-to-end tests use them: its counters
 * (`GET /_sim/stats`) and its knobs (`POST /_sim/config`, shared/devTools/gpuSimulator/SimulatorConfig.ts).
 */

/** The per-face counters the client tests read (shared/devTools/gpuSimulator/SimulatorStats.ts). */
export interface FaceCounters {
  requests: number;
  injectedErrors: number;
  statuses: Record<string, number>;
  byRoute: Record<string, { requests: number; items: number }>;
  /** Chat answers served as a stream. */
  streamed: number;
  /** Requests whose client went away before the answer was complete; their generation stopped. */
  cancelled: number;
  /** Planned completion tokens never generated because their client went away. */
  cancelledTokens: number;
  completionTokens: number;
}

export interface SimulatorCounters {
  faces: Record<'openai' | 'bedrock', FaceCounters>;
}

export async function simulatorStats(platform: LocalPlatformProcess): Promise<SimulatorCounters> {
  const response = await fetch(`${platform.simulator}/_sim/stats`);
  if (response.status !== 200) throw new Error(`GET /_sim/stats answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as SimulatorCounters;
}

/** Applies a partial configuration; throws with the simulator's message when it refuses it. */
export async function configureSimulator(platform: LocalPlatformProcess, patch: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${platform.simulator}/_sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (response.status !== 200)
    throw new Error(`POST /_sim/config ${JSON.stringify(patch)} answered ${response.status}: ${await response.text()}`);
}

/** Polls `probe` every 50 ms until it returns true; throws after `timeoutMs`. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitFor(probe, (ok) => ok, timeoutMs, 50, what);
}
