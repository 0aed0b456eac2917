import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FunctionTimeoutError, InjectedCrashError, ServerlessConfigError } from './errors';
import type { CrashPlan, LocalFaults } from './faultInjection';
import { consoleLogger, type LocalLogger } from './logger';
import { invokeLocalFunction, type LocalFunction } from './localFunction';
import { queueForArn, type LocalQueue, type LocalResources } from './localResources';
import type { ServerlessConfig } from './serverlessConfig';
import { batchOutcomeOf, sqsRecordFrom } from './sqsEvent';

/** Options of {@link SqsEventSource}: an event source mapping of one function and queue. */
export interface SqsEventSourceOptions {
  client: SQSClient;
  queue: Pick<LocalQueue, 'name' | 'url' | 'arn'>;
  fn: LocalFunction;
  region: string;
  /** Default 10 (Lambda's default for standard queues). */
  batchSize?: number;
  /** Seconds to keep gathering a batch once a first message arrived. Default 0. */
  maximumBatchingWindowSeconds?: number;
  /** `functionResponseType: ReportBatchItemFailures`. */
  reportBatchItemFailures?: boolean;
  /**
   * Most invocations at once: the least of the event's `maximumConcurrency`, the
   * function's reserved concurrency and a local cap. Default 1,000 (Lambda's most batches
   * one SQS mapping processes at once).
   */
  concurrency?: number;
  /** Pollers added per minute while receives keep finding messages. Default 300 (Lambda's). */
  scaleUpPerMinute?: number;
  /** How often the poller count is reconsidered (ms). Default 1,000. */
  scaleIntervalMs?: number;
  /** Long-poll wait of each receive; short so that stopping is quick. Default 2. */
  pollWaitSeconds?: number;
  logger?: LocalLogger;
  /** Faults to inject (the fault suite); `functionKey` is the function's key under `functions`. */
  faults?: { faults: LocalFaults; functionKey: string };
}

/** Weight of the newest invocation in the running mean of durations a crash is timed from. */
const DURATION_SMOOTHING = 0.3;
/**
 * Invocations shorter than this did no real work (a chunk handed back while its job is
 * still validating, a duplicate acknowledged at once) and would time crashes too early.
 */
const WORKING_INVOCATION_MS = 250;

/** Receives return at most 10 messages; deletes take at most 10. */
const SQS_MAX_BATCH = 10;

/**
 * Lambda's SQS scaling (standard queues): five batches at once as soon as messages are
 * there, up to 300 more pollers a minute while messages are still available, at most
 * 1,000 (or the mapping's maximum concurrency); back to as few as two when traffic is low.
 */
const LAMBDA_BURST_CONCURRENCY = 5;
const LAMBDA_QUIET_CONCURRENCY = 2;
const LAMBDA_SCALE_UP_PER_MINUTE = 300;
const LAMBDA_MAX_CONCURRENCY = 1_000;

/** How far the event source scaled: pollers (each runs one invocation at a time) and invocations at once. */
export interface SqsEventSourceScaling {
  /** The cap: `concurrency` as configured. */
  maxConcurrency: number;
  pollers: number;
  peakPollers: number;
  peakInFlight: number;
  /** Pollers added beyond the quiet ones because receives found messages, and pollers ended by an empty receive. */
  added: number;
  retired: number;
}

/**
 * Polls a queue and invokes a function as Lambda's SQS event source mapping does: up to
 * `batchSize` messages per invocation (gathered for up to `maximumBatchingWindowSeconds`),
 * as a real SQS event; on success the batch is deleted; with ReportBatchItemFailures only
 * the messages the function did not name; after a throw or a timeout none, so they come
 * back after the queue's visibility timeout and, past maxReceiveCount, land in its DLQ.
 *
 * Its pollers scale as Lambda's do: two while the queue is quiet, five once a receive
 * finds messages, then up to `scaleUpPerMinute` more a minute for as long as the latest
 * receive found messages (the backlog the pollers see), never above `concurrency`; a
 * poller whose receive comes back empty ends while more than two run.
 */
