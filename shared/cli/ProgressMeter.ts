/** One reading of a batch's progress. */
export interface ProgressSample {
  /** Lines processed (the batch's advisory `progress.processed`, or its exact counts). */
  done: number;
  total: number;
  /** Error lines so far (exact, per recorded chunk). */
  errors: number;
  status: string;
  /** When it was read, ms since the epoch. */
  at: number;
}

/** What the progress line shows. */
export interface ProgressView extends ProgressSample {
  /** Lines per second over the recent window; undefined until two readings differ in time. */
  rate: number | undefined;
  /** Seconds left at that rate; undefined when there is no rate or nothing is known yet. */
  etaSeconds: number | undefined;
}

/**
 * Turns readings of a batch into a rate and an ETA: lines per second over the last
 * `windowMs` (so a stall shows as a falling rate, and a start-up pause does not linger).
 * `done` never goes back: a chunk sent back makes the advisory count dip, which is shown
 * as no progress rather than as lines undone.
 */
export class ProgressMeter {
  readonly #samples: ProgressSample[] = [];
  #done = 0;

  constructor(private readonly windowMs = 10_000) {}

  /** Adds a reading; returns what to show. */
  add(sample: ProgressSample): ProgressView {
    this.#done = Math.max(this.#done, Math.min(sample.done, sample.total || sample.done));
    const reading = { ...sample, done: this.#done };
    this.#samples.push(reading);
    while (this.#samples.length > 2 && reading.at - this.#samples[0]!.at > this.windowMs) this.#samples.shift();
    const first = this.#samples[0]!;
    const seconds = (reading.at - first.at) / 1000;
    const rate = seconds > 0 ? (reading.done - first.done) / seconds : undefined;
    const left = reading.total - reading.done;
    const etaSeconds = rate && rate > 0 && reading.total > 0 ? left / rate : undefined;
    return { ...reading, rate, etaSeconds };
  }
}

const number = new Intl.NumberFormat('en-US');

/** The progress line: `[#####-----]  10,000/20,000 lines  1,234 lines/s  3 errors  ETA 8s  in_progress`. */
export function renderProgress(view: ProgressView, width = 24): string {
  const fraction = view.total > 0 ? Math.min(1, view.done / view.total) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const total = view.total > 0 ? number.format(view.total) : '?';
  const rate = view.rate === undefined ? '- lines/s' : `${number.format(Math.round(view.rate))} lines/s`;
  const eta = view.status !== 'in_progress' ? '' : `  ETA ${view.etaSeconds === undefined ? '?' : formatDuration(view.etaSeconds)}`;
  const errors = `${number.format(view.errors)} error${view.errors === 1 ? '' : 's'}`;
  return `${bar} ${number.format(view.done)}/${total} lines  ${rate}  ${errors}${eta}  ${view.status}`;
}

/** `8s`, `2m05s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
