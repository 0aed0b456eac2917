import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

const run = promisify(execFile);

/**
 * Runs the layer check over `cwd` twice: as `npm run lint:deps` does (its exit code is
 * the number of errors), and with JSON output to read which rules broke.
 */
async function cruise(cwd: string): Promise<{ violations: Violation[]; exitCode: number }> {
  const args = [CLI, 'functions', 'shared', '--config', CONFIG];
  const exitCode = await run(process.execPath, args, { cwd }).then(
    () => 0,
    (error: { code: number }) => error.code,
  );
  const { stdout } = await run(process.execPath, [...args, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return { violations: (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations, exitCode };
}

describe('the layer rules (.dependency-cruiser.cjs)', () => {
  it('fail on a forbidden import: each rule once, with the import that breaks it', async () => {
    // Act
    const { violations, exitCode } = await cruise(join(ROOT, 'test', 'fixtures', 'layers'));
    // Assess
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^.*node_modules\//, 'node_modules/')}`).sort();
    expect(exitCode).not.toBe(0);
    expect(found).toEqual(
      expect.arrayContaining([
        'core-and-domain-stay-pure: shared/batching/usesAdapter.ts -> shared/aws/store.ts',
        'core-and-domain-stay-pure: shared/batching/usesAdapter.ts -> shared/local/tool.ts',
        expect.stringMatching(/^core-and-domain-stay-pure: shared\/domain\/leak\.ts -> node_modules\/@aws-sdk\/client-s3\//),
        'no-function-imports-function: functions/http/ping.ts -> functions/sqs/pong.ts',
        'production-never-imports-dev-tools: shared/batching/usesAdapter.ts -> shared/local/tool.ts',
      ]),
    );
    expect(found.some((line) => line.startsWith('no-circular: shared/batching/'))).toBe(true);
  }, 120_000);

  it('pass on the project itself', async () => {
    // Act
    const { violations, exitCode } = await cruise(ROOT);
    // Assess
    expect(violations).toEqual([]);
    expect(exitCode).toBe(0);
  }, 120_000);
});
