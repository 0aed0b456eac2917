import type { Writable } from 'node:stream';

/** Where a command writes: results to `stdout`, progress and errors to `stderr`. */
export interface CliIo {
  stdout: Pick<Writable, 'write'>;
  stderr: Pick<Writable, 'write'> & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Waits `ms` (polling); tests may pass a faster one. */
  sleep: (ms: number) => Promise<void>;
}

/** Writes `value` as pretty JSON and a newline. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: a header row, then one row per entry, columns padded to their widest cell. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** A unix time in seconds as `2026-12-03 17:35` (UTC), or `-`. */
export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}
