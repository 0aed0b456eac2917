import * as z from 'zod';
import { parsePriceTable, ServiceTier, type PriceTable } from '../domain/pricing';

const urlList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url()));

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A default limit: a whole number, or `none` (or empty) for no limit. */
const limit = (fallback: number | undefined) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = (value ?? (fallback === undefined ? 'none' : String(fallback))).trim();
      if (text === '' || text === 'none') return undefined;
      const parsed = Number(text);
      if (!Number.isInteger(parsed) || parsed < 0) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number or "none"' });
        return z.NEVER;
      }
      return parsed;
    });

/** The environment every function reads, validated once at cold start. */
export const ConfigSchema = z.object({
  STAGE: z.string().min(1).default('dev'),
  TABLE_NAME: z.string().min(1).optional(),
  /** A whole model catalogue as JSON; when empty the built-in one is used. */
  MODEL_CATALOGUE: z.string().optional(),
  /**
   * Base URLs of OpenAI-compatible GPU servers shared by every chat model and by every
   * embeddings model, for models without a pool of their own (`GPU_POOL_<KEY>_URLS`).
   */
  GPU_CHAT_URLS: urlList,
  GPU_EMBED_URLS: urlList,
  BEDROCK_REGION: z.string().optional(),
  /**
   * Bedrock's on-demand service tier for batch work (batch job lines, queue requests) and
   * for real-time requests, where the model offers it (catalogue `serviceTiers`).
   */
  BEDROCK_BATCH_SERVICE_TIER: ServiceTier.default('flex'),
  BEDROCK_REALTIME_SERVICE_TIER: ServiceTier.default('standard'),
  /** Overrides of the price table (JSON, see `shared/domain/pricing.ts`); AWS list prices otherwise. */
  PRICE_TABLE: z.string().optional(),
  AWS_REGION: z.string().default('us-east-1'),
  /** Largest request body the HTTP routes accept. */
  MAX_BODY_BYTES: int(4 * 1024 * 1024),
  /** How long the authorizer trusts a key it has looked up (a revoked key works at most this long). */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(60_000),
  /** Consecutive backend faults that open its circuit, and how long it then stays open. */
  CIRCUIT_FAILURE_THRESHOLD: int(3),
  CIRCUIT_COOLDOWN_MS: int(10_000),
  BUCKET_NAME: z.string().min(1).optional(),
  INGEST_QUEUE_URL: z.string().optional(),
  WORK_QUEUE_URL: z.string().optional(),
  FINALIZE_QUEUE_URL: z.string().optional(),
  EVENT_BUS_NAME: z.string().optional(),
  BEDROCK_BATCH_ROLE_ARN: z.string().optional(),
  BEDROCK_BATCH_ROUTE: z.enum(['on', 'off']).optional(),
  /** The queue entry: requests in, the default queue for answers, and the prefix of the other queues answers may go to. */
  REQUESTS_QUEUE_URL: z.string().optional(),
  RESULTS_QUEUE_URL: z.string().optional(),
  REPLY_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be the start of an SQS queue name (letters, digits, - and _)')
    .optional(),
  /** Receives of a request message before SQS moves it to the DLQ (the RequestsQueue's maxReceiveCount). */
  REQUESTS_MAX_RECEIVE_COUNT: int(3),
  /** Limits of one batch job's input. */
  MAX_LINES_PER_JOB: int(100_000),
  MAX_LINE_BYTES: int(1024 * 1024),
  MAX_FILE_BYTES: int(2 * 1024 * 1024 * 1024),
  /** A chunk is at most this many lines and bytes: small enough to finish well within a worker's timeout. */
  CHUNK_MAX_LINES: int(500),
  CHUNK_MAX_BYTES: int(4 * 1024 * 1024),
  /**
   * Real-time usage is counted in each container and written when this long has passed
   * since its last write (0: after every request) or this many requests wait, whichever
   * comes first. A container that dies loses at most that much of its count.
   */
  USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().nonnegative().default(10_000),
  USAGE_FLUSH_MAX_REQUESTS: int(200),
  /** A running chunk reports its progress at most this often. */
  CHUNK_PROGRESS_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1_000),
  /**
   * Rate limits (README, "Limits and budgets"): the window every per-minute limit counts
   * in (a minute; tests shorten it), the share of a limit a container draws at once, and
   * the defaults of a key and of a tenant that has none of its own.
   */
  RATE_LIMIT_WINDOW_MS: int(60_000),
  RATE_LIMIT_BLOCK_FRACTION: z.coerce.number().positive().max(1).default(0.02),
  KEY_REQUESTS_PER_MINUTE: limit(10_000),
  KEY_TOKENS_PER_MINUTE: limit(10_000_000),
  KEY_CONCURRENT_REQUESTS: limit(undefined),
  TENANT_REQUESTS_PER_MINUTE: limit(undefined),
  TENANT_TOKENS_PER_MINUTE: limit(undefined),
  TENANT_CONCURRENT_REQUESTS: limit(undefined),
  /** How long a container trusts a tenant's limits and budget, and its month of usage, before reading them again. */
  TENANT_SETTINGS_TTL_MS: z.coerce.number().int().nonnegative().default(60_000),
  BUDGET_REFRESH_MS: z.coerce.number().int().nonnegative().default(30_000),
  /** Fractions of a budget at which a warning event goes out (each once a month). */
  BUDGET_WARNING_THRESHOLDS: z
    .string()
    .default('0.5,0.8,1')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map(Number),
    )
    .pipe(z.array(z.number().positive())),
  /**
   * What a tenant's running batch jobs do once it is over its monthly budget, unless its
   * own budget says (`running_jobs`): `finish` (they run to the end) or `pause` (their
   * chunks are set aside until the tenant is back under its budget).
   */
  BUDGET_RUNNING_JOBS: z.enum(['finish', 'pause']).default('finish'),
  /** The work queue's maxReceiveCount (serverless.yml): the worker settles a chunk on its last delivery. */
  WORK_MAX_RECEIVE_COUNT: int(5),
  /**
   * Fair shares of each backend (README, "Shares and priorities"): `off` serves calls
   * first come, first served; tenants' weights as `tenantA=2,tenantB=0.5` (others 1); the
   * share of a backend batch leaves to real-time while real-time calls were seen within
   * the hold.
   */
  FAIR_SHARE: z.enum(['on', 'off']).default('on'),
  TENANT_WEIGHTS: z
    .string()
    .optional()
    .transform((value, context) => {
      const weights: Record<string, number> = {};
      for (const pair of (value ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)) {
        const [tenant, weight] = pair.split('=').map((part) => part.trim());
        const number = Number(weight);
        if (!tenant || !(number > 0 && Number.isFinite(number))) {
          context.addIssue({ code: 'custom', message: `'${pair}' is not tenant=weight with a positive weight` });
          return z.NEVER;
        }
        weights[tenant] = number;
      }
      return weights;
    }),
  REALTIME_RESERVE: z.coerce.number().min(0).lt(1).default(0.25),
  REALTIME_HOLD_MS: z.coerce.number().int().nonnegative().default(5_000),
  /** The latency guard: most of a backend's limit all calls may hold while real-time traffic is about (1: off). */
  REALTIME_LOAD_SHARE: z.coerce.number().gt(0).max(1).default(1),
  /** Batch calls that may wait in a pool's servers' own queue while no real-time traffic is about, as a share of its server slots. */
  SERVER_QUEUE_SHARE: z.coerce.number().min(0).max(1).optional(),
  /**
   * One budget per backend across the fleet (README, "One budget per backend"): `off`
   * leaves each container to its own limits; a lease's life, how often a busy container
   * renews it, and how soon calls waiting for slots ask again.
   */
  FLEET_BUDGET: z.enum(['on', 'off']).default('on'),
  FLEET_LEASE_TTL_MS: int(20_000),
  FLEET_LEASE_RENEW_MS: int(5_000),
  FLEET_LEASE_RETRY_MS: int(500),
});

