import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SimulatorConfig, SimulatorConfigPatch } from '../../shared/devTools/gpuSimulator/SimulatorConfig';
import type { SimulatorStatsSnapshot } from '../../shared/devTools/gpuSimulator/SimulatorStats';

/**
 * The GPU simulator in a child process of its own (`npm run simulator`), so its passes
 * and JSON work do not share an event loop with the client being measured: on a 2-core
 * machine the client gets one core, the simulated GPU server the other, as a real GPU
 * server would run elsewhere.
 */
/**
 * The simulator configured like a GPU server, for every item of the suite. Embeddings: four
 * slots of forward passes of up to 64 inputs, 40 ms a pass plus 1.5 ms an input (the
 * simulator's own defaults). Chat: vLLM-style continuous batching of up to 256 sequences
 * (vLLM's default `max_num_seqs` on most GPUs) with a budget of 8,192 tokens a step; a step
 * costs 12 ms plus 0.04 ms per decoding sequence plus 0.02 ms per prompt token, so a
 * lone answer decodes at about 80 tokens/s and a full batch at about 33 tokens/s each
 * (some 8,500 tokens/s in all), the shape of a 20B model on one data-centre GPU.
 */
export const GPU_LIKE = {
  passMs: 40,
  itemMs: 1.5,
  slots: 4,
  maxItemsPerPass: 64,
  maxNumSeqs: 256,
  maxNumBatchedTokens: 8192,
  stepMs: 12,
  decodeMsPerSeq: 0.04,
  prefillMsPerToken: 0.02,
} as const;

export interface SimulatorProcess {
  /** Base URL: the Bedrock face answers here, the OpenAI face under `/v1`. */
  url: string;
  stats(): Promise<SimulatorStatsSnapshot>;
  reset(): Promise<void>;
  config(): Promise<SimulatorConfig & { maxItemsPerSecond: number }>;
  updateConfig(patch: SimulatorConfigPatch): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');
const START_TIMEOUT_MS = 30_000;

/** The simulator CLI flag of a camelCase knob: `passMs` → `--pass-ms`. */
function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** Starts `shared/devTools/gpuSimulator/main.ts` on 127.0.0.1 (a free port) with `knobs` as flags (default {@link GPU_LIKE}). */
export async function startSimulatorProcess(knobs: Record<string, number | string> = GPU_LIKE): Promise<SimulatorProcess> {
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  const args = [
    '--import',
    tsx,
    'shared/devTools/gpuSimulator/main.ts',
    '--port',
    '0',
    ...Object.entries(knobs).flatMap(([key, value]) => [flagOf(key), String(value)]),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If the suite is stopped (Ctrl-C), the simulator goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`GPU simulator did not start within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`GPU simulator exited before it listened:\n${output}`));
    });
  });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`simulator ${method} ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    url,
    stats: () => call<SimulatorStatsSnapshot>('GET', '/_sim/stats'),
    reset: async () => void (await call('POST', '/_sim/reset')),
    config: () => call('GET', '/_sim/config'),
    updateConfig: async (patch) => void (await call('POST', '/_sim/config', patch)),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
