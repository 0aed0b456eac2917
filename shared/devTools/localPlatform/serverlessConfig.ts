import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ServerlessConfigError } from './errors';
import { resolveVariables, resolveVariablesIn } from './resolveVariables';

/** An `httpApi` event of a function (`method` is upper case, `ANY` for `*`). */
export interface HttpApiEventConfig {
  type: 'httpApi';
  method: string;
  path: string;
  /** Name of an authorizer under `provider.httpApi.authorizers`. */
  authorizer?: string;
}

/** An `sqs` event of a function, kept as declared (the queue is a CloudFormation value). */
export interface SqsEventConfig {
  type: 'sqs';
  arn: unknown;
  batchSize?: number;
  maximumBatchingWindow?: number;
  functionResponseType?: string;
  /** The event source's most invocations at once (Lambda's ScalingConfig.MaximumConcurrency, 2–1000). */
  maximumConcurrency?: number;
}

/** A `schedule` event: EventBridge rule expressions (`rate(5 minutes)`, `cron(…)`). */
export interface ScheduleEventConfig {
  type: 'schedule';
  expressions: string[];
  enabled: boolean;
  /** Constant input sent instead of the scheduled event. */
  input?: unknown;
  /** Rule name, if set. */
  name?: string;
  /** `inputPath` / `inputTransformer`, kept to say they are not emulated. */
  transforms: string[];
}

/** Any other event, kept as declared so later runtimes can pick it up. */
export interface OtherEventConfig {
  type: 'other';
  name: string;
  definition: unknown;
}

/** One event of a function. */
export type FunctionEventConfig = HttpApiEventConfig | SqsEventConfig | ScheduleEventConfig | OtherEventConfig;

/**
 * An `environment` value: a string, or a CloudFormation intrinsic function such as
 * `{ Ref: WorkQueue }` that only the deployed stack (or the local platform, see
 * localResources.ts) can turn into one.
 */
export type EnvironmentValue = string | Record<string, unknown>;

/** A function of serverless.yml with provider defaults applied. */
export interface FunctionConfig {
  /** Key under `functions` (e.g. `chatCompletions`). */
  name: string;
  /** Name deployed to Lambda: `name:` if set, else `<service>-<stage>-<key>`. */
  functionName: string;
  /** As written: `functions/http/health.handler`. */
  handler: string;
  /** Module path without extension, relative to the service root: `functions/http/health`. */
  handlerModule: string;
  /** Export of the module: `handler`. */
  handlerExport: string;
  timeoutSeconds: number;
  memorySize: number;
  /** The function's own `environment` only (provider.environment is separate). */
  environment: Record<string, EnvironmentValue>;
  events: FunctionEventConfig[];
  /** `reservedConcurrency`: the most instances of the function at once, if set. */
  reservedConcurrency?: number;
}

/** An authorizer under `provider.httpApi.authorizers`. */
export interface HttpApiAuthorizerConfig {
  name: string;
  type: 'request' | 'jwt';
  /** Key of the function that implements a request authorizer. */
  functionName?: string;
  enableSimpleResponses: boolean;
  payloadVersion: '1.0' | '2.0';
  resultTtlInSeconds: number;
  identitySource: string[];
}

/** A CloudFormation resource under `resources.Resources`. */
export interface CloudFormationResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The parts of serverless.yml the local runtime needs, variables resolved. */
export interface ServerlessConfig {
  service: string;
  stage: string;
  region: string;
  provider: { environment: Record<string, EnvironmentValue>; timeoutSeconds: number; memorySize: number; runtime?: string };
  functions: FunctionConfig[];
  httpApi: { authorizers: Record<string, HttpApiAuthorizerConfig> };
  resources: Record<string, CloudFormationResource>;
  /** The whole resolved document, for what the typed view does not cover yet. */
  document: Record<string, unknown>;
}

/** Where and as what to read serverless.yml. */
export interface LoadServerlessConfigOptions {
  /** Directory holding serverless.yml (the service root). */
  rootDir: string;
  /** Stage to resolve for (`--stage`); default: `provider.stage` as osls would resolve it. */
  stage?: string;
  /** Region (`--region`); default: `provider.region`. */
  region?: string;
  /** Environment for `${env:…}`; default: none. */
  env?: Record<string, string | undefined>;
  /** File name inside rootDir; default `serverless.yml`. */
  fileName?: string;
}

