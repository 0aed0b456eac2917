import { FACES, type Face, type FaceFaults } from './SimulatorConfig';

/**
 * Fault injection, decided once per request on arrival and before queueing: a seeded PRNG
 * per face (so a run replays exactly, and traffic on one face never shifts the other's
 * draws) and a sliding 60-second token window per face.
 */

/**
 * mulberry32: a tiny 32-bit PRNG, good enough to pick faults and build vectors, and
 * reproducible from its seed. Returns a function yielding floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WINDOW_MS = 60_000;

/** A sliding 60 s window of token spends, for `tokensPerMinute`. */
export class TokenWindow {
  private spends: Array<{ at: number; tokens: number }> = [];
  private head = 0;
  private total = 0;

  /** Tokens spent in the last 60 s as of `now`. */
  used(now: number): number {
    this.expire(now);
    return this.total;
  }

  /**
   * Spends `tokens` if they fit under `limit` and returns 0; otherwise spends nothing and
   * returns the whole seconds until enough older spends leave the window (at least 1).
   * A request larger than the whole budget never fits, as on a real per-minute quota.
   */
  trySpend(tokens: number, limit: number, now: number): number {
    this.expire(now);
    if (this.total + tokens <= limit) {
      this.spends.push({ at: now, tokens });
      this.total += tokens;
      return 0;
    }
    let freed = 0;
    for (let i = this.head; i < this.spends.length; i += 1) {
      const spend = this.spends[i] as { at: number; tokens: number };
      freed += spend.tokens;
      if (this.total - freed + tokens <= limit) return Math.max(1, Math.ceil((spend.at + WINDOW_MS - now) / 1000));
    }
    return Math.ceil(WINDOW_MS / 1000);
  }

  /** Forgets every spend. */
  clear(): void {
    this.spends = [];
    this.head = 0;
    this.total = 0;
  }

  private expire(now: number): void {
    while (this.head < this.spends.length) {
      const spend = this.spends[this.head] as { at: number; tokens: number };
      if (spend.at + WINDOW_MS > now) break;
      this.total -= spend.tokens;
      this.head += 1;
    }
    if (this.head > 256 && this.head * 2 > this.spends.length) {
      this.spends = this.spends.slice(this.head);
      this.head = 0;
    }
  }
}

/** The fate of one arriving request. */
export type FaultDecision =
  | { kind: 'serve'; slowMs: number }
  | { kind: 'hang' }
  | { kind: 'error' }
  | { kind: 'throttle'; retryAfterSeconds: number; reason: 'rate' | 'tokens' };

/** Decides faults per face from the current knobs, the PRNG streams and the token windows. */
export class FaultInjector {
  private readonly now: () => number;
  private random: Record<Face, () => number>;
  private midStream: Record<Face, () => number>;
  private hangs: Record<Face, () => number>;
  private readonly windows: Record<Face, TokenWindow> = { openai: new TokenWindow(), bedrock: new TokenWindow() };

  /** @param now clock in epoch milliseconds (injectable so the window can be tested). */
  constructor(seed: number, now: () => number = Date.now) {
    this.now = now;
    this.random = FaultInjector.streams(seed);
    this.midStream = FaultInjector.streams(seed ^ 0x5bd1e995);
    this.hangs = FaultInjector.streams(seed ^ 0x27d4eb2f);
  }

  /** Restarts the PRNG streams from `seed` and empties the token windows. */
  reset(seed: number): void {
    this.random = FaultInjector.streams(seed);
    this.midStream = FaultInjector.streams(seed ^ 0x5bd1e995);
    this.hangs = FaultInjector.streams(seed ^ 0x27d4eb2f);
    for (const face of FACES) this.windows[face].clear();
  }

  /**
   * Decides the fate of a request that will cost `tokens` (prompt + completion).
   * Three draws are taken every time, whatever the rates, so changing one rate never
   * reshuffles which requests the others hit. Order: hang (its own stream, drawn every
   * time too, so a hang rate shifts none of the other draws), error, throttle, token
   * window, slow.
   */
  decide(face: Face, faults: FaceFaults, tokens: number): FaultDecision {
    const next = this.random[face];
    const hangDraw = this.hangs[face]();
    const [errorDraw, throttleDraw, slowDraw] = [next(), next(), next()];
    if (hangDraw < faults.hangRate) return { kind: 'hang' };
    if (errorDraw < faults.errorRate) return { kind: 'error' };
    if (throttleDraw < faults.throttleRate) {
      return { kind: 'throttle', retryAfterSeconds: faults.retryAfterSeconds, reason: 'rate' };
    }
    if (faults.tokensPerMinute > 0) {
      const wait = this.windows[face].trySpend(tokens, faults.tokensPerMinute, this.now());
      if (wait > 0) return { kind: 'throttle', retryAfterSeconds: wait, reason: 'tokens' };
    }
    return { kind: 'serve', slowMs: slowDraw < faults.slowRate ? faults.slowMs : 0 };
  }

  /**
   * Whether a stream breaks after its first token. Drawn from streams of its own, and only
   * for streamed requests, so turning streaming on never reshuffles the other faults.
   */
  breaksMidStream(face: Face, faults: FaceFaults): boolean {
    return this.midStream[face]() < faults.midStreamErrorRate;
  }

  /** Tokens spent on `face` in the last 60 s. */
  tokensInWindow(face: Face): number {
    return this.windows[face].used(this.now());
  }

  private static streams(seed: number): Record<Face, () => number> {
    // Distinct, fixed offsets per face keep the two streams independent yet reproducible.
    return { openai: mulberry32(seed), bedrock: mulberry32(seed ^ 0x9e3779b9) };
  }
}
