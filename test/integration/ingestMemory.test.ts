import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface IngestMemory {
  fileMiB: number;
  lines: number;
  validLines: number;
  peakRssMiB: number;
  growthMiB: number;
}

/** Runs the ingest memory benchmark for one size, in its own process. */
function measure(megabytes: number): IngestMemory {
  const root = join(__dirname, '..', '..');
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [root] })).href;
  // A bounded old space: without one, V8 lets garbage pile up while there is room, and the
  // peak resident set followed the machine's load and GC timing (20 to 120 MiB of growth for
  // the same run), not what ingest keeps alive. Bounded, the peak is live memory, and an
  // ingest that held its input (200 MiB) could not finish at all.
  const out = execFileSync(
    process.execPath,
    ['--max-old-space-size=128', '--expose-gc', '--import', tsx, 'test/bench/ingestMemory.ts', '--mb', String(megabytes)],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' },
      timeout: 180_000,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as IngestMemory;
}

describe('ingest memory as the file grows', () => {
  it('ingests a 200 MB file with about the memory of a 20 MB one', () => {
    // Act: side by side, each in a fresh process.
    const small = measure(20);
    const large = measure(200);
    // Assess: every line read and valid; the peak does not follow the file's size.
    expect(large.fileMiB).toBeGreaterThanOrEqual(200);
    expect(large.validLines).toBe(large.lines);
    expect(large.peakRssMiB).toBeLessThan(small.peakRssMiB + 64);
    expect(large.growthMiB).toBeLessThan(96);
  }, 240_000);
});
