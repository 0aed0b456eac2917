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
        'building-blocks-below-use-cases: shared/domain/usesCase.ts -> shared/realtime/useCase.ts',
        'cli-talks-http: shared/cli/usesWiring.ts -> shared/wiring/realtime.ts',
        'core-and-domain-stay-pure: shared/batchingCore/usesAdapter.ts -> shared/adapters/aws/store.ts',
        'core-and-domain-stay-pure: shared/batchingCore/usesAdapter.ts -> shared/devTools/localPlatform/tool.ts',
        expect.stringMatching(/^core-and-domain-stay-pure: shared\/domain\/leak\.ts -> node_modules\/@aws-sdk\/client-s3\//),
        'functions-import-roots-and-use-cases: functions/sqs/pong.ts -> shared/routing/router.ts',
        'no-barrels: shared/realtime/index.ts -> shared/realtime/useCase.ts',
        'no-function-imports-function: functions/http/ping.ts -> functions/sqs/pong.ts',
        'no-circular-folders: shared/queueRequests -> shared/usage',
        'only-wiring-builds-adapters: shared/realtime/useCase.ts -> shared/adapters/aws/store.ts',
        'production-never-imports-dev-tools: shared/batchingCore/usesAdapter.ts -> shared/devTools/localPlatform/tool.ts',
        'shared-never-imports-functions: shared/errors/handlerLeak.ts -> functions/sqs/pong.ts',
        'simulator-stands-alone: shared/devTools/gpuSimulator/sim.ts -> shared/routing/router.ts',
      ]),
    );
    expect(found.some((line) => line.startsWith('no-circular: shared/batchingCore/'))).toBe(true);
    // The folder cycle has no file cycle in it: only the folder rule sees it.
    expect(found.filter((line) => line.startsWith('no-circular:') && /queueRequests|usage/.test(line))).toEqual([]);
    // Every rule of the config is shown failing once.
    const rules = (require(CONFIG) as { forbidden: { name: string }[] }).forbidden.map((rule) => rule.name);
    expect([...new Set(violations.map((v) => v.rule.name))].sort()).toEqual([...rules].sort());
    // A composition root may build an adapter, and a handler may import it.
    expect(found.filter((line) => line.includes('shared/wiring/') && !line.startsWith('cli-talks-http:'))).toEqual([]);
  }, 120_000);

  it('pass on the project itself', async () => {
    // Act
    const { violations, exitCode } = await cruise(ROOT);
    // Assess
    expect(violations).toEqual([]);
    expect(exitCode).toBe(0);
  }, 120_000);
});
