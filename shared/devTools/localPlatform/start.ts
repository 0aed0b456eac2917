/**
 * `npm start`: the whole platform on 127.0.0.1 (see shared/devTools/localPlatform/platform.ts).
 *
 * Reads INFER_PORT (3000), DYNAMODB_PORT (8000), SIM_PORT (8100), S3_PORT (4569),
 * SQS_PORT (9324), EVENTS_PORT (4010) — 0 means any free port — INFER_API_KEY (sk-local,
 * tenant `local`), INFER_ADMIN_KEY (sk-local-admin, an admin key of tenant `local`),
 * INFER_API_KEY_2 (tenant `local-2`, optional), INFER_QUIET=1 (no request
 * or event lines), LOCAL_SQS_CONCURRENCY (a cap on invocations at once per queue; without
 * it the pollers scale as Lambda's, up to an event's `maximumConcurrency`),
 * LOCAL_VISIBILITY_TIMEOUT_SECONDS (replaces every queue's), LOCAL_QUEUE_VISIBILITY_TIMEOUTS
 * (by queue logical id, `IngestQueue:60`, before that) and LOCAL_SCHEDULE_INTERVAL_MS
 * (replaces every schedule's period); for the fault suite, LOCAL_SQS_DUPLICATE_RATE,
 * LOCAL_CRASH_RATE, LOCAL_CRASH_FUNCTIONS, LOCAL_DEAD_LETTER_FUNCTIONS and LOCAL_FAULT_SEED
 * (shared/devTools/localPlatform/faultInjection.ts).
 * The table and the bucket are kept in LOCAL_DATA_DIR (`.local-data` under the working
 * directory; empty: in memory, nothing kept) across runs; `--fresh` (`npm start -- --fresh`)
 * empties it first. Prints where everything is, then one
 * `LOCAL_PLATFORM_READY {json}` line for scripts and tests to wait for.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { READY_MARKER } from './constants';
import { LocalPlatformError } from './errors';
import { localFaultsFromEnv } from './faultInjection';
import { startLocalPlatform, type LocalApiKey, type LocalPlatform } from './platform';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new LocalPlatformError(`${name}=${raw} is not a port (0–65535)`, { code: 'BAD_OPTION' });
  return value;
}

/** An optional whole number of at least `min`, or undefined when unset. */
function wholeNumber(name: string, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new LocalPlatformError(`${name}=${raw} is not a whole number of at least ${min}`, { code: 'BAD_OPTION' });
  return value;
}

/** LOCAL_QUEUE_VISIBILITY_TIMEOUTS: comma-separated `<queue logical id>:<seconds>`; unknown ids are refused when the queues are made. */
function queueVisibilityTimeoutsFromEnv(): { queueVisibilityTimeouts?: Record<string, number> } {
  const raw = process.env.LOCAL_QUEUE_VISIBILITY_TIMEOUTS ?? '';
  const entries = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (entries.length === 0) return {};
  const timeouts: Record<string, number> = {};
  for (const entry of entries) {
    const [id, value] = entry.split(':').map((part) => part.trim());
    const seconds = Number(value);
    if (!id || !Number.isInteger(seconds) || seconds < 0)
      throw new LocalPlatformError(`LOCAL_QUEUE_VISIBILITY_TIMEOUTS ${entry} is not <queue logical id>:<whole seconds>`, {
        code: 'BAD_OPTION',
      });
    timeouts[id] = seconds;
  }
  return { queueVisibilityTimeouts: timeouts };
}

function apiKeysFromEnv(): LocalApiKey[] {
  const keys: LocalApiKey[] = [
    { key: process.env.INFER_API_KEY || 'sk-local', tenantId: 'local' },
    { key: process.env.INFER_ADMIN_KEY || 'sk-local-admin', tenantId: 'local', role: 'admin' },
  ];
  if (process.env.INFER_API_KEY_2) keys.push({ key: process.env.INFER_API_KEY_2, tenantId: 'local-2' });
  return keys;
}

/** Where the table and the bucket are kept: LOCAL_DATA_DIR, `.local-data` by default, undefined for in memory. */
function dataDirFromEnv(): string | undefined {
  const raw = process.env.LOCAL_DATA_DIR ?? DEFAULT_DATA_DIR;
  return raw.trim() === '' ? undefined : resolve(raw);
}

const DEFAULT_DATA_DIR = '.local-data';

/** The arguments `npm start -- …` passes; only `--fresh` is known. */
function flagsFromArgv(argv: readonly string[]): { fresh: boolean } {
  const unknown = argv.filter((arg) => arg !== '--fresh');
  if (unknown.length > 0)
    throw new LocalPlatformError(
      `Unknown argument ${unknown.join(' ')}; the only one is --fresh (start with an empty ${DEFAULT_DATA_DIR})`,
      { code: 'BAD_OPTION' },
    );
  return { fresh: argv.includes('--fresh') };
}

