import { join } from 'node:path';
import { DynamoDbApiKeyStore, issueApiKey } from '../auth';
import { createDocumentClient } from '../aws/clients';
import { startSimulator } from '../simulator';
import { createLocalDynamoDbClient, createTables, startLocalDynamoDb } from './dynamodb';
import { PortUnavailableError } from './errors';
import { startHttpApiGateway, type GatewayLogger } from './httpApiGateway';
import { httpApiRoutesFrom } from './httpApiRoutes';
import { localFunctionFrom, type LocalFunction } from './localFunction';
import { loadServerlessConfig, type ServerlessConfig } from './serverlessConfig';

/** An API key the platform stores at start-up, and the tenant it names. */
export interface LocalApiKey {
  key: string;
  tenantId: string;
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
  /** Keys to seed. Default: `sk-local` for tenant `local`. */
  apiKeys?: LocalApiKey[];
  /** The environment the handlers read; set before any handler loads. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** No request lines. */
  quiet?: boolean;
  logger?: GatewayLogger;
}

/** A running local platform. */
export interface LocalPlatform {
  urls: {
    api: string;
    dynamodb: string;
    /** Base URL; the Bedrock face answers here, the OpenAI face under `/v1`. */
    simulator: string;
  };
  apiKeys: LocalApiKey[];
  tableName: string;
  config: ServerlessConfig;
  /** Stops every server (in reverse order of start). */
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const DEFAULT_ROOT = join(__dirname, '..', '..');

/**
 * Starts the platform on 127.0.0.1 from serverless.yml: DynamoDB (dynalite) with the
 * table of `resources`, the API keys seeded, the GPU simulator, and the HTTP API serving
 * every `httpApi` event through its authorizer and handler. On failure whatever already
 * started is stopped again before the error is rethrown.
 */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const rootDir = options.rootDir ?? DEFAULT_ROOT;
  const env = options.env ?? process.env;
  const config = loadServerlessConfig({ rootDir, stage: options.stage ?? 'local', region: REGION, env });
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closeOne of closers.splice(0).reverse()) await closeOne();
  };
  try {
    const dynamodb = await startLocalDynamoDb({ port: options.dynamoDbPort ?? 8000 });
    closers.push(dynamodb.close);
    const client = createLocalDynamoDbClient(dynamodb.url);
    const [tableName] = await createTables(client, config.resources);
    if (!tableName) throw new Error('serverless.yml defines no AWS::DynamoDB::Table');

    const simulatorPort = options.simulatorPort ?? 8100;
    const simulator = await startSimulator({ port: simulatorPort }).catch((cause: unknown) => {
      throw (cause as NodeJS.ErrnoException)?.code === 'EADDRINUSE' ? new PortUnavailableError('GPU simulator', simulatorPort, { envVar: 'SIM_PORT', cause }) : cause;
    });
    closers.push(() => simulator.close());

    setHandlerEnvironment(env, config, { dynamodbUrl: dynamodb.url, simulatorUrl: simulator.url });
    const apiKeys = options.apiKeys ?? [{ key: 'sk-local', tenantId: 'local' }];
    const store = new DynamoDbApiKeyStore({ client: createDocumentClient(client), tableName });
    for (const { key, tenantId } of apiKeys) await issueApiKey(store, { key, tenantId, name: `${tenantId} (npm start)` });
    client.destroy();

    const functions = new Map<string, LocalFunction>(config.functions.map((fn) => [fn.name, localFunctionFrom(fn, { rootDir, region: REGION })]));
    const functionFor = (key: string) => {
      const fn = functions.get(key);
      if (!fn) throw new Error(`serverless.yml names function "${key}", which is not under functions`);
      return fn;
    };
    const api = await startHttpApiGateway({
      routes: httpApiRoutesFrom(config, functionFor),
      port: options.apiPort ?? 3000,
      region: REGION,
      ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    closers.push(api.close);
    return { urls: { api: api.url, dynamodb: dynamodb.url, simulator: simulator.url }, apiKeys, tableName, config, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * The environment of every function, in one process: serverless.yml's provider and
 * function environment (resolved for this stage) under what the user already set, under
 * what must point at the local stand-ins. Credentials, region and the DynamoDB endpoint are
 * always the local ones, so a shell holding real AWS credentials never touches AWS.
 */
function setHandlerEnvironment(env: NodeJS.ProcessEnv, config: ServerlessConfig, local: { dynamodbUrl: string; simulatorUrl: string }): void {
  const fromConfig: Record<string, string> = { ...config.provider.environment };
  for (const fn of config.functions) Object.assign(fromConfig, fn.environment);
  const localDefaults: Record<string, string> = {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: local.simulatorUrl,
    GPU_CHAT_URLS: local.simulatorUrl,
    GPU_EMBED_URLS: local.simulatorUrl,
  };
  const forced: Record<string, string> = {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL_DYNAMODB: local.dynamodbUrl,
  };
  // The defaults from serverless.yml for GPU_*_URLS are empty ("Bedrock only"); locally the simulator is the GPU.
  for (const [name, value] of Object.entries({ ...fromConfig, ...localDefaults })) {
    if (env[name] === undefined) env[name] = value;
  }
  Object.assign(env, forced);
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
}