export class SqsEventSource {
  private readonly abort = new AbortController();
  private readonly loops = new Set<Promise<void>>();
  private readonly logger: LocalLogger;
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly maxConcurrency: number;
  private readonly quietConcurrency: number;
  private readonly burstConcurrency: number;
  private running = 0;
  private pollers = 0;
  /** Whether the latest receive, of any poller, found messages. */
  private backlogSeen = false;
  /** Pollers that may still be added this minute's worth (Lambda's 300 a minute). */
  private scaleAllowance = 0;
  private readonly counters = { peakPollers: 0, peakInFlight: 0, added: 0, retired: 0 };
  /** Running mean of how long working invocations take (milliseconds), for injected crashes. */
  private typicalMs: number | undefined;
  /** The URL of the queue's dead-letter queue (undefined: it has none), looked up once. */
  private deadLetterQueueUrl: Promise<string | undefined> | undefined;

  constructor(private readonly options: SqsEventSourceOptions) {
    this.logger = options.logger ?? consoleLogger;
    this.batchSize = Math.max(1, options.batchSize ?? 10);
    this.windowMs = Math.max(0, options.maximumBatchingWindowSeconds ?? 0) * 1000;
    this.maxConcurrency = Math.max(1, Math.floor(options.concurrency ?? LAMBDA_MAX_CONCURRENCY));
    this.quietConcurrency = Math.min(LAMBDA_QUIET_CONCURRENCY, this.maxConcurrency);
    this.burstConcurrency = Math.min(LAMBDA_BURST_CONCURRENCY, this.maxConcurrency);
  }

  /** Invocations running right now. */
  get inFlight(): number {
    return this.running;
  }

  /** How far the pollers scaled so far. */
  get scaling(): SqsEventSourceScaling {
    return { maxConcurrency: this.maxConcurrency, pollers: this.pollers, ...this.counters };
  }

  /** Starts the quiet pollers, and the scaling that adds more while messages keep coming. */
  start(): void {
    if (this.loops.size || this.stopped) return;
    this.addPollers(this.quietConcurrency);
    if (this.maxConcurrency > this.burstConcurrency) this.track(this.scale());
  }

