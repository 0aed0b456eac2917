import { FACES, type Face } from './SimulatorConfig';
import type { PassRecord } from './GpuScheduler';

/** Requests and items of one route. */
export interface RouteCounts {
  requests: number;
  items: number;
}

/** What one face saw since the last reset. */
export interface FaceStats {
  /** Every request that reached a route of this face, answered or not. */
  requests: number;
  /** Items sent to the GPU (a request with N inputs counts N). */
  items: number;
  /** Responses by HTTP status, e.g. `{ "200": 12, "429": 3 }`. */
  statuses: Record<string, number>;
  byRoute: Record<string, RouteCounts>;
  /** Answered 400 because an input carried the poison marker. */
  poisoned: number;
  /** Answered 500 by `errorRate`. */
  injectedErrors: number;
  /** Answered 429 by `throttleRate`. */
  injectedThrottles: number;
  /** Answered 429 because the `tokensPerMinute` window was full. */
  tokenThrottles: number;
  /** Answered 503 because the queue was over `maxQueueItems`. */
  overloaded: number;
  /** Delayed by `slowMs`. */
  slowed: number;
  /** Held unanswered by `hangRate` (until their client went away). */
  hung: number;
  /** Chat requests answered as a stream (SSE or event stream). */
  streamed: number;
  /** Streams broken after their first token by `midStreamErrorRate`. */
  midStreamErrors: number;
  /** Requests whose client went away before the answer was complete; their generation stopped. */
  cancelled: number;
  /** Planned completion tokens never generated because their client went away. */
  cancelledTokens: number;
  promptTokens: number;
  /** Completion tokens actually generated (a cancelled or broken stream counts what it produced). */
  completionTokens: number;
}

/** The JSON `GET /_sim/stats` answers. Timestamps are epoch milliseconds. */
export interface SimulatorStatsSnapshot {
  /** When counting started (start or last reset). */
  since: number;
  firstActivityAt: number | null;
  lastActivityAt: number | null;
  /** `lastActivityAt - firstActivityAt`: the span utilisation and rates are measured over. */
  activeMs: number;
  requests: number;
  items: number;
  faces: Record<Face, FaceStats>;
  passes: {
    count: number;
    items: number;
    meanItems: number;
    maxItems: number;
    /** Passes by the number of items they carried, e.g. `{ "64": 3, "1": 1 }`. */
    histogram: Record<string, number>;
  };
  /** Sum of measured pass durations over all slots. */
  busySlotMs: number;
  /** `busySlotMs / (slots * activeMs)`; null before any activity span. */
  utilisation: number | null;
  /** Items finished per second over `activeMs`; null before any activity span. */
  itemsPerSecond: number | null;
  /** The ceiling the current configuration allows. */
  maxItemsPerSecond: number;
  queue: { items: number; peakItems: number; busySlots: number; peakBusySlots: number; inFlightRequests: number };
}

/** The fault counters a request can bump. */
export type FaultCounter =
  | 'poisoned'
  | 'injectedErrors'
  | 'injectedThrottles'
  | 'tokenThrottles'
  | 'overloaded'
  | 'slowed'
  | 'hung'
  | 'midStreamErrors'
  | 'streamed';

