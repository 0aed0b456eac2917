import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..', '..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

/** Runs `biome check` (what `npm run lint` runs) with the project's biome.json over one file in a folder of its own. */
async function check(source: string): Promise<{ exitCode: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lint-'));
  try {
    copyFileSync(join(ROOT, 'biome.json'), join(dir, 'biome.json'));
    writeFileSync(join(dir, 'sample.ts'), source);
    return await promisify(execFile)(BIOME, ['check', '--colors=off', '.'], { cwd: dir }).then(
      ({ stdout, stderr }) => ({ exitCode: 0, output: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ exitCode: error.code, output: error.stdout + error.stderr }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the linter and formatter (biome.json)', () => {
  it('fail on a lint error, naming the rule', async () => {
    // Act
    const { exitCode, output } = await check('export function f(a: number): number {\n  if (a == 2) return 1;\n  return 0;\n}\n');
    // Assess
    expect(exitCode).not.toBe(0);
    expect(output).toContain('lint/suspicious/noDoubleEquals');
  }, 60_000);

  it('fail on code that is not formatted', async () => {
    // Act
    const { exitCode, output } = await check('export const f = ( a:number ):number=>a+1\n');
    // Assess
    expect(exitCode).not.toBe(0);
    expect(output).toContain('format');
  }, 60_000);

  it('pass on clean, formatted code', async () => {
    // Act
    const { exitCode } = await check('export const f = (a: number): number => a + 1;\n');
    // Assess
    expect(exitCode).toBe(0);
  }, 60_000);
});
