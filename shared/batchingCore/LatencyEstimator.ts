import type { Backend } from './types';

interface Smoothed {
  /** Smoothed duration (ms). */
  mean: number;
  /** Smoothed mean deviation (ms). */
  deviation: number;
}

/** Weight of a new sample in the mean, as in TCP's round-trip estimator (RFC 6298). */
const MEAN_GAIN = 1 / 8;
/** Weight of a new sample in the deviation (RFC 6298). */
const DEVIATION_GAIN = 1 / 4;
/** Deviations added to the mean: roughly a 95th percentile for a bell-shaped latency. */
const DEVIATIONS = 2;

/**
 * How long a call to a backend is expected to take, learnt per backend id from the
 * durations of its successful calls, the way TCP estimates round-trip time: a smoothed
 * mean plus twice the smoothed mean deviation. The deadline check needs a pessimistic
 * figure (a call that overruns the deadline is aborted and wasted) that still follows
 * the backend when it speeds up or slows down, which a plain mean or a fixed percentile
 * window does not both do as cheaply.
 *
 * Only successful calls are measured: a throttle or a refused connection returns fast
 * and would make the backend look quicker than it is.
 */
export class LatencyEstimator {
  readonly #byBackend = new Map<string, Smoothed>();

  /** Adds the duration of one successful call. */
  observe(backendId: string, durationMs: number): void {
    const sample = Math.max(0, durationMs);
    const current = this.#byBackend.get(backendId);
    if (!current) {
      // RFC 6298's first sample: a deviation of half the sample, pessimistic until more come.
      this.#byBackend.set(backendId, { mean: sample, deviation: sample / 2 });
      return;
    }
    current.deviation = (1 - DEVIATION_GAIN) * current.deviation + DEVIATION_GAIN * Math.abs(current.mean - sample);
    current.mean = (1 - MEAN_GAIN) * current.mean + MEAN_GAIN * sample;
  }

  /** Expected duration of the next call: the backend's own figure until one was measured. */
  estimate(backend: Pick<Backend<unknown, unknown>, 'id' | 'expectedLatencyMs'>): number {
    const smoothed = this.#byBackend.get(backend.id);
    if (!smoothed) return backend.expectedLatencyMs;
    return smoothed.mean + DEVIATIONS * smoothed.deviation;
  }
}