/** Validated configuration. */
export interface Config {
  stage: string;
  tableName: string | undefined;
  modelCatalogueJson: string | undefined;
  gpuChatUrls: string[];
  gpuEmbedUrls: string[];
  /** Each model's own GPU pool, by {@link modelKey}: `GPU_POOL_<KEY>_URLS`. */
  gpuPools: Record<string, string[]>;
  /** Each model's Bedrock fallback (a model id, or `none`), by {@link modelKey}: `BEDROCK_FALLBACK_<KEY>`. */
  bedrockFallbacks: Record<string, string>;
  /** The EC2 instance type of each model's GPU pool, by {@link modelKey}: `GPU_POOL_<KEY>_INSTANCE_TYPE` (what its time is priced at). */
  gpuInstanceTypes: Record<string, string>;
  /**
   * Sequences one server of each model's GPU pool runs at once (vLLM's `--max-num-seqs`),
   * by {@link modelKey}: `GPU_POOL_<KEY>_MAX_NUM_SEQS`. Sizes the pool's concurrency.
   */
  gpuMaxNumSeqs: Record<string, number>;
  /** Seconds each model's GPU pool takes to start an instance, by {@link modelKey}: `GPU_POOL_<KEY>_STARTUP_SECONDS` (how long batch work waits for it). */
  gpuStartupSeconds: Record<string, number>;
  bedrockRegion: string;
  /** The Bedrock service tier asked for by each kind of work. */
  serviceTiers: { batch: ServiceTier; realtime: ServiceTier };
  /** The prices jobs and budgets are costed with. */
  priceTable: PriceTable;
  maxBodyBytes: number;
  authCacheTtlMs: number;
  circuitFailureThreshold: number;
  circuitCooldownMs: number;
  bucketName: string | undefined;
  ingestQueueUrl: string | undefined;
  workQueueUrl: string | undefined;
  finalizeQueueUrl: string | undefined;
  eventBusName: string | undefined;
  /**
   * The service role Bedrock batch inference jobs run as (reads the route's input prefix,
   * writes its output prefix); undefined when the route is off (`BEDROCK_BATCH_ROUTE=off`).
   */
  bedrockBatchRoleArn: string | undefined;
  requestsQueueUrl: string | undefined;
  resultsQueueUrl: string | undefined;
  replyQueuePrefix: string | undefined;
  requestsMaxReceiveCount: number;
  limits: BatchLimits;
  workMaxReceiveCount: number;
  usageFlush: { intervalMs: number; maxRequests: number };
  chunkProgressIntervalMs: number;
  /** How each backend is shared among tenants and between real-time and batch calls (the core's `fairShare`). */
  fairShare: {
    enabled: boolean;
    weights: Record<string, number>;
    realtimeReserve: number;
    realtimeHoldMs: number;
    realtimeLoadShare: number;
    /** Undefined: the core's default (0.125, or 0 with the latency guard on). */
    serverQueueShare?: number;
  };
  /** The fleet budget's leases (the core's `fleetBudget`; needs the table). */
  fleetBudget: { enabled: boolean; ttlMs: number; renewMs: number; retryMs: number };
  rateLimits: RateLimitConfig;
}

