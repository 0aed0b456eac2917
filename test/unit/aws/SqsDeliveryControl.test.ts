import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsDeliveryControl } from '../../../shared/aws/SqsDeliveryControl';

describe('SqsDeliveryControl', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());

  it('sets the received message\'s visibility timeout on its queue, in whole seconds', async () => {
    // Prepare
    sqs.on(ChangeMessageVisibilityCommand).resolves({});

    // Act
    await new SqsDeliveryControl(new SQSClient({}), 'http://q/work').returnAfter('receipt-1', 37.4);

    // Assess
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]!.args[0].input).toEqual({ QueueUrl: 'http://q/work', ReceiptHandle: 'receipt-1', VisibilityTimeout: 37 });
  });
});
