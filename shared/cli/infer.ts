/**
 * The `infer` CLI's entry point (`npm run infer -- …`, or the package's `infer` bin):
 * runs {@link runCli} with the process's streams and exits with its code.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './runCli';

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: Date.now,
  sleep: (ms) => sleep(ms),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`infer: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
