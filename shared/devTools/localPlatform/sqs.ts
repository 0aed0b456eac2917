import { CreateQueueCommand, SQSClient, type QueueAttributeName } from '@aws-sdk/client-sqs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SQS_REFUSED_CHARACTER_SOURCE } from '../../sqsEvents/sqsText';
import { LocalPlatformError, PortUnavailableError, ServerlessConfigError } from './errors';
import { LOOPBACK } from './listenOnLoopback';
import { localArn, physicalNameOf, resolveIntrinsic, type LocalQueue, type LocalResources } from './localResources';
import type { CloudFormationResource } from './serverlessConfig';

/** A running SQS-API server (fauxqs, in a worker thread of this process). */
export interface LocalSqs {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Options of {@link startLocalSqs}. */
export interface LocalSqsOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 9324. */
  port?: number;
}

/**
 * fauxqs is ESM only, and Jest's module loader cannot load ESM; a worker thread has
 * Node's own loader under both tsx and Jest. The store's empty host makes queue URLs follow
 * the request's host (`http://127.0.0.1:<port>/000000000000/<name>`): fauxqs's default
 * host does not resolve here, and a queue URL on another host answers NonExistentQueue.
 *
 * SQS's character set is enforced as SQS enforces it (see shared/sqsEvents/sqsText.ts): fauxqs
 * checks bodies without the regular expression flag `u`, so it refuses every character
 * above U+FFFF (emoji) and names the set without them; its check is given SQS's set
 * instead. It does not check attribute values at all: a SendMessage with a string value
 * outside the set is refused with InvalidMessageContents here, and such an entry of a
 * SendMessageBatch is failed the same way (its body is swapped for one fauxqs refuses,
 * so the entry fails with fauxqs's own answer while the others go through). The error's
 * query code is SQS's (`InvalidMessageContents`, which has no `AWS.SimpleQueueService.`
 * prefix in the SQS model), so the SDK throws its InvalidMessageContents class.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { buildApp } = await import(workerData.appUrl);
  const { SqsStore } = await import(workerData.storeUrl);
  const sqsTypes = await import(workerData.typesUrl);
  const refused = new RegExp(workerData.refusedSource, 'u');
  sqsTypes.INVALID_MESSAGE_BODY_CHAR.test = (text) => refused.test(String(text));
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  const app = buildApp({ logger: false, stores: { sqsStore } });
  const badAttribute = (attributes) => Object.values(attributes || {}).some((value) => typeof (value && value.StringValue) === 'string' && refused.test(value.StringValue));
  app.addHook('preHandler', (request, reply, done) => {
    const target = String(request.headers['x-amz-target'] || '');
    const body = request.body;
    if (target === 'AmazonSQS.SendMessage' && body && badAttribute(body.MessageAttributes)) {
      reply.status(400).header('content-type', 'application/x-amz-json-1.0').header('x-amzn-query-error', 'InvalidMessageContents;Sender')
        .send({ __type: 'com.amazonaws.sqs#InvalidMessageContents', message: workerData.refusedMessage });
      return;
    }
    if (target === 'AmazonSQS.SendMessageBatch' && body && Array.isArray(body.Entries)) {
      for (const entry of body.Entries) if (entry && badAttribute(entry.MessageAttributes)) entry.MessageBody = '\\uFFFF';
    }
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.getHeader('x-amzn-query-error') === 'AWS.SimpleQueueService.InvalidMessageContents;Sender') reply.header('x-amzn-query-error', 'InvalidMessageContents;Sender');
    if (typeof payload === 'string' && payload.includes('#xE000 to #xFFFD.')) payload = payload.split('#xE000 to #xFFFD.').join('#xE000 to #xFFFD | #x10000 to #x10FFFF.');
    done(null, payload);
  });
  parentPort.on('message', (message) => {
    if (message !== 'close') return;
    app.close().then(() => parentPort.postMessage({ closed: true }), (error) => parentPort.postMessage({ closed: true, error: String(error) }));
  });
  await app.listen({ port: workerData.port, host: workerData.host });
  parentPort.postMessage({ port: app.server.address().port });
})().catch((error) => parentPort.postMessage({ error: String(error && error.message || error), code: error && error.code }));
`;

/** SQS's answer to a message holding a character outside its set. */
const REFUSED_MESSAGE =
  'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.';

/** Starts fauxqs on 127.0.0.1. Queues are created through the SQS API ({@link createQueues}). */
export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const requested = options.port ?? 9324;
  const dist = fauxqsDist();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      port: requested,
      host: LOOPBACK,
      appUrl: pathToFileURL(join(dist, 'app.js')).href,
      storeUrl: pathToFileURL(join(dist, 'sqs', 'sqsStore.js')).href,
      typesUrl: pathToFileURL(join(dist, 'sqs', 'sqsTypes.js')).href,
      refusedSource: SQS_REFUSED_CHARACTER_SOURCE,
      refusedMessage: REFUSED_MESSAGE,
    },
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const started = await new Promise<{ port?: number; error?: string; code?: string }>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (error) => resolve({ error: error.message }));
    void exited.then(() => resolve({ error: 'the worker exited' }));
  });
  if (started.port === undefined) {
    await worker.terminate();
    const cause = Object.assign(new Error(started.error ?? 'unknown error'), { code: started.code });
    throw new PortUnavailableError('SQS (fauxqs)', requested, { envVar: 'SQS_PORT', cause });
  }
  const port = started.port;
  // An uncaught error inside fauxqs ends the thread; without a listener it would end this process too.
  worker.on('error', (error) => console.error('[sqs] fauxqs failed:', error));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // The server's own close first (it ends long polls and sockets), then the thread.
      const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('close');
      await Promise.race([closed, exited, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      await worker.terminate();
    })());
  return { url: `http://${LOOPBACK}:${port}`, port, close };
}

