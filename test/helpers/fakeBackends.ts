import type { BackendError } from '../../shared/errors/backendErrors';
import type { Backend, BackendResolver, BatchItem, InvokeOptions, ItemResult } from '../../shared/batchingCore/types';
import type { FakeClock } from './FakeClock';

/** What a fake backend does with one call: results, or a thrown error for the whole batch. */
export type FakeBehaviour = (inputs: string[], call: number) => ItemResult<string>[] | BackendError | Error;

/** One call a fake backend received. */
export interface FakeCall {
  inputs: string[];
  startedAt: number;
  endedAt?: number;
  /** Calls in flight when this one started, itself included. */
  inFlightAtStart: number;
  aborted: boolean;
  /** Whether the core gave the call a signal (only when something could stop it). */
  signalled: boolean;
}

/** Every input answered with `out:<input>`. */
export const echo: FakeBehaviour = (inputs) => inputs.map((input) => ok(input));

/** A successful item result for `input`. */
export function ok(input: string): ItemResult<string> {
  return { ok: true, value: `out:${input}`, usage: { promptTokens: 1, completionTokens: 1 } };
}

/**
 * A {@link Backend} of strings driven by a script: each call waits `latencyMs` on the
 * fake clock (aborted by the call's signal), then answers with what `behaviour` says.
 * It records every call and the most calls it ever had in flight.
 */
export class FakeBackend implements Backend<string, string> {
  readonly calls: FakeCall[] = [];
  inFlight = 0;
  maxInFlight = 0;
  maxBatchItems: number;
  maxBatchTokens: number;
  maxConcurrency: number;
  expectedConcurrency: number | undefined;
  expectedLatencyMs: number;
  latencyMs: number;
  behaviour: FakeBehaviour;
  /** Called as each call starts, to check invariants at that moment. */
  onStart: ((call: FakeCall) => void) | undefined;

  constructor(
    readonly id: string,
    private readonly clock: FakeClock,
    options: Partial<
      Pick<
        FakeBackend,
        | 'maxBatchItems'
        | 'maxBatchTokens'
        | 'maxConcurrency'
        | 'expectedConcurrency'
        | 'expectedLatencyMs'
        | 'latencyMs'
        | 'behaviour'
        | 'onStart'
      >
    > = {},
  ) {
    this.maxBatchItems = options.maxBatchItems ?? 8;
    this.maxBatchTokens = options.maxBatchTokens ?? 10_000;
    this.maxConcurrency = options.maxConcurrency ?? 4;
    this.expectedConcurrency = options.expectedConcurrency;
    this.latencyMs = options.latencyMs ?? 100;
    this.expectedLatencyMs = options.expectedLatencyMs ?? this.latencyMs;
    this.behaviour = options.behaviour ?? echo;
    this.onStart = options.onStart;
  }

  async invoke(inputs: string[], { signal }: InvokeOptions): Promise<ItemResult<string>[]> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const call: FakeCall = {
      inputs,
      startedAt: this.clock.now(),
      inFlightAtStart: this.inFlight,
      aborted: false,
      signalled: signal !== undefined,
    };
    this.calls.push(call);
    this.onStart?.(call);
    try {
      if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs, signal);
    } catch (error) {
      call.aborted = true;
      throw error;
    } finally {
      this.inFlight -= 1;
      call.endedAt = this.clock.now();
    }
    const answer = this.behaviour(inputs, this.calls.indexOf(call));
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

/**
 * A {@link BackendResolver} over fixed backends per route: the first backend of the
 * route's list that is not `avoid`ed (or the first when all are). It records every
 * resolve and every health report.
 */
export class FakeResolver implements BackendResolver<string, string> {
  readonly resolves: Array<{ route: string; avoid: string | undefined; chosen: string | undefined }> = [];
  readonly records: Array<{ backendId: string; result: 'success' | 'failure' }> = [];
  /** When set, resolve throws this instead of choosing. */
  failWith: Error | undefined;

  constructor(private readonly routes: Record<string, FakeBackend[]>) {}

  resolve(route: string, avoid?: string): Backend<string, string> {
    if (this.failWith) {
      this.resolves.push({ route, avoid, chosen: undefined });
      throw this.failWith;
    }
    const candidates = this.routes[route] ?? [];
    const chosen = candidates.find((backend) => backend.id !== avoid) ?? candidates[0];
    if (!chosen) throw new Error(`no backend for ${route}`);
    this.resolves.push({ route, avoid, chosen: chosen.id });
    return chosen;
  }

  record(backendId: string, result: 'success' | 'failure'): void {
    this.records.push({ backendId, result });
  }

  hasFallback(route: string, backendId: string): boolean {
    return (this.routes[route] ?? []).some((backend) => backend.id !== backendId);
  }
}

/** Items `<prefix>0..n-1` of one route whose input is their id. */
export function makeItems(count: number, options: { route?: string; tokens?: number; prefix?: string } = {}): BatchItem<string>[] {
  return Array.from({ length: count }, (_, index) => {
    const id = `${options.prefix ?? 'i'}${index}`;
    return { id, route: options.route ?? 'chat:m', input: id, estimatedTokens: options.tokens ?? 10 };
  });
}
