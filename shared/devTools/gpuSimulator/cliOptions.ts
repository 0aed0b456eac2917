import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATOR_PORT, FACES, type FaceFaults } from './SimulatorConfig';
import type { SimulatorOptions } from './server';

/**
 * Command-line flags of `npm run simulator`. Every flag can also come from the
 * environment as `SIM_<FLAG>` (`--pass-ms` ↔ `SIM_PASS_MS`); a flag beats its variable.
 * Values are only coerced here; ranges are checked by the config schema, so the CLI,
 * `startSimulator` and `POST /_sim/config` accept exactly the same things.
 */

const NUMBER_FLAGS = {
  port: 'port',
  'pass-ms': 'passMs',
  'item-ms': 'itemMs',
  slots: 'slots',
  'max-items-per-pass': 'maxItemsPerPass',
  'max-num-seqs': 'maxNumSeqs',
  'max-num-batched-tokens': 'maxNumBatchedTokens',
  'step-ms': 'stepMs',
  'decode-ms-per-seq': 'decodeMsPerSeq',
  'prefill-ms-per-token': 'prefillMsPerToken',
  dimensions: 'dimensions',
  'added-latency-ms': 'addedLatencyMs',
  'tokens-per-second': 'tokensPerSecond',
  'default-max-tokens': 'defaultMaxTokens',
  'max-queue-items': 'maxQueueItems',
  seed: 'seed',
} as const;

const FAULT_FLAGS: Record<string, Exclude<keyof FaceFaults, 'midStreamErrorKind'>> = {
  'error-rate': 'errorRate',
  'throttle-rate': 'throttleRate',
  'slow-rate': 'slowRate',
  'slow-ms': 'slowMs',
  'hang-rate': 'hangRate',
  'tokens-per-minute': 'tokensPerMinute',
  'retry-after-seconds': 'retryAfterSeconds',
  'mid-stream-error-rate': 'midStreamErrorRate',
};

/** Knobs of Bedrock batch inference (bedrockBatchKnobs.ts). */
const BATCH_NUMBER_FLAGS = {
  'batch-min-records': 'minRecordsPerJob',
  'batch-max-records': 'maxRecordsPerJob',
  'batch-max-concurrent-jobs': 'maxConcurrentJobsPerModel',
  'batch-queue-delay-ms': 'queueDelayMs',
  'batch-ms-per-record': 'msPerRecord',
  'batch-failed-record-rate': 'failedRecordRate',
  'batch-failed-record-code': 'failedRecordCode',
  'batch-partial-share': 'partialShare',
} as const;

/** Where Bedrock batch inference jobs find S3 and EventBridge. */
const ENDPOINT_FLAGS = { 's3-endpoint': 's3Endpoint', 'events-endpoint': 'eventsEndpoint', region: 'region' } as const;

const STRING_FLAGS = ['poison-marker', 'models', 'bedrock-models', 'strict-models', 'batch-job-outcome', 'batch-drop-events'] as const;

/** Every flag name, without the leading dashes. */
export const SIMULATOR_FLAGS: readonly string[] = [
  ...Object.keys(NUMBER_FLAGS),
  ...Object.keys(BATCH_NUMBER_FLAGS),
  ...Object.keys(ENDPOINT_FLAGS),
  ...STRING_FLAGS,
  ...[...Object.keys(FAULT_FLAGS), 'mid-stream-error-kind'].flatMap((flag) => [flag, ...FACES.map((face) => `${face}-${flag}`)]),
];

/** The usage text printed by `--help`. */
export const SIMULATOR_USAGE = `usage: npm run simulator -- [--flag value ...]
  --port N (default ${DEFAULT_SIMULATOR_PORT}, env SIM_PORT)
  embeddings (forward passes): --pass-ms  --item-ms  --slots  --max-items-per-pass
  generation (continuous batching): --max-num-seqs  --max-num-batched-tokens  --step-ms  --decode-ms-per-seq  --prefill-ms-per-token
  --dimensions  --added-latency-ms  --tokens-per-second  --default-max-tokens  --max-queue-items  --seed
  --poison-marker TEXT  --models a,b,c  --bedrock-models a,b  --strict-models true|false
  fault knobs, for both faces or one (--openai-error-rate, --bedrock-tokens-per-minute ...):
  --error-rate  --throttle-rate  --slow-rate  --slow-ms  --tokens-per-minute  --retry-after-seconds
  --mid-stream-error-rate  --mid-stream-error-kind model|internal|throttled
  Bedrock batch inference (CreateModelInvocationJob...): --s3-endpoint URL  --events-endpoint URL  --region
  --batch-min-records  --batch-max-records  --batch-max-concurrent-jobs  --batch-queue-delay-ms  --batch-ms-per-record
  --batch-failed-record-rate  --batch-failed-record-code  --batch-partial-share
  --batch-job-outcome normal|failed|partiallyCompleted|expired  --batch-drop-events Submitted,Completed,...
every flag also reads SIM_<FLAG> from the environment, e.g. SIM_PASS_MS=20`;

function envName(flag: string): string {
  return `SIM_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Turns flags and environment into {@link SimulatorOptions} (port defaults to 8100).
 * @throws TypeError on an unknown flag or a flag without a value.
 */
export function parseSimulatorArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): SimulatorOptions & { help: boolean } {
  const parsed = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(SIMULATOR_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const raw = (flag: string): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : env[envName(flag)];
  };
  // Unparseable numbers become NaN, which the schema rejects with the knob's name.
  const options: Record<string, unknown> = { port: DEFAULT_SIMULATOR_PORT };
  for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
    const value = raw(flag);
    if (value !== undefined) options[key] = Number(value);
  }
  const marker = raw('poison-marker');
  if (marker !== undefined) options.poisonMarker = marker;
  const models = raw('models');
  if (models !== undefined) options.models = list(models);
  const bedrockModels = raw('bedrock-models');
  if (bedrockModels !== undefined) options.bedrockModels = list(bedrockModels);
  const strict = raw('strict-models');
  if (strict !== undefined) options.strictModels = strict === '' || /^(1|true|yes)$/i.test(strict);
  for (const [flag, key] of Object.entries(ENDPOINT_FLAGS)) {
    const value = raw(flag);
    if (value !== undefined && value !== '') options[key] = value;
  }
  const batch: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(BATCH_NUMBER_FLAGS)) {
    const value = raw(flag);
    if (value !== undefined) batch[key] = Number(value);
  }
  const outcome = raw('batch-job-outcome');
  if (outcome !== undefined) batch.jobOutcome = outcome;
  const dropped = raw('batch-drop-events');
  if (dropped !== undefined) batch.dropEvents = list(dropped);
  if (Object.keys(batch).length > 0) options.bedrockBatch = batch;
  for (const face of FACES) {
    const faults: Record<string, number | string> = {};
    for (const [flag, key] of Object.entries(FAULT_FLAGS)) {
      const value = raw(`${face}-${flag}`) ?? raw(flag);
      if (value !== undefined) faults[key] = Number(value);
    }
    const kind = raw(`${face}-mid-stream-error-kind`) ?? raw('mid-stream-error-kind');
    if (kind !== undefined) faults.midStreamErrorKind = kind;
    if (Object.keys(faults).length > 0) options[face] = faults;
  }
  return { ...(options as SimulatorOptions), help: values.help === true };
}
