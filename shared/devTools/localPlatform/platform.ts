import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDbApiKeyStore } from '../../adapters/aws/DynamoDbApiKeyStore';
import { createDocumentClient } from '../../adapters/aws/clients';
import { startSimulator } from '../gpuSimulator/server';
import { createLocalDynamoDbClient, createTables, startLocalDynamoDb } from './dynamodb';
import { PortUnavailableError } from './errors';
import type { LocalFaults } from './faultInjection';
import { startLocalEventBridge, type RecordedEvent } from './eventBridge';
import { eventRouter, eventRulesFrom } from './eventRules';
import { startHttpApiGateway, type GatewayLogger } from './httpApiGateway';
import { httpApiRoutesFrom, restApiSettingsFrom } from './httpApiRoutes';
import { functionTimeoutsFromEnv } from './functionTimeouts';
import { localFunctionFrom, type LocalFunction } from './localFunction';
import { consoleLogger } from './logger';
import { namedResourcesFrom, resolveEnvironment, type LocalQueue, type LocalResources } from './localResources';
import { startLocalS3 } from './s3';
import { seedApiKey } from './seedApiKey';
import type { ApiKeyRole } from '../../auth/ApiKeyStore';
import { S3NotificationForwarder, queueNotificationsFrom } from './s3Notifications';
import { startSchedules } from './scheduleEvents';
import { loadServerlessConfig, type ServerlessConfig } from './serverlessConfig';
import { createLocalSqsClient, createQueues, startLocalSqs } from './sqs';
import { startSqsEventSources } from './sqsEventSource';

/** An API key the platform stores at start-up, the tenant it names and its role (default `member`). */
export interface LocalApiKey {
  key: string;
  tenantId: string;
  role?: ApiKeyRole;
}

/** Options of {@link startLocalPlatform}. */
export interface LocalPlatformOptions {
  /** Service root holding serverless.yml and the handlers. Default: this checkout. */
  rootDir?: string;
  /** Stage the variables of serverless.yml are resolved for. Default `local`. */
  stage?: string;
  /** Ports on 127.0.0.1 (0: any free port). Defaults 3000, 8000, 8100. */
  apiPort?: number;
  dynamoDbPort?: number;
  simulatorPort?: number;
  /** Defaults 4569, 9324, 4010. */
  s3Port?: number;
  sqsPort?: number;
  eventsPort?: number;
  /**
   * A cap on invocations at once per SQS event source, below the event's
   * `maximumConcurrency` and the function's `reservedConcurrency`. Without it and them,
   * the pollers scale as Lambda's up to 1,000.
   */
  sqsConcurrency?: number;
  /**
   * Replaces every queue's VisibilityTimeout (seconds), so a failed message is retried in
   * seconds; it also lifts Lambda's rule that it be at least the function's timeout.
   */
  visibilityTimeoutSeconds?: number;
  /** Replaces the VisibilityTimeout of the queues named by logical id, before `visibilityTimeoutSeconds`. */
  queueVisibilityTimeouts?: Readonly<Record<string, number>>;
  /** Replaces the period of every `schedule: rate(…)` event (milliseconds). */
  scheduleIntervalMs?: number;
  /** Keys to seed. Default: `sk-local` for tenant `local`. */
  apiKeys?: LocalApiKey[];
  /** The environment the handlers read; set before any handler loads. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** No request lines, and no line per EventBridge event. */
  quiet?: boolean;
  logger?: GatewayLogger;
  /** Faults to inject into the queue pollers (duplicate deliveries, crashed invocations): the fault suite's. */
  faults?: LocalFaults;
  /**
   * Where the table (`<dataDir>/dynamodb`, dynalite's LevelDB) and the buckets
   * (`<dataDir>/s3`, s3rver's files) are kept, so they survive a restart; in memory and a
   * temporary directory when absent. Queues are not kept.
   */
  dataDir?: string;
}