  /**
   * Stops receiving at once and waits up to `graceMs` for the invocations still running
   * (their messages are deleted or left as usual). Resolves false if some did not finish.
   */
  async stop(graceMs = 10_000): Promise<boolean> {
    this.abort.abort();
    const settled = Promise.allSettled([...this.loops]).then(() => true);
    const timer = sleep(graceMs, false, { ref: false });
    const finished = await Promise.race([settled, timer]);
    if (!finished) this.logger.error(`${this.label} ${this.running} invocation(s) still running after ${graceMs} ms; not waiting for them`);
    return finished;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private get label(): string {
    return `[sqs ${this.options.queue.name} → ${this.options.fn.functionName}]`;
  }

  private track(loop: Promise<void>): void {
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
  }

  private addPollers(count: number, scaled = false): void {
    for (let index = 0; index < count && this.pollers < this.maxConcurrency && !this.stopped; index += 1) {
      this.pollers += 1;
      if (scaled) this.counters.added += 1;
      this.counters.peakPollers = Math.max(this.counters.peakPollers, this.pollers);
      this.track(this.poll());
    }
  }

  /** Every `scaleIntervalMs`: while the latest receive found messages, more pollers, at Lambda's pace. */
  private async scale(): Promise<void> {
    const intervalMs = this.options.scaleIntervalMs ?? 1000;
    const perMinute = this.options.scaleUpPerMinute ?? LAMBDA_SCALE_UP_PER_MINUTE;
    while (!this.stopped) {
      const woke = await sleep(intervalMs, true, { signal: this.abort.signal, ref: false }).catch(() => false);
      if (!woke) return;
      this.scaleAllowance = Math.min(perMinute, this.scaleAllowance + (perMinute * intervalMs) / 60_000);
      if (!this.backlogSeen) continue;
      const added = Math.min(Math.floor(this.scaleAllowance), this.maxConcurrency - this.pollers);
      if (added <= 0) continue;
      this.scaleAllowance -= added;
      this.addPollers(added, true);
    }
  }

  /** What a receive tells of the backlog: messages there bring the pollers up to five at once. */
  private noteReceive(count: number): void {
    this.backlogSeen = count > 0;
    if (count > 0 && this.pollers < this.burstConcurrency) this.addPollers(this.burstConcurrency - this.pollers, true);
  }

  private async poll(): Promise<void> {
    try {
      while (!this.stopped) {
        let messages: Message[];
        try {
          messages = await this.gather();
        } catch (error) {
          if (this.stopped) return;
          this.logger.error(`${this.label} ReceiveMessage failed; retrying in 1 s`, error);
          await sleep(1000, undefined, { signal: this.abort.signal }).catch(() => undefined);
          continue;
        }
        if (!messages.length) {
          // Traffic is low: scale back towards the quiet pollers.
          if (this.pollers > this.quietConcurrency) {
            this.counters.retired += 1;
            return;
          }
          continue;
        }
        if (this.stopped) {
          await this.release(messages);
          return;
        }
        this.running += 1;
        this.counters.peakInFlight = Math.max(this.counters.peakInFlight, this.running);
        try {
          await this.invoke(messages);
        } finally {
          this.running -= 1;
        }
      }
    } finally {
      this.pollers -= 1;
    }
  }

  /** One batch: what the first receive gives, then more within the window (or while receives come back full). */
  private async gather(): Promise<Message[]> {
    const messages = await this.receive(Math.min(SQS_MAX_BATCH, this.batchSize), this.options.pollWaitSeconds ?? 2);
    this.noteReceive(messages.length);
    if (!messages.length) return messages;
    const deadline = Date.now() + this.windowMs;
    let last = messages.length;
    while (messages.length < this.batchSize && !this.stopped) {
      const wanted = Math.min(SQS_MAX_BATCH, this.batchSize - messages.length);
      if (this.windowMs === 0) {
        // No window: Lambda invokes with what is there; batch sizes above 10 take several receives.
        if (last < SQS_MAX_BATCH) break;
        last = (await this.pushReceived(messages, wanted, 0)).length;
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const waitSeconds = Math.min(20, Math.floor(remaining / 1000));
      const received = await this.pushReceived(messages, wanted, waitSeconds);
      if (!received.length && waitSeconds === 0) await sleep(Math.min(100, remaining));
    }
    return messages;
  }

  private async pushReceived(into: Message[], count: number, waitSeconds: number): Promise<Message[]> {
    const received = await this.receive(count, waitSeconds).catch((error: unknown) => {
      // Keep what was gathered: those messages are in flight and must be processed.
      if (!this.stopped) this.logger.error(`${this.label} ReceiveMessage failed while gathering a batch`, error);
      return [] as Message[];
    });
    for (const message of received) {
      // A visibility timeout shorter than the window hands the same message out again:
      // keep it once, with the newest receipt handle (the one a delete needs).
      const earlier = into.findIndex((candidate) => candidate.MessageId === message.MessageId);
      if (earlier >= 0) into.splice(earlier, 1, message);
      else into.push(message);
    }
    return received;
  }

  private async receive(count: number, waitSeconds: number): Promise<Message[]> {
    const { Messages = [] } = await this.options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queue.url,
        MaxNumberOfMessages: count,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    return Messages;
  }

  private async invoke(received: Message[]): Promise<void> {
    const { queue } = this.options;
    const faults = this.options.faults;
    const messages = faults ? await this.injectDeadLetters(received, faults) : received;
    if (!messages.length) return;
    // Injected duplicate deliveries, decided on receipt: a copy that reaches a second
    // invocation while the first is still working, or a delete that gets lost.
    const copies: Message[] = [];
    const lostDeletes = new Set<string>();
    if (faults) {
      for (const message of messages) {
        const duplicate = faults.faults.duplicate(queue.name, receiveCountOf(message));
        if (duplicate === 'concurrent') copies.push(message);
        else if (duplicate === 'later') lostDeletes.add(message.MessageId ?? '');
      }
    }
    // Machine-readable: the fault suite counts these lines.
    if (copies.length || lostDeletes.size)
      this.logger.info(`[fault] duplicate queue=${queue.name} concurrent=${copies.length} later=${lostDeletes.size}`);
    const copyRun = copies.length ? this.run(copies.map(redeliveredCopy)) : Promise.resolve(new Set<string>());
    const handled = await this.run(messages, faults?.faults.crash(faults.functionKey, this.typicalMs));
    // SQS deletes a message whichever of its deliveries deletes it.
    const copyHandled = await copyRun;
    await this.deleteMessages(
      messages.filter((message) => {
        const id = message.MessageId ?? '';
        return (handled.has(id) && !lostDeletes.has(id)) || copyHandled.has(id);
      }),
    );
  }

  /**
   * Injected dead letters: the messages the faults pick go to the queue's dead-letter
   * queue unprocessed (sent there, deleted here), as SQS moves a message whose receives
   * are spent. Returns the others, for the function.
   */
  private async injectDeadLetters(messages: Message[], faults: { faults: LocalFaults; functionKey: string }): Promise<Message[]> {
    const picked = messages.filter(() => faults.faults.deadLetter(faults.functionKey));
    if (!picked.length) return messages;
    this.deadLetterQueueUrl ??= this.findDeadLetterQueue();
    const target = await this.deadLetterQueueUrl.catch((error: unknown) => {
      this.logger.error(`${this.label} could not find the dead-letter queue; no dead letter injected`, error);
      return undefined;
    });
    if (!target) return messages;
    const entries = picked.map((message, index) => ({
      Id: String(index),
      MessageBody: message.Body ?? '',
      ...(message.MessageAttributes ? { MessageAttributes: sendableAttributes(message.MessageAttributes) } : {}),
    }));
    for (let start = 0; start < entries.length; start += SQS_MAX_BATCH)
      await this.options.client.send(
        new SendMessageBatchCommand({ QueueUrl: target, Entries: entries.slice(start, start + SQS_MAX_BATCH) }),
      );
    await this.deleteMessages(picked);
    // Machine-readable: the fault suite counts these lines.
    this.logger.info(`[fault] dead-letter queue=${this.options.queue.name} messages=${picked.length}`);
    return messages.filter((message) => !picked.includes(message));
  }

  private async findDeadLetterQueue(): Promise<string | undefined> {
    const { Attributes } = await this.options.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.options.queue.url, AttributeNames: ['RedrivePolicy'] }),
    );
    if (!Attributes?.RedrivePolicy) return undefined;
    const arn = String((JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn ?? '');
    const { QueueUrl } = await this.options.client.send(new GetQueueUrlCommand({ QueueName: arn.split(':').pop() }));
    return QueueUrl;
  }

