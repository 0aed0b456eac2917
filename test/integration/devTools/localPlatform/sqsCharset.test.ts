import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createLocalSqsClient, startLocalSqs, type LocalSqs } from '../../../../shared/devTools/localPlatform/sqs';

/**
 * Conformance of the local SQS with SQS's character set, as the SendMessage reference
 * states it: a message may hold only `#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD
 * | #x10000 to #x10FFFF`; a message with a character outside the set is rejected with
 * InvalidMessageContents. Message attribute string values are held to the same set.
 */
const ACCEPTED: [string, string][] = [
  ['tab, line feed, carriage return', 'a\tb\nc\rd'],
  ['U+0020 and ASCII', ' plain text {"json": true}'],
  ['U+D7FF (last before the surrogates)', '\uD7FF'],
  ['U+E000 (first after the surrogates)', '\uE000'],
  ['U+FFFD (replacement character)', '\uFFFD'],
  ['U+10000 (first astral character)', '\u{10000}'],
  ['an emoji (U+1F600, four bytes in UTF-8)', 'smile \u{1F600} and a flag \u{1F1EB}\u{1F1F7}'],
  ['U+10FFFF (last character)', '\u{10FFFF}'],
  ['accents, CJK, Arabic', 'éàü 漢字 مرحبا'],
];

const REFUSED: [string, string][] = [
  ['U+0000', 'a\u0000b'],
  ['U+0001', '\u0001'],
  ['U+0008', 'a\u0008'],
  ['U+000B (vertical tab)', '\u000B'],
  ['U+000C (form feed)', '\u000C'],
  ['U+001F', '\u001F'],
  ['U+FFFE', 'text \uFFFE'],
  ['U+FFFF', '\uFFFF text'],
  ['a lone high surrogate', 'x\uD800y'],
  ['a lone low surrogate', 'x\uDFFFy'],
];

describe('local SQS: the character set SQS accepts and refuses', () => {
  let sqs: LocalSqs;
  let client: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    sqs = await startLocalSqs({ port: 0 });
    client = createLocalSqsClient(sqs.url);
    ({ QueueUrl: queueUrl } = (await client.send(new CreateQueueCommand({ QueueName: 'charset' }))) as { QueueUrl: string });
  });

  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  const receiveOne = async () => {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    const message = Messages[0]!;
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    return message;
  };
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: { name?: string }) => error.name,
    );

  it.each(ACCEPTED)('accepts %s in a body and an attribute value, and delivers them unchanged', async (_name, text) => {
    // Act
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: text,
        MessageAttributes: { note: { DataType: 'String', StringValue: text } },
      }),
    );
    const message = await receiveOne();

    // Assess
    expect(message.Body).toBe(text);
    expect(message.MessageAttributes?.note?.StringValue).toBe(text);
  });

  it.each(REFUSED)('refuses %s in a body with InvalidMessageContents', async (_name, text) => {
    // Act
    const failure = await failureOf(client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: text })));

    // Assess
    expect(failure).toBe('InvalidMessageContents');
  });

  it.each(REFUSED)('refuses %s in an attribute value with InvalidMessageContents', async (_name, text) => {
    // Act
    const failure = await failureOf(
      client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: 'ok',
          MessageAttributes: { note: { DataType: 'String', StringValue: text } },
        }),
      ),
    );

    // Assess
    expect(failure).toBe('InvalidMessageContents');
  });

  it('fails only the batch entries holding a refused character, as a sender fault, naming the whole set', async () => {
    // Act
    const output = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'emoji', MessageBody: 'fine \u{1F600}' },
          { Id: 'body', MessageBody: 'bad \uFFFF' },
          { Id: 'attribute', MessageBody: 'fine', MessageAttributes: { note: { DataType: 'String', StringValue: '\uFFFE' } } },
        ],
      }),
    );

    // Assess
    expect(output.Successful?.map((entry) => entry.Id)).toEqual(['emoji']);
    expect(output.Failed?.map((entry) => [entry.Id, entry.Code, entry.SenderFault])).toEqual([
      ['body', 'InvalidMessageContents', true],
      ['attribute', 'InvalidMessageContents', true],
    ]);
    expect(output.Failed?.[0]?.Message).toContain('#x10000 to #x10FFFF');
    expect((await receiveOne()).Body).toBe('fine \u{1F600}');
  });
});