/** Lambda's defaults when neither the function nor the provider sets them (osls's defaults). */
const DEFAULT_TIMEOUT_SECONDS = 6;
const DEFAULT_MEMORY_SIZE = 1024;

/** Reads serverless.yml from disk and returns its resolved, typed view. */
export function loadServerlessConfig(options: LoadServerlessConfigOptions): ServerlessConfig {
  const file = join(options.rootDir, options.fileName ?? 'serverless.yml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ServerlessConfigError(`Cannot read ${file}`, { cause });
  }
  return parseServerlessConfig(text, options);
}

/** Parses serverless.yml text (see {@link loadServerlessConfig}). */
export function parseServerlessConfig(
  text: string,
  options: Omit<LoadServerlessConfigOptions, 'rootDir' | 'fileName'> = {},
): ServerlessConfig {
  const raw = parse(text) as unknown;
  if (!isRecord(raw)) throw new ServerlessConfigError('serverless.yml is not a mapping');
  const rawProvider = isRecord(raw.provider) ? raw.provider : {};
  // The stage and region are needed to resolve everything else, and may be variables
  // themselves (`${opt:stage, 'dev'}`): resolve them first with only the CLI options.
  const cli = { stage: options.stage, region: options.region };
  const bootstrap = { stage: options.stage ?? 'dev', region: options.region ?? 'us-east-1', options: cli, env: options.env };
  const stage = options.stage ?? String(resolveVariablesIn(rawProvider.stage ?? 'dev', raw, bootstrap, 'provider.stage'));
  const region =
    options.region ?? String(resolveVariablesIn(rawProvider.region ?? 'us-east-1', raw, { ...bootstrap, stage }, 'provider.region'));
  const document = resolveVariables(raw, { stage, region, options: { ...cli, stage, region }, env: options.env });
  return toConfig(document, stage, region);
}

function toConfig(document: Record<string, unknown>, stage: string, region: string): ServerlessConfig {
  const service = isRecord(document.service) ? String(document.service.name) : String(document.service ?? '');
  if (!service) throw new ServerlessConfigError('serverless.yml has no service name');
  const provider = isRecord(document.provider) ? document.provider : {};
  const timeoutSeconds = Number(provider.timeout ?? DEFAULT_TIMEOUT_SECONDS);
  const memorySize = Number(provider.memorySize ?? DEFAULT_MEMORY_SIZE);
  const functions = Object.entries(isRecord(document.functions) ? document.functions : {}).map(([name, definition]) =>
    toFunction(name, isRecord(definition) ? definition : {}, { service, stage, timeoutSeconds, memorySize }),
  );
  const httpApi = isRecord(provider.httpApi) ? provider.httpApi : {};
  const authorizers = Object.fromEntries(
    Object.entries(isRecord(httpApi.authorizers) ? httpApi.authorizers : {}).map(([name, definition]) => [
      name,
      toAuthorizer(name, definition),
    ]),
  );
  const resources = isRecord(document.resources) && isRecord(document.resources.Resources) ? document.resources.Resources : {};
  return {
    service,
    stage,
    region,
    provider: {
      environment: toEnvironment(provider.environment, 'provider.environment'),
      timeoutSeconds,
      memorySize,
      ...(typeof provider.runtime === 'string' ? { runtime: provider.runtime } : {}),
    },
    functions,
    httpApi: { authorizers },
    resources: resources as Record<string, CloudFormationResource>,
    document,
  };
}