function fauxqsDist(): string {
  // The package exports only its ESM entry (`import`), so require.resolve cannot find it.
  for (const directory of require.resolve.paths('fauxqs') ?? []) {
    const dist = join(directory, 'fauxqs', 'dist');
    if (existsSync(join(dist, 'app.js'))) return dist;
  }
  throw new LocalPlatformError('The fauxqs package is not installed (npm install)', { code: 'MISSING_PACKAGE' });
}

/** A client for a local endpoint: fixed region and dummy credentials, never the user's. */
export function createLocalSqsClient(endpoint: string, region = 'us-east-1'): SQSClient {
  return new SQSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Options of {@link createQueues}. */
export interface CreateQueuesOptions {
  /** Replaces every queue's VisibilityTimeout (tests: a crashed worker's message comes back in seconds). */
  visibilityTimeoutSeconds?: number;
  /**
   * Replaces the VisibilityTimeout of the queues named (by logical id), before
   * `visibilityTimeoutSeconds`: a queue whose function runs longer than the short timeout
   * the others get (ingest of a large file) is not handed out again while it still runs.
   */
  queueVisibilityTimeouts?: Readonly<Record<string, number>>;
}

/** SQS's default when a queue sets no VisibilityTimeout. */
const DEFAULT_VISIBILITY_TIMEOUT = 30;

// CloudFormation properties of AWS::SQS::Queue that are SQS queue attributes of the same name.
const ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

/**
 * Creates every `AWS::SQS::Queue` of `resources` (dead-letter queues before the queues
 * that redrive to them) with its attributes and RedrivePolicy, and adds them to
 * `local.queues` by logical id. A queue without QueueName is named after its logical id
 * (plus `.fifo` for a FIFO queue), where CloudFormation would generate a name.
 */
export async function createQueues(
  client: SQSClient,
  resources: Record<string, CloudFormationResource>,
  local: LocalResources,
  options: CreateQueuesOptions = {},
): Promise<Record<string, LocalQueue>> {
  const pending = new Map(Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::SQS::Queue'));
  const unknown = Object.keys(options.queueVisibilityTimeouts ?? {}).filter((id) => !pending.has(id));
  if (unknown.length)
    throw new ServerlessConfigError(
      `Visibility timeouts name ${unknown.join(', ')}, not queues of resources.Resources (${[...pending.keys()].join(', ')})`,
    );
  const names = new Map([...pending].map(([logicalId, resource]) => [logicalId, queueName(logicalId, resource)]));
  const provisional: LocalResources = { ...local, queues: { ...local.queues } };
  // Known ARNs first, so a RedrivePolicy can name its DLQ before the DLQ exists.
  for (const [logicalId, name] of names)
    provisional.queues[logicalId] = { logicalId, name, url: '', arn: localArn.queue(local.region, name), visibilityTimeoutSeconds: 0 };

  const create = async (logicalId: string, resource: CloudFormationResource, chain: string[]): Promise<void> => {
    if (local.queues[logicalId]) return;
    if (chain.includes(logicalId))
      throw new ServerlessConfigError(`Queues redrive to each other in a cycle: ${[...chain, logicalId].join(' → ')}`);
    const properties = resource.Properties ?? {};
    const attributes: Partial<Record<QueueAttributeName, string>> = {};
    for (const key of ATTRIBUTES) if (properties[key] !== undefined) attributes[key] = String(properties[key]);
    const visibility = options.queueVisibilityTimeouts?.[logicalId] ?? options.visibilityTimeoutSeconds;
    if (visibility !== undefined) attributes.VisibilityTimeout = String(visibility);
    const redrive = properties.RedrivePolicy;
    if (redrive !== undefined) {
      const policy = (typeof redrive === 'string' ? JSON.parse(redrive) : redrive) as Record<string, unknown>;
      const where = `${logicalId}.Properties.RedrivePolicy.deadLetterTargetArn`;
      const deadLetterTargetArn = resolveIntrinsic(policy.deadLetterTargetArn, provisional, where);
      const target = [...pending].find(([id]) => provisional.queues[id]?.arn === deadLetterTargetArn);
      if (!target) throw new ServerlessConfigError(`${where} is ${deadLetterTargetArn}, which is not a queue of resources.Resources`);
      await create(target[0], target[1], [...chain, logicalId]);
      attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn, maxReceiveCount: Number(policy.maxReceiveCount) });
    }
    const name = names.get(logicalId)!;
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!QueueUrl) throw new LocalPlatformError(`CreateQueue ${name} answered no QueueUrl`, { code: 'SQS' });
    local.queues[logicalId] = {
      logicalId,
      name,
      url: QueueUrl,
      arn: localArn.queue(local.region, name),
      visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT),
    };
  };
  for (const [logicalId, resource] of pending) await create(logicalId, resource, []);
  return local.queues;
}

function queueName(logicalId: string, resource: CloudFormationResource): string {
  const fifo = String(resource.Properties?.FifoQueue) === 'true';
  if (resource.Properties?.QueueName === undefined) return fifo ? `${logicalId}.fifo` : logicalId;
  return physicalNameOf(logicalId, resource, 'QueueName');
}
