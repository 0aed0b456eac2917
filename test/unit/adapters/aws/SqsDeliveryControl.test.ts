import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsDeliveryControl } from '../../../../shared/adapters/aws/SqsDeliveryControl';

describe('SqsDeliveryControl', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());

  it("sets the received message's visibility timeout on its queue, in whole seconds", async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { VisibilityTimeout: '1800' } });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});

    // Act
    const set = await new SqsDeliveryControl(new SQSClient({}), 'http://q/work').returnAfter('receipt-1', 37.4);

    // Assess
    expect(set).toBe(37);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]!.args[0].input).toEqual({
      QueueUrl: 'http://q/work',
      ReceiptHandle: 'receipt-1',
      VisibilityTimeout: 37,
    });
  });

  it("never sets a delay longer than the queue's own visibility timeout, reading it once", async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { VisibilityTimeout: '5' } });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    const control = new SqsDeliveryControl(new SQSClient({}), 'http://q/work');

    // Act
    const first = await control.returnAfter('r1', 300);
    const second = await control.returnAfter('r2', 3);

    // Assess
    expect([first, second]).toEqual([5, 3]);
    expect(sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(1);
  });
});
