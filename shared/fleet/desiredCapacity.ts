/** What the sizing rule needs to know of one GPU pool. */
export interface PoolSizing {
  /** Work waiting for the pool: queued batch lines plus real-time requests in flight. */
  backlog: number;
  /** Requests (or lines) one instance finishes per second at full load. */
  throughputPerInstance: number;
  /** Seconds from launching an instance to its server answering its health route. */
  startupSeconds: number;
  /**
   * How soon the backlog should be worked off, in seconds. An instance cannot help before
   * it has started, so the rule never aims sooner than `startupSeconds`.
   */
  drainSeconds: number;
  /** Instances kept whatever the backlog (a warm minimum for real-time; 0 lets the pool scale to zero). */
  min: number;
  /** Most instances the pool may have. */
  max: number;
}

/**
 * The sizing rule: how many instances a pool should run so that its backlog is worked off
 * within `max(drainSeconds, startupSeconds)`, between `min` and `max`. No backlog and no
 * minimum is zero instances; any backlog is at least one. The same rule, written as
 * "backlog per instance" against a target of `throughputPerInstance × horizon`, is what a
 * target-tracking policy on the published backlog does.
 */
export function desiredCapacity(pool: PoolSizing): number {
  const { backlog, throughputPerInstance, startupSeconds, drainSeconds, min, max } = pool;
  if (!(throughputPerInstance > 0)) throw new RangeError('throughputPerInstance must be above 0');
  if (min < 0 || max < min) throw new RangeError(`need 0 <= min <= max, got min ${min}, max ${max}`);
  const work = Math.max(0, Number.isFinite(backlog) ? backlog : 0);
  const horizon = Math.max(drainSeconds, startupSeconds, 1);
  const needed = Math.ceil(work / (throughputPerInstance * horizon));
  return Math.min(max, Math.max(min, needed));
}

/** The backlog per instance a target-tracking policy aims at, for the same horizon as {@link desiredCapacity}. */
export function backlogPerInstanceTarget(pool: Pick<PoolSizing, 'throughputPerInstance' | 'startupSeconds' | 'drainSeconds'>): number {
  return pool.throughputPerInstance * Math.max(pool.drainSeconds, pool.startupSeconds, 1);
}
