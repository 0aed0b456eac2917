import type { Job } from '../job/Job';
import type { JobStore } from '../job/ports';

/** Queued batch lines per public model id: what each model's GPU pool has waiting. */
export type PoolBacklog = Record<string, number>;

/** What {@link measurePoolBacklog} needs. */
export interface PoolBacklogDeps {
  jobs: Pick<JobStore, 'listActive'>;
  /** The models that have a GPU pool: each gets a value, 0 when nothing waits, so the scaling signal never goes missing. */
  pools: readonly string[];
  /** Where the pools' backlog goes (the `PoolBacklog` metric). */
  publish: (backlog: PoolBacklog) => void;
  /** Most active jobs read in one run. */
  limit?: number;
}

/**
 * The batch lines of one job still waiting, shared among its models: the lines not yet
 * recorded (completed or failed), at most the lines that run on demand (lines planned for
 * Bedrock batch inference never wait for a GPU), split by each model's share of those
 * lines. Only a job `in_progress` and not paused (its tenant over budget) has lines to
 * run; a cancelling or expired job drains without calling a backend. A job made before ingest recorded the split counts all its
 * waiting lines for its one model, or for none when its lines mix models.
 */
export function waitingLines(job: Job): PoolBacklog {
  if (job.status !== 'in_progress' || job.pausedAt !== undefined) return {};
  const left = Math.max(0, job.requestCounts.total - job.requestCounts.completed - job.requestCounts.failed);
  if (left === 0) return {};
  const split = job.onDemandLines ?? (job.model ? { [job.model]: left } : {});
  const onDemand = Object.values(split).reduce((sum, lines) => sum + lines, 0);
  if (onDemand === 0) return {};
  const waiting = Math.min(left, onDemand);
  return Object.fromEntries(Object.entries(split).map(([model, lines]) => [model, Math.round((waiting * lines) / onDemand)]));
}

/**
 * The scheduled measure of the GPU pools' batch backlog: every active job's waiting lines
 * ({@link waitingLines}), summed per model, and published once for all of them. One
 * publisher computing the total means two jobs of one model add up (each job publishing
 * its own figure would have the scaling read one of them), and nothing is written per
 * line or per request: one query of the active jobs a minute.
 */
export async function measurePoolBacklog(deps: PoolBacklogDeps): Promise<PoolBacklog> {
  const backlog: PoolBacklog = Object.fromEntries(deps.pools.map((pool) => [pool, 0]));
  for (const job of await deps.jobs.listActive(deps.limit ?? 1000)) {
    for (const [model, lines] of Object.entries(waitingLines(job))) backlog[model] = (backlog[model] ?? 0) + lines;
  }
  deps.publish(backlog);
  return backlog;
}
