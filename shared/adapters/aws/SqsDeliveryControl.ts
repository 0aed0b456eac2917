import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryControl } from '../../domain/ports';

/**
 * The messages received from one queue, through ChangeMessageVisibility. A delay is never
 * longer than the queue's own visibility timeout (read once, with GetQueueAttributes):
 * sending a message back sooner is the point, never later than the queue would.
 */
export class SqsDeliveryControl implements DeliveryControl {
  #visibilityTimeout: Promise<number | undefined> | undefined;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async returnAfter(receiptHandle: string, seconds: number): Promise<number> {
    const ceiling = await this.visibilityTimeout();
    const delay = Math.max(0, Math.round(ceiling === undefined ? seconds : Math.min(seconds, ceiling)));
    await this.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: delay }),
    );
    return delay;
  }

  /** The queue's VisibilityTimeout; undefined (no ceiling) if it cannot be read. */
  private visibilityTimeout(): Promise<number | undefined> {
    this.#visibilityTimeout ??= this.client
      .send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['VisibilityTimeout'] }))
      .then(
        (output) => {
          const value = Number(output.Attributes?.VisibilityTimeout);
          return Number.isFinite(value) ? value : undefined;
        },
        () => {
          this.#visibilityTimeout = undefined;
          return undefined;
        },
      );
    return this.#visibilityTimeout;
  }
}