/** A running local platform. */
export interface LocalPlatform {
  urls: {
    api: string;
    dynamodb: string;
    /** Base URL; the Bedrock face answers here, the OpenAI face under `/v1`. */
    simulator: string;
    /** S3 API, path-style only. */
    s3: string;
    /** SQS API; queue URLs are under it. */
    sqs: string;
    /** EventBridge PutEvents; `GET /_events` lists what was put. */
    events: string;
  };
  apiKeys: LocalApiKey[];
  tableName: string;
  /** The first bucket of `resources` (the platform's). */
  bucketName: string;
  /** Queues by logical id. */
  queues: Record<string, LocalQueue>;
  /** Everything created from `resources`, by logical id. */
  resources: LocalResources;
  config: ServerlessConfig;
  /** Stops the pollers and schedules, then every server (in reverse order of start). */
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const DEFAULT_ROOT = join(__dirname, '..', '..', '..');

/**
 * Starts the platform on 127.0.0.1 from serverless.yml: DynamoDB (dynalite) with the
 * tables of `resources`, SQS (fauxqs) with its queues and dead-letter queues, S3 (s3rver)
 * with its buckets and their notifications into SQS, an EventBridge that records what is
 * put on its buses, the API keys seeded, the GPU simulator, the REST API serving every
 * `http` event through its authorizer and handler (streaming where the integration does), an event source mapping polling
 * the queue of every `sqs` event, and a timer for every `schedule` event. On failure
 * whatever already started is stopped again before the error is rethrown.
 */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const rootDir = options.rootDir ?? DEFAULT_ROOT;
  const env = options.env ?? process.env;
  const logger = options.logger ?? consoleLogger;
  const config = loadServerlessConfig({ rootDir, stage: options.stage ?? 'local', region: REGION, env });
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closeOne of closers.splice(0).reverse()) await closeOne();
  };
  try {
    const local = namedResourcesFrom(config.resources, REGION);
    if (options.dataDir) await mkdir(join(options.dataDir, 'dynamodb'), { recursive: true });
    const dynamodb = await startLocalDynamoDb({
      port: options.dynamoDbPort ?? 8000,
      ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}),
    });
    closers.push(dynamodb.close);
    const client = createLocalDynamoDbClient(dynamodb.url);
    const [tableName] = await createTables(client, config.resources);
    if (!tableName) throw new Error('serverless.yml defines no AWS::DynamoDB::Table');

    const sqs = await startLocalSqs({ port: options.sqsPort ?? 9324 });
    closers.push(sqs.close);
    const sqsClient = createLocalSqsClient(sqs.url, REGION);
    closers.push(async () => sqsClient.destroy());
    await createQueues(sqsClient, config.resources, local, {
      ...(options.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : {}),
      ...(options.queueVisibilityTimeouts ? { queueVisibilityTimeouts: options.queueVisibilityTimeouts } : {}),
    });

    const { notifications, gaps } = queueNotificationsFrom(config.resources, local);
    for (const ignored of gaps.ignored) logger.info(`[s3] ${ignored} are not emulated locally (QueueConfigurations are)`);
    const forwarder = new S3NotificationForwarder({ client: sqsClient, notifications, region: REGION, logger });
    closers.push(() => forwarder.flush());
    const s3 = await startLocalS3({
      port: options.s3Port ?? 4569,
      onObjectEvent: (event) => forwarder.forward(event),
      ...(options.dataDir ? { directory: join(options.dataDir, 's3') } : {}),
    });
    closers.push(s3.close);
    for (const bucket of Object.values(local.buckets)) await s3.createBucket(bucket.name);
    const [bucket] = Object.values(local.buckets);
    if (!bucket) throw new Error('serverless.yml defines no AWS::S3::Bucket');

    // Events put are kept, printed unless quiet, and delivered to the functions whose rule matches (once they exist).
    let routeEvent: (event: RecordedEvent) => void = () => undefined;
    const events = await startLocalEventBridge({
      port: options.eventsPort ?? 4010,
      region: REGION,
      eventBuses: Object.values(local.eventBuses).map((bus) => bus.name),
      onEvent: (event) => {
        if (!options.quiet) console.log(JSON.stringify(event));
        routeEvent(event);
      },
    });
    closers.push(events.close);

    const simulatorPort = options.simulatorPort ?? 8100;
    // Bedrock batch inference jobs read and write the local bucket and put their events locally.
    const simulator = await startSimulator({ port: simulatorPort, s3Endpoint: s3.url, eventsEndpoint: events.url, region: REGION }).catch(
      (cause: unknown) => {
        throw (cause as NodeJS.ErrnoException)?.code === 'EADDRINUSE'
          ? new PortUnavailableError('GPU simulator', simulatorPort, { envVar: 'SIM_PORT', cause })
          : cause;
      },
    );
    closers.push(() => simulator.close());

    setHandlerEnvironment(env, config, local, {
      dynamodbUrl: dynamodb.url,
      simulatorUrl: simulator.url,
      s3Url: s3.url,
      sqsUrl: sqs.url,
      eventsUrl: events.url,
    });
    const apiKeys = options.apiKeys ?? [{ key: 'sk-local', tenantId: 'local' }];
    const store = new DynamoDbApiKeyStore({ client: createDocumentClient(client), tableName });
    for (const apiKey of apiKeys) await seedApiKey(store, apiKey);
    client.destroy();

    options.faults?.checkFunctions(config.functions.map((fn) => fn.name));
    const timeouts = functionTimeoutsFromEnv(
      env,
      config.functions.map((fn) => fn.name),
    );
    const functions = new Map<string, LocalFunction>(
      config.functions.map((fn) => [
        fn.name,
        localFunctionFrom({ ...fn, timeoutSeconds: timeouts.get(fn.name) ?? fn.timeoutSeconds }, { rootDir, region: REGION }),
      ]),
    );
    const functionFor = (key: string) => {
      const fn = functions.get(key);
      if (!fn) throw new Error(`serverless.yml names function "${key}", which is not under functions`);
      return fn;
    };
    const api = await startHttpApiGateway({
      routes: httpApiRoutesFrom(config, functionFor),
      ...restApiSettingsFrom(config),
      port: options.apiPort ?? 3000,
      region: REGION,
      ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    closers.push(api.close);

    const pollers = startSqsEventSources({
      config,
      functionFor,
      local,
      client: sqsClient,
      checkVisibilityTimeout: options.visibilityTimeoutSeconds === undefined && options.queueVisibilityTimeouts === undefined,
      ...(options.sqsConcurrency !== undefined ? { concurrency: options.sqsConcurrency } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      logger,
    });
    closers.push(() => pollers.stop());
    routeEvent = eventRouter(eventRulesFrom(config), functionFor, logger);
    const schedules = startSchedules({
      config,
      functionFor,
      ...(options.scheduleIntervalMs !== undefined ? { intervalMs: options.scheduleIntervalMs } : {}),
      logger,
    });
    closers.push(() => schedules.stop());

    return {
      urls: { api: api.url, dynamodb: dynamodb.url, simulator: simulator.url, s3: s3.url, sqs: sqs.url, events: events.url },
      apiKeys,
      tableName,
      bucketName: bucket.name,
      queues: local.queues,
      resources: local,
      config,
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * The environment of every function, in one process: serverless.yml's provider and
 * function environment (resolved for this stage) under what the user already set, under
 * what must point at the local stand-ins. Credentials, region and the DynamoDB, S3, SQS and
 * EventBridge endpoints are always the local ones, so a shell holding real AWS credentials
 * never touches AWS.
 */
function setHandlerEnvironment(
  env: NodeJS.ProcessEnv,
  config: ServerlessConfig,
  resources: LocalResources,
  local: { dynamodbUrl: string; simulatorUrl: string; s3Url: string; sqsUrl: string; eventsUrl: string },
): void {
  // Intrinsics (`Ref: WorkQueue`) become the local queue URL, bucket name, ARN… (localResources.ts).
  const fromConfig = resolveEnvironment(config.provider.environment, resources, 'provider.environment');
  for (const fn of config.functions)
    Object.assign(fromConfig, resolveEnvironment(fn.environment, resources, `functions.${fn.name}.environment`));
  const localDefaults: Record<string, string> = {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: local.simulatorUrl,
    // Bedrock's control plane (batch inference: CreateModelInvocationJob...) is the simulator too.
    AWS_ENDPOINT_URL_BEDROCK: local.simulatorUrl,
    GPU_CHAT_URLS: local.simulatorUrl,
    GPU_EMBED_URLS: local.simulatorUrl,
  };
  const forced: Record<string, string> = {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL_DYNAMODB: local.dynamodbUrl,
    AWS_ENDPOINT_URL_S3: local.s3Url,
    AWS_ENDPOINT_URL_SQS: local.sqsUrl,
    AWS_ENDPOINT_URL_EVENTBRIDGE: local.eventsUrl,
    // A local S3 has no per-bucket host names; the app's S3 client reads this.
    AWS_S3_FORCE_PATH_STYLE: 'true',
  };
  // The defaults from serverless.yml for GPU_*_URLS are empty ("Bedrock only"); locally the simulator is the GPU.
  for (const [name, value] of Object.entries({ ...fromConfig, ...localDefaults })) {
    if (env[name] === undefined) env[name] = value;
  }
  Object.assign(env, forced);
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
}