/** A limit of a key or a tenant; `undefined` is none. */
export interface LimitDefaults {
  requests?: number;
  tokens?: number;
  concurrent?: number;
}

/** How rate limits and budgets are counted, and their defaults. */
export interface RateLimitConfig {
  windowMs: number;
  blockFraction: number;
  key: LimitDefaults;
  tenant: LimitDefaults;
  settingsTtlMs: number;
  budgetRefreshMs: number;
  budgetWarningThresholds: number[];
  /** What a tenant's running jobs do over its budget when its settings do not say. */
  runningJobsOverBudget: 'finish' | 'pause';
}

/** Limits of a batch job's input and the size of its chunks. */
export interface BatchLimits {
  maxLinesPerJob: number;
  maxLineBytes: number;
  maxFileBytes: number;
  chunkMaxLines: number;
  chunkMaxBytes: number;
}

/** A configuration error names the variable, so a bad deployment fails loudly at cold start. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The key of a model in per-model variable names: `gpt-oss-20b` → `GPT_OSS_20B`. */
export function modelKey(modelId: string): string {
  return modelId.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

const POOL_VARIABLE = /^GPU_POOL_([A-Z0-9_]+)_URLS$/;
const FALLBACK_VARIABLE = /^BEDROCK_FALLBACK_([A-Z0-9_]+)$/;
const INSTANCE_TYPE_VARIABLE = /^GPU_POOL_([A-Z0-9_]+)_INSTANCE_TYPE$/;
const MAX_NUM_SEQS_VARIABLE = /^GPU_POOL_([A-Z0-9_]+)_MAX_NUM_SEQS$/;
const STARTUP_VARIABLE = /^GPU_POOL_([A-Z0-9_]+)_STARTUP_SECONDS$/;

/** The per-model variables that are set (an empty one means "the default"), by model key. */
function perModel<T>(env: NodeJS.ProcessEnv, pattern: RegExp, parse: (value: string, variable: string) => T): Record<string, T> {
  const found: Record<string, T> = {};
  for (const [variable, value] of Object.entries(env)) {
    const key = pattern.exec(variable)?.[1];
    if (key !== undefined && value !== undefined && value.trim() !== '') found[key] = parse(value.trim(), variable);
  }
  return found;
}

function positiveCount(value: string, variable: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1)
    throw new ConfigError(`Invalid environment variable ${variable}: expected a whole number of at least 1, got '${value}'`);
  return count;
}

