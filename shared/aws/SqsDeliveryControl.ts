import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryControl } from '../jobs/ports';

/** The messages received from one queue, through ChangeMessageVisibility. */
export class SqsDeliveryControl implements DeliveryControl {
  constructor(private readonly client: SQSClient, private readonly queueUrl: string) {}

  async returnAfter(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.max(0, Math.round(seconds)) }));
  }
}
