import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgePublisher } from '../../../../shared/adapters/aws/EventBridgePublisher';
import { SqsMessageSender } from '../../../../shared/adapters/aws/SqsMessageSender';

describe('SqsMessageSender', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());

  it('sends JSON messages ten per batch', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await new SqsMessageSender(new SQSClient({}), 'http://q').send(Array.from({ length: 23 }, (_, i) => ({ n: i })));
    const batches = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((call) => call.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!).n));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('resends only the entries SQS failed, and throws on a sender fault', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolvesOnce({ Failed: [] })
      .resolvesOnce({ Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true, Message: 'too big' }] });
    const sender = new SqsMessageSender(new SQSClient({}), 'http://q');
    await sender.send([{ a: 1 }, { a: 2 }]);
    expect(sqs.commandCalls(SendMessageBatchCommand)[1]!.args[0].input.Entries).toEqual([{ Id: '1', MessageBody: '{"a":2}' }]);
    await expect(sender.send([{ a: 3 }])).rejects.toThrow('InvalidParameterValue too big');
  });

  it('given a loader, builds its client at the first send, once', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const load = jest.fn(async () => new SQSClient({}));
    const sender = new SqsMessageSender(load, 'http://q');

    // Act
    const before = load.mock.calls.length;
    await sender.send([]);
    await sender.send([{ a: 1 }]);
    await sender.send([{ a: 2 }]);

    // Assess
    expect(before).toBe(0);
    expect(load).toHaveBeenCalledTimes(1);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });
});

describe('EventBridgePublisher', () => {
  const events = mockClient(EventBridgeClient);
  beforeEach(() => events.reset());

  it('puts one event on the bus, and throws when it is refused', async () => {
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'Throttled' }] });
    const publisher = new EventBridgePublisher(new EventBridgeClient({}), 'bus');
    await publisher.publish('Batch Job Completed', { jobId: 'batch_1' });
    expect(events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries).toEqual([
      { EventBusName: 'bus', Source: 'inference-platform', DetailType: 'Batch Job Completed', Detail: '{"jobId":"batch_1"}' },
    ]);
    await expect(publisher.publish('X', {})).rejects.toThrow('Throttled');
  });
});

describe('SqsMessageSender and the characters SQS cannot carry', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());

  it('sends a message holding U+FFFE, U+FFFF and an emoji as a body SQS takes, which parses back to the message', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const message = { key: 'inbox/acme/\uFFFE.jsonl', text: 'x\uFFFF \u{1F600}' };

    // Act
    await new SqsMessageSender(new SQSClient({}), 'http://q').send([message]);

    // Assess
    const body = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!.MessageBody!;
    expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(body)).toEqual(message);
  });
});