function seconds(value: string, variable: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new ConfigError(`Invalid environment variable ${variable}: a whole number of seconds >= 0`);
  return parsed;
}

function poolUrls(value: string, variable: string): string[] {
  const parsed = urlList.safeParse(value, PARSED_ONCE);
  if (!parsed.success) throw new ConfigError(`Invalid environment variable ${variable}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/**
 * Parse options for a schema parsed once per process (settings at cold start): zod
 * compiles an object schema's parser to a function at its first parse, which pays only
 * over many parses, and costs a cold start about 2 ms for the configuration's.
 */
export const PARSED_ONCE = { jitless: true } as const;

/** Reads and validates the environment. Call once per module, at cold start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env, PARSED_ONCE);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.FLEET_LEASE_RENEW_MS >= e.FLEET_LEASE_TTL_MS) {
    throw new ConfigError('Invalid environment variable FLEET_LEASE_RENEW_MS: must be less than FLEET_LEASE_TTL_MS');
  }
  return {
    stage: e.STAGE,
    tableName: e.TABLE_NAME,
    modelCatalogueJson: e.MODEL_CATALOGUE?.trim() ? e.MODEL_CATALOGUE : undefined,
    gpuChatUrls: e.GPU_CHAT_URLS,
    gpuEmbedUrls: e.GPU_EMBED_URLS,
    gpuPools: perModel(env, POOL_VARIABLE, poolUrls),
    bedrockFallbacks: perModel(env, FALLBACK_VARIABLE, (value) => value),
    gpuInstanceTypes: perModel(env, INSTANCE_TYPE_VARIABLE, (value) => value),
    gpuMaxNumSeqs: perModel(env, MAX_NUM_SEQS_VARIABLE, positiveCount),
    gpuStartupSeconds: perModel(env, STARTUP_VARIABLE, seconds),
    bedrockRegion: e.BEDROCK_REGION ?? e.AWS_REGION,
    serviceTiers: { batch: e.BEDROCK_BATCH_SERVICE_TIER, realtime: e.BEDROCK_REALTIME_SERVICE_TIER },
    priceTable: priceTableOf(e.PRICE_TABLE),
    maxBodyBytes: e.MAX_BODY_BYTES,
    authCacheTtlMs: e.AUTH_CACHE_TTL_MS,
    circuitFailureThreshold: e.CIRCUIT_FAILURE_THRESHOLD,
    circuitCooldownMs: e.CIRCUIT_COOLDOWN_MS,
    bucketName: e.BUCKET_NAME,
    ingestQueueUrl: e.INGEST_QUEUE_URL || undefined,
    workQueueUrl: e.WORK_QUEUE_URL || undefined,
    finalizeQueueUrl: e.FINALIZE_QUEUE_URL || undefined,
    eventBusName: e.EVENT_BUS_NAME || undefined,
    // `BEDROCK_BATCH_ROUTE=off` turns the route off: no line goes to batch inference.
    bedrockBatchRoleArn: e.BEDROCK_BATCH_ROUTE === 'off' ? undefined : e.BEDROCK_BATCH_ROLE_ARN || undefined,
    requestsQueueUrl: e.REQUESTS_QUEUE_URL || undefined,
    resultsQueueUrl: e.RESULTS_QUEUE_URL || undefined,
    replyQueuePrefix: e.REPLY_QUEUE_PREFIX || undefined,
    requestsMaxReceiveCount: e.REQUESTS_MAX_RECEIVE_COUNT,
    workMaxReceiveCount: e.WORK_MAX_RECEIVE_COUNT,
    usageFlush: { intervalMs: e.USAGE_FLUSH_INTERVAL_MS, maxRequests: e.USAGE_FLUSH_MAX_REQUESTS },
    chunkProgressIntervalMs: e.CHUNK_PROGRESS_INTERVAL_MS,
    fairShare: {
      enabled: e.FAIR_SHARE === 'on',
      weights: e.TENANT_WEIGHTS,
      realtimeReserve: e.REALTIME_RESERVE,
      realtimeHoldMs: e.REALTIME_HOLD_MS,
      realtimeLoadShare: e.REALTIME_LOAD_SHARE,
      ...(e.SERVER_QUEUE_SHARE === undefined ? {} : { serverQueueShare: e.SERVER_QUEUE_SHARE }),
    },
    fleetBudget: {
      enabled: e.FLEET_BUDGET === 'on',
      ttlMs: e.FLEET_LEASE_TTL_MS,
      renewMs: e.FLEET_LEASE_RENEW_MS,
      retryMs: e.FLEET_LEASE_RETRY_MS,
    },
    rateLimits: {
      windowMs: e.RATE_LIMIT_WINDOW_MS,
      blockFraction: e.RATE_LIMIT_BLOCK_FRACTION,
      key: { requests: e.KEY_REQUESTS_PER_MINUTE, tokens: e.KEY_TOKENS_PER_MINUTE, concurrent: e.KEY_CONCURRENT_REQUESTS },
      tenant: { requests: e.TENANT_REQUESTS_PER_MINUTE, tokens: e.TENANT_TOKENS_PER_MINUTE, concurrent: e.TENANT_CONCURRENT_REQUESTS },
      settingsTtlMs: e.TENANT_SETTINGS_TTL_MS,
      budgetRefreshMs: e.BUDGET_REFRESH_MS,
      budgetWarningThresholds: e.BUDGET_WARNING_THRESHOLDS,
      runningJobsOverBudget: e.BUDGET_RUNNING_JOBS,
    },
    limits: {
      maxLinesPerJob: e.MAX_LINES_PER_JOB,
      maxLineBytes: e.MAX_LINE_BYTES,
      maxFileBytes: e.MAX_FILE_BYTES,
      chunkMaxLines: e.CHUNK_MAX_LINES,
      chunkMaxBytes: e.CHUNK_MAX_BYTES,
    },
  };
}

function priceTableOf(json: string | undefined): PriceTable {
  try {
    return parsePriceTable(json);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** The table name, required by the functions that use the table. */
export function requireTableName(config: Config): string {
  if (!config.tableName) throw new ConfigError('TABLE_NAME is not set');
  return config.tableName;
}

/** A setting a function cannot run without; fails at cold start naming the variable. */
export function required<T>(value: T | undefined, variable: string): T {
  if (value === undefined) throw new ConfigError(`${variable} is not set`);
  return value;
}
