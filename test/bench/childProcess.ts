import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The checkout's root. */
export const ROOT = join(__dirname, '..', '..');

/** `--import <tsx>`: runs a TypeScript file of the checkout in a child node. */
export function tsxImport(): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href];
}

/** Runs node with `args` in the checkout and resolves with its stdout; rejects with its output on failure. */
export function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN', ...options.env },
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`node ${args.join(' ')} failed: ${error.message}\n${stderr}\n${stdout}`));
        else resolve(stdout);
      },
    );
  });
}

/** The last line of `output` that parses as JSON. */
export function lastJsonLine<T>(output: string): T {
  const line = output
    .trim()
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith('{'));
  if (!line) throw new Error(`no JSON line in:\n${output}`);
  return JSON.parse(line) as T;
}