  /** One invocation; resolves with the ids of the messages it handled (none if it failed). */
  private async run(messages: Message[], crash?: CrashPlan): Promise<Set<string>> {
    const { queue, region, fn } = this.options;
    const records = messages.map((message) => sqsRecordFrom(message, { arn: queue.arn, region }));
    const started = Date.now();
    try {
      const response = await invokeLocalFunction(fn, { Records: records }, crash ? { crashAfterMs: crash.afterMs } : {});
      const tookMs = Date.now() - started;
      if (tookMs >= WORKING_INVOCATION_MS)
        this.typicalMs = this.typicalMs === undefined ? tookMs : this.typicalMs + DURATION_SMOOTHING * (tookMs - this.typicalMs);
      const outcome = batchOutcomeOf(
        response,
        records.map((record) => record.messageId),
        this.options.reportBatchItemFailures === true,
      );
      if (outcome.kind === 'failure') {
        this.logger.error(`${this.label} batch of ${records.length} failed: ${outcome.reason}; every message will be retried`);
        return new Set();
      }
      const failed = new Set(outcome.kind === 'partial' ? outcome.failedMessageIds : []);
      return new Set(records.map((record) => record.messageId).filter((id) => !failed.has(id)));
    } catch (error) {
      if (error instanceof InjectedCrashError && this.options.faults) {
        this.options.faults.faults.crashed(this.options.faults.functionKey);
        this.logger.info(`[fault] crash function=${this.options.faults.functionKey} afterMs=${crash?.afterMs} messages=${records.length}`);
        return new Set();
      }
      const reason = error instanceof FunctionTimeoutError ? error.message : 'the function threw';
      this.logger.error(
        `${this.label} batch of ${records.length} failed (${reason}); every message will be retried after the visibility timeout`,
        error instanceof FunctionTimeoutError ? undefined : error,
      );
      return new Set();
    }
  }

  private async deleteMessages(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SQS_MAX_BATCH) {
      const entries = messages
        .slice(start, start + SQS_MAX_BATCH)
        .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! }));
      try {
        const { Failed = [] } = await this.options.client.send(
          new DeleteMessageBatchCommand({ QueueUrl: this.options.queue.url, Entries: entries }),
        );
        for (const failed of Failed) this.logger.error(`${this.label} DeleteMessage failed: ${failed.Code} ${failed.Message ?? ''}`);
      } catch (error) {
        this.logger.error(`${this.label} DeleteMessageBatch failed; those messages will be delivered again`, error);
      }
    }
  }

  /** Messages received as the source stopped go back to the queue at once. */
  private async release(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SQS_MAX_BATCH) {
      const entries = messages
        .slice(start, start + SQS_MAX_BATCH)
        .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }));
      await this.options.client
        .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.options.queue.url, Entries: entries }))
        .catch(() => undefined);
    }
  }
}

