import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { READY_MARKER } from '../../shared/devTools/localPlatform/constants';

/** A local platform running in a child process, as `npm start` runs it. */
export interface LocalPlatformProcess {
  /** HTTP API base URL (`http://127.0.0.1:<port>`); the OpenAI base URL is this plus `/v1`. */
  api: string;
  dynamodb: string;
  /** GPU simulator base URL (Bedrock face; OpenAI face under `/v1`). */
  simulator: string;
  apiKey: string;
  /** An admin key (tenant `local`): manages keys, reads usage. */
  adminKey: string;
  tableName: string;
  /** S3 endpoint (path-style) and the platform's bucket. */
  s3: string;
  bucket: string;
  /** SQS endpoint, and the URL of every queue by its logical id in serverless.yml. */
  sqs: string;
  queues: Record<string, string>;
  /** EventBridge endpoint; `GET <events>/_events` lists what was put. */
  events: string;
  /** Everything the process printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
  /** Sends SIGKILL (`kill -9`: nothing is flushed or closed) and resolves once the process is gone. */
  kill(): Promise<void>;
}

/** The JSON after the READY marker (shared/devTools/localPlatform/start.ts). */
interface ReadyLine {
  api: string;
  dynamodb: string;
  simulator: string;
  apiKey: string;
  adminKey: string;
  tableName: string;
  s3: string;
  sqs: string;
  events: string;
  bucket: string;
  queues: Record<string, string>;
}

const ROOT = join(__dirname, '..', '..');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * Starts `shared/devTools/localPlatform/start.ts` under tsx (with `args`) with every port 0 (so parallel
 * test files never collide), nothing kept on disk (LOCAL_DATA_DIR empty), plus `env`,
 * and resolves once it prints its READY line. If it exits or stays silent for 60 s,
 * rejects with what it printed.
 */
export async function startLocalPlatformProcess(
  env: NodeJS.ProcessEnv = {},
  options: { args?: string[] } = {},
): Promise<LocalPlatformProcess> {
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  // The test process's own function environment (test/setupEnv.ts) must not leak into the
  // platform: it would override what serverless.yml gives the local stage.
  const {
    TABLE_NAME: _t,
    STAGE: _s,
    BUCKET_NAME: _b,
    INGEST_QUEUE_URL: _i,
    WORK_QUEUE_URL: _w,
    FINALIZE_QUEUE_URL: _f,
    EVENT_BUS_NAME: _e,
    REQUESTS_QUEUE_URL: _rq,
    RESULTS_QUEUE_URL: _rs,
    REPLY_QUEUE_PREFIX: _rp,
    ...inherited
  } = process.env;
  const child = spawn(process.execPath, ['--import', tsx, 'shared/devTools/localPlatform/start.ts', ...(options.args ?? [])], {
    cwd: ROOT,
    env: {
      ...inherited,
      INFER_QUIET: '1',
      // Each test platform in memory, unless the test names a data directory.
      LOCAL_DATA_DIR: '',
      INFER_PORT: '0',
      DYNAMODB_PORT: '0',
      SIM_PORT: '0',
      S3_PORT: '0',
      SQS_PORT: '0',
      EVENTS_PORT: '0',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      reject(new Error(`Local platform ${reason}. Its output:\n${output}`));
    };
    const timer = setTimeout(() => {
      fail(`printed no ${READY_MARKER} line within ${READY_TIMEOUT_MS / 1000} s`);
      child.kill('SIGKILL');
    }, READY_TIMEOUT_MS);
    const onData = () => {
      const line = output.split('\n').find((candidate) => candidate.startsWith(`${READY_MARKER} `));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(JSON.parse(line.slice(READY_MARKER.length + 1)) as ReadyLine);
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => fail(`exited with code ${code} before it was ready`));
  });

  return {
    api: ready.api,
    dynamodb: ready.dynamodb,
    simulator: ready.simulator,
    apiKey: ready.apiKey,
    adminKey: ready.adminKey,
    tableName: ready.tableName,
    s3: ready.s3,
    bucket: ready.bucket,
    sqs: ready.sqs,
    queues: ready.queues,
    events: ready.events,
    output: () => output,
    stop: () => stop(child, exited),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
