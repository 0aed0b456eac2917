import { createHash } from 'node:crypto';
import { mulberry32 } from '../gpuSimulator/faults';
import { LocalPlatformError } from './errors';

/**
 * Faults the local runtime injects on purpose, for the fault suite (`npm run test:faults`):
 * SQS delivering a message a second time, a function dying in the middle of an
 * invocation, and a message landing in its queue's dead-letter queue unprocessed. They live here, in the local runtime, so that no handler or use case carries
 * a test-only switch; off unless asked for.
 *
 * Every decision comes from a seeded PRNG, one stream per queue and per function, so one
 * queue's traffic never shifts another's draws. What arrives when still depends on timing,
 * so a seed fixes the rates and the streams, not the exact messages hit.
 */

/** What to inject. */
export interface LocalFaultOptions {
  /** Seed of every stream. */
  seed: number;
  /**
   * Fraction of messages delivered a second time (on their first receive only). Half of
   * them, drawn by the seed, go at once to a second invocation as well, with their receive
   * count one higher (at-least-once delivery handing a copy to another consumer while the
   * first is still working); the others are left undeleted after a successful invocation,
   * so SQS hands them out again after the visibility timeout (a lost delete).
   */
  duplicateRate: number;
  /**
   * Fraction of the invocations that die midway, by key under `functions` of
   * serverless.yml (`worker`, `requests`); functions not named never crash.
   */
  crashRates: Readonly<Record<string, number>>;
  /**
   * Fraction of the messages received for a function (by key, as `crashRates`) that go
   * straight to their queue's dead-letter queue instead of to the function, as if every
   * receive SQS allows had been spent on it. Optional; none when absent.
   */
  deadLetterRates?: Readonly<Record<string, number>>;
}

/** How an invocation is to die: `afterMs` after it started, as a Lambda that timed out. */
export interface CrashPlan {
  afterMs: number;
}

/** Earliest a crash comes: past the first awaits of the handler. */
const MIN_CRASH_AFTER_MS = 20;

/** Seeded decisions of the faults to inject; see {@link LocalFaultOptions}. */
export class LocalFaults {
  private readonly streams = new Map<string, () => number>();
  /** Invocations since the last crash that struck, by function key. */
  private readonly sinceCrash = new Map<string, number>();
  /** Messages since the last one sent to the dead-letter queue, by function key. */
  private readonly sinceDeadLetter = new Map<string, number>();

  constructor(readonly options: LocalFaultOptions) {
    for (const [name, rate] of [
      ['duplicateRate', options.duplicateRate],
      ...Object.entries(options.crashRates),
      ...Object.entries(options.deadLetterRates ?? {}),
    ] as const) {
      if (!(rate >= 0 && rate <= 1))
        throw new LocalPlatformError(`The rate of ${name} must be between 0 and 1, got ${rate}`, { code: 'BAD_OPTION' });
    }
  }

  /**
   * Whether a message just received is to be delivered a second time, and how: a copy to
   * a second invocation at once, or a lost delete so that it comes back later.
   */
  duplicate(queueName: string, receiveCount: number): 'concurrent' | 'later' | undefined {
    if (this.options.duplicateRate <= 0 || receiveCount > 1) return undefined;
    const next = this.stream(`duplicate:${queueName}`);
    const [draw, how] = [next(), next()];
    if (draw >= this.options.duplicateRate) return undefined;
    return how < 0.5 ? 'concurrent' : 'later';
  }

  /**
   * Whether the next invocation of `functionKey` is to crash, and when: at a random point
   * in the first half of `typicalMs` (how long its working invocations have been taking),
   * so that it dies in the middle of its work. An invocation done by then is not touched
   * (the caller reports a crash that struck with {@link crashed}). None before the function
   * has shown how long it works; and at least one every `2 / rate` invocations, so that a
   * run of a few dozen invocations always sees some.
   */
  crash(functionKey: string, typicalMs: number | undefined): CrashPlan | undefined {
    const rate = this.options.crashRates[functionKey] ?? 0;
    if (rate <= 0 || !typicalMs || typicalMs <= 0) return undefined;
    const next = this.stream(`crash:${functionKey}`);
    const [draw, when] = [next(), next()];
    const since = (this.sinceCrash.get(functionKey) ?? 0) + 1;
    this.sinceCrash.set(functionKey, since);
    if (draw >= rate && since < Math.ceil(2 / rate)) return undefined;
    return { afterMs: Math.max(MIN_CRASH_AFTER_MS, Math.round(typicalMs * (0.05 + 0.45 * when))) };
  }