function printSummary(platform: LocalPlatform, dataDir: string | undefined): void {
  const [primary] = platform.apiKeys;
  const lines = [
    '',
    `  REST API          ${platform.urls.api}   (OpenAI base URL ${platform.urls.api}/v1)`,
    `  API key           ${primary?.key}   (tenant ${primary?.tenantId})`,
    ...platform.apiKeys
      .slice(1)
      .map(
        (key) =>
          `  ${key.role === 'admin' ? 'Admin key' : 'API key  '}         ${key.key}   (tenant ${key.tenantId}${key.role === 'admin' ? '; manages keys, reads usage' : ''})`,
      ),
    `  DynamoDB          ${platform.urls.dynamodb}   table ${platform.tableName}`,
    `  GPU simulator     ${platform.urls.simulator}/v1 (OpenAI)   ${platform.urls.simulator} (Bedrock Runtime)`,
    `  S3                ${platform.urls.s3}   bucket ${platform.bucketName} (path-style, any credentials; drop files under inbox/${primary?.tenantId ?? 'local'}/, e.g. s3://${platform.bucketName}/inbox/${primary?.tenantId ?? 'local'}/requests.jsonl)`,
    `  SQS               ${platform.urls.sqs}`,
    ...Object.values(platform.queues).map((queue) => `                      ${queue.url}`),
    `  EventBridge       ${platform.urls.events}   (events put so far: GET ${platform.urls.events}/_events)`,
    `  Data              ${dataDir ? `${dataDir} (table and bucket kept across runs; npm start -- --fresh empties it)` : 'in memory (LOCAL_DATA_DIR is empty): nothing is kept'}`,
    `  Routes            ${platform.config.functions.flatMap((fn) => fn.events.flatMap((event) => (event.type === 'other' && event.name === 'http' ? [`${String((event.definition as { method?: unknown }).method ?? 'ANY').toUpperCase()} ${String((event.definition as { path?: unknown }).path)}`] : []))).join(', ')}`,
    `  Queue pollers     ${platform.config.functions.flatMap((fn) => fn.events.flatMap((event) => (event.type === 'sqs' ? [fn.name] : []))).join(', ') || 'none'}`,
    `  Schedules         ${platform.config.functions.flatMap((fn) => fn.events.flatMap((event) => (event.type === 'schedule' ? [`${fn.name} ${event.expressions.join(' ')}`] : []))).join(', ') || 'none'}`,
    '',
    '  Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));
  const ready = {
    api: platform.urls.api,
    dynamodb: platform.urls.dynamodb,
    simulator: platform.urls.simulator,
    apiKey: primary?.key,
    adminKey: platform.apiKeys.find((key) => key.role === 'admin')?.key,
    tableName: platform.tableName,
    s3: platform.urls.s3,
    sqs: platform.urls.sqs,
    events: platform.urls.events,
    bucket: platform.bucketName,
    queues: Object.fromEntries(Object.values(platform.queues).map((queue) => [queue.logicalId, queue.url])),
  };
  console.log(`${READY_MARKER} ${JSON.stringify(ready)}`);
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

async function main(): Promise<void> {
  let platform: LocalPlatform;
  let dataDir: string | undefined;
  try {
    const { fresh } = flagsFromArgv(process.argv.slice(2));
    dataDir = dataDirFromEnv();
    if (fresh && dataDir) await rm(dataDir, { recursive: true, force: true });
    const faults = localFaultsFromEnv();
    if (faults) {
      const { seed, duplicateRate, crashRates, deadLetterRates = {} } = faults.options;
      const byFunction = (rates: Readonly<Record<string, number>>) =>
        Object.entries(rates)
          .map(([key, rate]) => `${rate * 100}% of ${key}`)
          .join(', ') || 'none';
      console.log(
        `  Injected faults   seed ${seed}: ${duplicateRate * 100}% of messages delivered twice; invocations crashing midway: ${byFunction(crashRates)}; messages sent to the dead-letter queue unprocessed: ${byFunction(deadLetterRates)}`,
      );
    }
    platform = await startLocalPlatform({
      ...(faults ? { faults } : {}),
      apiPort: port('INFER_PORT', 3000),
      dynamoDbPort: port('DYNAMODB_PORT', 8000),
      simulatorPort: port('SIM_PORT', 8100),
      s3Port: port('S3_PORT', 4569),
      sqsPort: port('SQS_PORT', 9324),
      eventsPort: port('EVENTS_PORT', 4010),
      ...optional('sqsConcurrency', wholeNumber('LOCAL_SQS_CONCURRENCY', 1)),
      ...optional('visibilityTimeoutSeconds', wholeNumber('LOCAL_VISIBILITY_TIMEOUT_SECONDS', 0)),
      ...queueVisibilityTimeoutsFromEnv(),
      ...optional('scheduleIntervalMs', wholeNumber('LOCAL_SCHEDULE_INTERVAL_MS', 1)),
      apiKeys: apiKeysFromEnv(),
      quiet: process.env.INFER_QUIET === '1',
      ...(dataDir ? { dataDir } : {}),
    });
  } catch (error) {
    const reason = error instanceof LocalPlatformError ? error.message : ((error as Error)?.stack ?? String(error));
    console.error(`\nThe local platform did not start: ${reason}`);
    process.exit(1);
  }
  printSummary(platform, dataDir);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means "now": a handler stuck past its timeout must not hold the exit.
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`\n${signal}: stopping the local platform…`);
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Stopping failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // In Lambda a promise a handler leaves rejected fails that one execution environment;
  // here every function shares this process, so log it instead of taking all of them down.
  process.on('unhandledRejection', (reason) => console.error('[local] unhandled rejection in a function:', reason));
}

void main();
