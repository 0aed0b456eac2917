import { ServerlessConfigError } from './errors';
import { LOCAL_ACCOUNT_ID } from './lambdaContext';
import type { CloudFormationResource } from './serverlessConfig';

/** A queue of `resources` as created in the local SQS. */
export interface LocalQueue {
  logicalId: string;
  name: string;
  /** `http://127.0.0.1:<port>/000000000000/<name>`. */
  url: string;
  /** `arn:aws:sqs:<region>:000000000000:<name>`. */
  arn: string;
  /** VisibilityTimeout the queue was created with (seconds). */
  visibilityTimeoutSeconds: number;
}

/** A bucket, event bus or table of `resources`: its name and ARN. */
export interface LocalNamedResource {
  logicalId: string;
  name: string;
  arn: string;
}

/** What the local platform created from `resources.Resources`, by logical id. */
export interface LocalResources {
  region: string;
  queues: Record<string, LocalQueue>;
  buckets: Record<string, LocalNamedResource>;
  eventBuses: Record<string, LocalNamedResource>;
  tables: Record<string, LocalNamedResource>;
}

/** A resource's physical name when serverless.yml gives none: CloudFormation would generate one. */
export function physicalNameOf(logicalId: string, resource: CloudFormationResource, property: string): string {
  const name = resource.Properties?.[property];
  if (name === undefined) return resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
  if (typeof name !== 'string') {
    throw new ServerlessConfigError(
      `${logicalId}.Properties.${property} must be a plain string locally (intrinsic functions are not evaluated there)`,
    );
  }
  return name;
}

/** ARNs as AWS writes them, in the local account. */
export const localArn = {
  queue: (region: string, name: string) => `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`,
  bucket: (name: string) => `arn:aws:s3:::${name}`,
  eventBus: (region: string, name: string) => `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:event-bus/${name}`,
  table: (region: string, name: string) => `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${name}`,
};

/** Names and ARNs of the buckets, event buses and tables of `resources` (queues are added once created). */
export function namedResourcesFrom(resources: Record<string, CloudFormationResource>, region: string): LocalResources {
  const local: LocalResources = { region, queues: {}, buckets: {}, eventBuses: {}, tables: {} };
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::S3::Bucket') {
      const name = physicalNameOf(logicalId, resource, 'BucketName');
      local.buckets[logicalId] = { logicalId, name, arn: localArn.bucket(name) };
    } else if (resource.Type === 'AWS::Events::EventBus') {
      const name = physicalNameOf(logicalId, resource, 'Name');
      local.eventBuses[logicalId] = { logicalId, name, arn: localArn.eventBus(region, name) };
    } else if (resource.Type === 'AWS::DynamoDB::Table') {
      const name = physicalNameOf(logicalId, resource, 'TableName');
      local.tables[logicalId] = { logicalId, name, arn: localArn.table(region, name) };
    }
  }
  return local;
}

/**
 * The string a CloudFormation value stands for in the local platform: a plain string as
 * it is; `Ref` of a queue (its URL), a bucket, an event bus or a table (their names) or a
 * pseudo parameter; `Fn::GetAtt` of `Arn` (any of those), a queue's `QueueName` or
 * `QueueUrl`; `Fn::Join` and `Fn::Sub` over these. Anything else is a
 * {@link ServerlessConfigError} naming `where`, so the platform does not start with a
 * value a handler would misread.
 */
export function resolveIntrinsic(value: unknown, local: LocalResources, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const entries = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
  const [fn, argument] = entries.length === 1 ? entries[0]! : [undefined, undefined];
  switch (fn) {
    case 'Ref':
      return ref(String(argument), local, where);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split(/\.(.*)/s);
      return getAtt(logicalId ?? '', attribute ?? '', local, where);
    }
    case 'Fn::Join': {
      const [separator, items] = Array.isArray(argument) ? argument : [];
      if (typeof separator !== 'string' || !Array.isArray(items)) throw unsupported(value, where, 'Fn::Join takes [separator, [values]]');
      return items.map((item, index) => resolveIntrinsic(item, local, `${where} (Fn::Join item ${index})`)).join(separator);
    }
    case 'Fn::Sub': {
      const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
      if (typeof template !== 'string') throw unsupported(value, where, 'Fn::Sub takes a string or [string, {variables}]');
      const own = (variables ?? {}) as Record<string, unknown>;
      return template.replace(/\$\{(!?)([^}]*)\}/g, (_, literal: string, name: string) => {
        if (literal) return `\${${name}}`;
        if (name in own) return resolveIntrinsic(own[name], local, `${where} (Fn::Sub \${${name}})`);
        const dot = name.indexOf('.');
        return dot < 0 ? ref(name, local, where) : getAtt(name.slice(0, dot), name.slice(dot + 1), local, where);
      });
    }
    default:
      throw unsupported(value, where);
  }
}

/** A whole `environment` mapping, each value through {@link resolveIntrinsic}. */
export function resolveEnvironment(environment: Record<string, unknown>, local: LocalResources, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, resolveIntrinsic(value, local, `${where}.${name}`)]));
}

/** The local queue an event source's `arn` names: `Fn::GetAtt [Queue, Arn]` or a literal ARN of a local queue. */
export function queueForArn(arn: unknown, local: LocalResources, where: string): LocalQueue {
  const resolved = resolveIntrinsic(arn, local, where);
  const queue = Object.values(local.queues).find((candidate) => candidate.arn === resolved);
  if (!queue)
    throw new ServerlessConfigError(`${where}: ${resolved} is not a queue of resources.Resources, so the local platform cannot poll it`);
  return queue;
}

function ref(name: string, local: LocalResources, where: string): string {
  const pseudo: Record<string, string> = {
    'AWS::Region': local.region,
    'AWS::AccountId': LOCAL_ACCOUNT_ID,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'local',
  };
  const found = pseudo[name] ?? local.queues[name]?.url ?? (local.buckets[name] ?? local.eventBuses[name] ?? local.tables[name])?.name;
  if (found === undefined)
    throw unsupported({ Ref: name }, where, `${name} is not a queue, bucket, event bus or table of resources.Resources`);
  return found;
}

function getAtt(logicalId: string, attribute: string, local: LocalResources, where: string): string {
  const queue = local.queues[logicalId];
  const named = queue ?? local.buckets[logicalId] ?? local.eventBuses[logicalId] ?? local.tables[logicalId];
  let found: string | undefined;
  if (attribute === 'Arn') found = named?.arn;
  else if (queue && attribute === 'QueueName') found = queue.name;
  else if (queue && attribute === 'QueueUrl') found = queue.url;
  else if (local.eventBuses[logicalId] && attribute === 'Name') found = local.eventBuses[logicalId].name;
  if (found === undefined) {
    throw unsupported(
      { 'Fn::GetAtt': [logicalId, attribute] },
      where,
      named ? `attribute ${attribute} is not emulated` : `${logicalId} is not a queue, bucket, event bus or table of resources.Resources`,
    );
  }
  return found;
}

function unsupported(value: unknown, where: string, reason?: string): ServerlessConfigError {
  return new ServerlessConfigError(
    `${where} is ${JSON.stringify(value)}, which the local platform cannot resolve${reason ? `: ${reason}` : ''} (it resolves Ref, Fn::GetAtt Arn/QueueName/QueueUrl, Fn::Join and Fn::Sub over the queues, buckets, event buses and tables of resources.Resources; see shared/devTools/localPlatform/localResources.ts)`,
  );
}