  /**
   * Whether a message just received for `functionKey` goes to the dead-letter queue
   * instead. At least one every `2 / rate` messages, so that a run of a few dozen chunk
   * messages always loses some.
   */
  deadLetter(functionKey: string): boolean {
    const rate = this.options.deadLetterRates?.[functionKey] ?? 0;
    if (rate <= 0) return false;
    const draw = this.stream(`dead-letter:${functionKey}`)();
    const since = (this.sinceDeadLetter.get(functionKey) ?? 0) + 1;
    if (draw >= rate && since < Math.ceil(2 / rate)) {
      this.sinceDeadLetter.set(functionKey, since);
      return false;
    }
    this.sinceDeadLetter.set(functionKey, 0);
    return true;
  }

  /** A planned crash struck (the invocation was still running). */
  crashed(functionKey: string): void {
    this.sinceCrash.set(functionKey, 0);
  }

  /** Checks that every function named to crash exists. */
  checkFunctions(known: readonly string[]): void {
    for (const [variable, rates] of [
      ['LOCAL_CRASH_FUNCTIONS', this.options.crashRates],
      ['LOCAL_DEAD_LETTER_FUNCTIONS', this.options.deadLetterRates ?? {}],
    ] as const) {
      const unknown = Object.keys(rates).filter((key) => !known.includes(key));
      if (unknown.length)
        throw new LocalPlatformError(`${variable} names ${unknown.join(', ')}, not functions of serverless.yml (${known.join(', ')})`, {
          code: 'BAD_OPTION',
        });
    }
  }

  private stream(name: string): () => number {
    let stream = this.streams.get(name);
    if (!stream) {
      const offset = createHash('sha256').update(name).digest().readUInt32BE(0);
      stream = mulberry32((this.options.seed ^ offset) >>> 0);
      this.streams.set(name, stream);
    }
    return stream;
  }
}

/** A fraction in [0, 1], or 0 when unset; `name` says where it came from. */
function rateOf(name: string, raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!(value >= 0 && value <= 1)) throw new LocalPlatformError(`${name}=${raw} is not a fraction between 0 and 1`, { code: 'BAD_OPTION' });
  return value;
}

/** `worker:0.3,requests` as rates by function key; a key without a rate takes `fallback`. */
function ratesByFunction(variable: string, raw: string | undefined, fallback: number): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const entry of (raw ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [key, rate] = entry.split(':').map((part) => part.trim());
    rates[key!] = rate === undefined ? fallback : rateOf(`${variable} ${key}`, rate);
  }
  return rates;
}

/**
 * The faults asked for by `LOCAL_SQS_DUPLICATE_RATE`, `LOCAL_CRASH_FUNCTIONS` (comma-separated
 * function keys, each with its own rate as `worker:0.3` or else `LOCAL_CRASH_RATE`),
 * `LOCAL_DEAD_LETTER_FUNCTIONS` (the same, each with its rate: `worker:0.03`) and
 * `LOCAL_FAULT_SEED` (default 1); undefined when no fault is asked for.
 */
export function localFaultsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalFaults | undefined {
  const duplicateRate = rateOf('LOCAL_SQS_DUPLICATE_RATE', env.LOCAL_SQS_DUPLICATE_RATE);
  const defaultCrashRate = rateOf('LOCAL_CRASH_RATE', env.LOCAL_CRASH_RATE);
  const crashRates = ratesByFunction('LOCAL_CRASH_FUNCTIONS', env.LOCAL_CRASH_FUNCTIONS, defaultCrashRate);
  const deadLetterRates = ratesByFunction('LOCAL_DEAD_LETTER_FUNCTIONS', env.LOCAL_DEAD_LETTER_FUNCTIONS, 0);
  if (defaultCrashRate > 0 && Object.keys(crashRates).length === 0) {
    throw new LocalPlatformError('LOCAL_CRASH_RATE needs LOCAL_CRASH_FUNCTIONS, the functions to crash (e.g. worker,requests)', {
      code: 'BAD_OPTION',
    });
  }
  if (duplicateRate === 0 && [...Object.values(crashRates), ...Object.values(deadLetterRates)].every((rate) => rate === 0))
    return undefined;
  const rawSeed = env.LOCAL_FAULT_SEED;
  const seed = rawSeed === undefined || rawSeed === '' ? 1 : Number(rawSeed);
  if (!Number.isInteger(seed)) throw new LocalPlatformError(`LOCAL_FAULT_SEED=${rawSeed} is not an integer`, { code: 'BAD_OPTION' });
  return new LocalFaults({ seed, duplicateRate, crashRates, deadLetterRates });
}