function toFunction(
  name: string,
  definition: Record<string, unknown>,
  defaults: { service: string; stage: string; timeoutSeconds: number; memorySize: number },
): FunctionConfig {
  const handler = String(definition.handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new ServerlessConfigError(`functions.${name}.handler "${handler}" is not <module path>.<export>`);
  return {
    name,
    functionName: typeof definition.name === 'string' ? definition.name : `${defaults.service}-${defaults.stage}-${name}`,
    handler,
    handlerModule: handler.slice(0, dot),
    handlerExport: handler.slice(dot + 1),
    timeoutSeconds: Number(definition.timeout ?? defaults.timeoutSeconds),
    memorySize: Number(definition.memorySize ?? defaults.memorySize),
    environment: toEnvironment(definition.environment, `functions.${name}.environment`),
    events: (Array.isArray(definition.events) ? definition.events : []).map((event, index) =>
      toEvent(event, `functions.${name}.events[${index}]`),
    ),
    ...(definition.reservedConcurrency !== undefined ? { reservedConcurrency: Number(definition.reservedConcurrency) } : {}),
  };
}

function toEvent(event: unknown, where: string): FunctionEventConfig {
  const [name, definition] = isRecord(event) ? (Object.entries(event)[0] ?? ['', undefined]) : ['', undefined];
  if (name === 'httpApi') {
    // Shorthand `httpApi: 'GET /path'` or `'*'` (every method and path).
    if (typeof definition === 'string') {
      if (definition === '*') return { type: 'httpApi', method: 'ANY', path: '*' };
      const [method = '', path = ''] = definition.trim().split(/\s+/);
      return { type: 'httpApi', method: normaliseMethod(method), path };
    }
    if (!isRecord(definition) || typeof definition.path !== 'string') throw new ServerlessConfigError(`${where}.httpApi needs a path`);
    const authorizer = isRecord(definition.authorizer) ? definition.authorizer.name : definition.authorizer;
    return {
      type: 'httpApi',
      method: normaliseMethod(String(definition.method ?? '*')),
      path: definition.path,
      ...(authorizer !== undefined ? { authorizer: String(authorizer) } : {}),
    };
  }
  if (name === 'sqs') {
    const sqs = isRecord(definition) ? definition : { arn: definition };
    return {
      type: 'sqs',
      arn: sqs.arn,
      ...(sqs.batchSize !== undefined ? { batchSize: Number(sqs.batchSize) } : {}),
      ...(sqs.maximumBatchingWindow !== undefined ? { maximumBatchingWindow: Number(sqs.maximumBatchingWindow) } : {}),
      ...(typeof sqs.functionResponseType === 'string' ? { functionResponseType: sqs.functionResponseType } : {}),
      ...(sqs.maximumConcurrency !== undefined ? { maximumConcurrency: Number(sqs.maximumConcurrency) } : {}),
    };
  }
  if (name === 'schedule') {
    const schedule = isRecord(definition) ? definition : { rate: definition };
    const expressions = (Array.isArray(schedule.rate) ? schedule.rate : [schedule.rate]).map(String);
    if (!expressions.length || expressions.some((expression) => !/^(rate|cron)\(.+\)$/.test(expression))) {
      throw new ServerlessConfigError(`${where}.schedule needs rate(…) or cron(…) expressions, not ${JSON.stringify(schedule.rate)}`);
    }
    return {
      type: 'schedule',
      expressions,
      enabled: schedule.enabled !== false,
      ...(schedule.input !== undefined ? { input: schedule.input } : {}),
      ...(typeof schedule.name === 'string' ? { name: schedule.name } : {}),
      transforms: ['inputPath', 'inputTransformer'].filter((key) => schedule[key] !== undefined),
    };
  }
  return { type: 'other', name, definition };
}

function toAuthorizer(name: string, definition: unknown): HttpApiAuthorizerConfig {
  const options = isRecord(definition) ? definition : {};
  const type = options.type === 'request' ? 'request' : 'jwt';
  const identitySource = options.identitySource;
  return {
    name,
    type,
    ...(typeof options.functionName === 'string' ? { functionName: options.functionName } : {}),
    enableSimpleResponses: options.enableSimpleResponses === true,
    payloadVersion: String(options.payloadVersion ?? '2.0') === '1.0' ? '1.0' : '2.0',
    resultTtlInSeconds: Number(options.resultTtlInSeconds ?? 300),
    identitySource: Array.isArray(identitySource) ? identitySource.map(String) : identitySource ? [String(identitySource)] : [],
  };
}

function toEnvironment(value: unknown, where: string): Record<string, EnvironmentValue> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new ServerlessConfigError(`${where} is not a mapping`);
  // Lambda environment values are strings; CloudFormation stringifies numbers and booleans too.
  // An intrinsic function (`Ref: WorkQueue`) is kept for the platform to resolve once its resources exist.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, isRecord(item) ? item : item === null || item === undefined ? '' : String(item)]),
  );
}

function normaliseMethod(method: string): string {
  const upper = method.toUpperCase();
  return upper === '*' ? 'ANY' : upper;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
