import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

/** A resource of a CloudFormation template, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: template properties are checked by shape in each test
export type TemplateResource = { Type: string; Properties: Record<string, any>; Condition?: string; [key: string]: unknown };

/** The parts of a packaged template the tests read, and the package's files they asked for. */
export interface PackagedTemplate {
  Resources: Record<string, TemplateResource>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
  /** The files named in `options.files` (e.g. `console.zip`), read before the package folder is removed. */
  files: Record<string, Buffer>;
}

const ROOT = join(__dirname, '..', '..');

/** How long one `osls package` may take on a busy machine (a guard against a hang, not a speed check: on a 2-core machine under load it has taken 175 s). */
export const PACKAGE_TIMEOUT_MS = 600_000;

/**
 * How long a test file may wait for its template: osls runs one package at a time in a
 * service directory (serverless-esbuild stages its zips in `.serverless/`), so the files
 * that package take turns, and one may wait for the three other packages before its own.
 */
export const PACKAGE_WAIT_MS = 5 * PACKAGE_TIMEOUT_MS;

const LOCK = join(__dirname, '..', '..', '.esbuild-package.lock');

/** Takes the service directory's package lock (an atomic mkdir), waiting for its turn; a lock older than a package's time limit is stale. */
export async function takePackageLock(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > PACKAGE_TIMEOUT_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile: try again.
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * Runs `npx osls package --stage <stage>` with `--param` for each of `params` (offline,
 * dummy credentials) into a temporary directory and returns the CloudFormation template
 * it would deploy.
 */
export async function packageTemplate(
  stage: string,
  params: Record<string, string> = {},
  options: { files?: string[] } = {},
): Promise<PackagedTemplate> {
  const release = await takePackageLock();
  const packageDir = mkdtempSync(join(tmpdir(), 'osls-package-'));
  try {
    const args = [
      'osls',
      'package',
      '--stage',
      stage,
      '--package',
      packageDir,
      ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`),
    ];
    await promisify(execFile)('npx', args, {
      cwd: ROOT,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'us-east-1',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        // Its own build folder, so template tests packaging at the same time do not collide.
        ESBUILD_WORK_FOLDER: `.esbuild-${basename(packageDir)}`,
      },
      timeout: PACKAGE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    const template = JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as PackagedTemplate;
    template.files = Object.fromEntries((options.files ?? []).map((file) => [file, readFileSync(join(packageDir, file))]));
    return template;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`osls package failed: ${(error as Error).message}\n${stdout ?? ''}\n${stderr ?? ''}`);
  } finally {
    rmSync(packageDir, { recursive: true, force: true });
    rmSync(join(ROOT, `.esbuild-${basename(packageDir)}`), { recursive: true, force: true });
    release();
  }
}