/** Received message attributes as SendMessage takes them (type and value only). */
function sendableAttributes(attributes: Record<string, MessageAttributeValue>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
      },
    ]),
  );
}

function receiveCountOf(message: Message): number {
  return Number(message.Attributes?.ApproximateReceiveCount ?? '1');
}

/** A second delivery of `message`, as another poller would receive it: its receive count one higher. */
function redeliveredCopy(message: Message): Message {
  return { ...message, Attributes: { ...message.Attributes, ApproximateReceiveCount: String(receiveCountOf(message) + 1) } };
}

/** Options of {@link startSqsEventSources}. */
export interface SqsEventSourcesOptions {
  config: Pick<ServerlessConfig, 'functions' | 'region'>;
  /** The invocable function for a key of `functions`. */
  functionFor(key: string): LocalFunction;
  local: LocalResources;
  client: SQSClient;
  /** A local cap on each source's invocations at once, below the event's and the function's own. */
  concurrency?: number;
  pollWaitSeconds?: number;
  /**
   * Lambda refuses a mapping whose queue's visibility timeout is shorter than the
   * function's timeout (a message would come back while still being processed). Tests
   * that shorten visibility timeouts on purpose turn the check off. Default true.
   */
  checkVisibilityTimeout?: boolean;
  logger?: LocalLogger;
  /** Faults to inject (the fault suite). */
  faults?: LocalFaults;
}

/** The running event source mappings of every `sqs` event. */
export interface SqsEventSources {
  sources: SqsEventSource[];
  stop(graceMs?: number): Promise<void>;
}

/** Builds and starts an {@link SqsEventSource} for every `sqs` event of every function. */
export function startSqsEventSources(options: SqsEventSourcesOptions): SqsEventSources {
  const sources: SqsEventSource[] = [];
  for (const fnConfig of options.config.functions) {
    fnConfig.events.forEach((event, index) => {
      if (event.type !== 'sqs') return;
      const where = `functions.${fnConfig.name}.events[${index}].sqs`;
      const queue = queueForArn(event.arn, options.local, `${where}.arn`);
      if (options.checkVisibilityTimeout !== false && queue.visibilityTimeoutSeconds < fnConfig.timeoutSeconds) {
        throw new ServerlessConfigError(
          `${where}: queue ${queue.name} has a visibility timeout of ${queue.visibilityTimeoutSeconds} s, less than the function's timeout of ${fnConfig.timeoutSeconds} s; Lambda refuses this mapping`,
        );
      }
      // Lambda caps a mapping at its maximum concurrency and the function's reserved concurrency; the local cap on top.
      const caps = [event.maximumConcurrency, fnConfig.reservedConcurrency, options.concurrency].filter(
        (cap): cap is number => cap !== undefined && Number.isFinite(cap) && cap > 0,
      );
      sources.push(
        new SqsEventSource({
          client: options.client,
          queue,
          fn: options.functionFor(fnConfig.name),
          region: options.config.region,
          ...(event.batchSize !== undefined ? { batchSize: event.batchSize } : {}),
          ...(event.maximumBatchingWindow !== undefined ? { maximumBatchingWindowSeconds: event.maximumBatchingWindow } : {}),
          reportBatchItemFailures: event.functionResponseType === 'ReportBatchItemFailures',
          ...(caps.length ? { concurrency: Math.min(...caps) } : {}),
          ...(options.pollWaitSeconds !== undefined ? { pollWaitSeconds: options.pollWaitSeconds } : {}),
          ...(options.logger ? { logger: options.logger } : {}),
          ...(options.faults ? { faults: { faults: options.faults, functionKey: fnConfig.name } } : {}),
        }),
      );
    });
  }
  for (const source of sources) source.start();
  return {
    sources,
    stop: async (graceMs) => void (await Promise.all(sources.map((source) => source.stop(graceMs)))),
  };
}