function emptyFace(): FaceStats {
  return {
    requests: 0,
    items: 0,
    statuses: {},
    byRoute: {},
    poisoned: 0,
    injectedErrors: 0,
    injectedThrottles: 0,
    tokenThrottles: 0,
    overloaded: 0,
    slowed: 0,
    hung: 0,
    streamed: 0,
    midStreamErrors: 0,
    cancelled: 0,
    cancelledTokens: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
}

/** Counters of a running simulator; cheap to bump, turned into a snapshot on demand. */
export class SimulatorStats {
  private readonly now: () => number;
  private since = 0;
  private first: number | null = null;
  private last: number | null = null;
  private faces: Record<Face, FaceStats> = { openai: emptyFace(), bedrock: emptyFace() };
  private passCount = 0;
  private passItems = 0;
  private maxPassItems = 0;
  private histogram: Record<string, number> = {};
  private busySlotMs = 0;
  private peakQueued = 0;
  private peakBusy = 0;
  private inFlight = 0;

  /** @param now clock in epoch milliseconds (injectable for tests). */
  constructor(now: () => number = Date.now) {
    this.now = now;
    this.reset();
  }

  /** Zeroes every counter; requests in flight stay counted as in flight. */
  reset(): void {
    this.since = this.now();
    this.first = null;
    this.last = null;
    this.faces = { openai: emptyFace(), bedrock: emptyFace() };
    this.passCount = 0;
    this.passItems = 0;
    this.maxPassItems = 0;
    this.histogram = {};
    this.busySlotMs = 0;
    this.peakQueued = 0;
    this.peakBusy = 0;
  }

  /** A request reached `route` of `face`. */
  recordArrival(face: Face, route: string): void {
    this.touch();
    this.inFlight += 1;
    const stats = this.faces[face];
    stats.requests += 1;
    stats.byRoute[route] ??= { requests: 0, items: 0 };
    const counts = stats.byRoute[route];
    counts.requests += 1;
  }

  /** A request's items went to the GPU queue, now `queuedItems` deep. */
  recordQueued(face: Face, route: string, items: number, queuedItems: number): void {
    const stats = this.faces[face];
    stats.items += items;
    stats.byRoute[route] ??= { requests: 0, items: 0 };
    stats.byRoute[route].items += items;
    this.peakQueued = Math.max(this.peakQueued, queuedItems);
  }

  /** Tokens of a served request. */
  recordTokens(face: Face, promptTokens: number, completionTokens: number): void {
    this.faces[face].promptTokens += promptTokens;
    this.faces[face].completionTokens += completionTokens;
  }

  /** A request's client went away; `unproduced` planned completion tokens were never generated. */
  recordCancelled(face: Face, unproduced: number): void {
    this.faces[face].cancelled += 1;
    this.faces[face].cancelledTokens += unproduced;
  }

  /** A fault (or poison) decided a request's fate. */
  recordFault(face: Face, counter: FaultCounter): void {
    this.faces[face][counter] += 1;
  }

  /** A request was answered with `status`. */
  recordResponse(face: Face, status: number): void {
    this.touch();
    this.inFlight = Math.max(0, this.inFlight - 1);
    const statuses = this.faces[face].statuses;
    statuses[status] = (statuses[status] ?? 0) + 1;
  }

  /** A pass started; `busySlots` includes it. */
  recordPassStart(busySlots: number): void {
    this.peakBusy = Math.max(this.peakBusy, busySlots);
  }

  /** A pass ended. */
  recordPass(pass: PassRecord): void {
    this.touch();
    this.passCount += 1;
    this.passItems += pass.items;
    this.maxPassItems = Math.max(this.maxPassItems, pass.items);
    this.histogram[pass.items] = (this.histogram[pass.items] ?? 0) + 1;
    this.busySlotMs += pass.actualMs;
  }

  /** The counters as JSON-ready numbers, given the scheduler's live state. */
  snapshot(live: { slots: number; queuedItems: number; busySlots: number; maxItemsPerSecond: number }): SimulatorStatsSnapshot {
    const activeMs = this.first !== null && this.last !== null ? this.last - this.first : 0;
    const faces = { openai: structuredClone(this.faces.openai), bedrock: structuredClone(this.faces.bedrock) };
    return {
      since: this.since,
      firstActivityAt: this.first,
      lastActivityAt: this.last,
      activeMs,
      requests: FACES.reduce((sum, face) => sum + faces[face].requests, 0),
      items: FACES.reduce((sum, face) => sum + faces[face].items, 0),
      faces,
      passes: {
        count: this.passCount,
        items: this.passItems,
        meanItems: this.passCount === 0 ? 0 : this.passItems / this.passCount,
        maxItems: this.maxPassItems,
        histogram: { ...this.histogram },
      },
      busySlotMs: this.busySlotMs,
      utilisation: activeMs > 0 ? this.busySlotMs / (live.slots * activeMs) : null,
      itemsPerSecond: activeMs > 0 ? (this.passItems * 1000) / activeMs : null,
      maxItemsPerSecond: live.maxItemsPerSecond,
      queue: {
        items: live.queuedItems,
        peakItems: this.peakQueued,
        busySlots: live.busySlots,
        peakBusySlots: this.peakBusy,
        inFlightRequests: this.inFlight,
      },
    };
  }

  private touch(): void {
    const now = this.now();
    this.first ??= now;
    this.last = now;
  }
}
