import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { IDEMPOTENCY_PARTITION, PowertoolsIdempotencyStore } from '../../../../shared/adapters/aws/PowertoolsIdempotencyStore';
import { SqsAnswerSender } from '../../../../shared/adapters/aws/SqsAnswerSender';

describe('PowertoolsIdempotencyStore', () => {
  const dynamodb = mockClient(DynamoDBClient);
  beforeEach(() => dynamodb.reset());
  const store = () => new PowertoolsIdempotencyStore({ tableName: 'platform', client: new DynamoDBClient({}), expiresAfterSeconds: 3_600 });
  const item = (status: string) => ({
    pk: { S: IDEMPOTENCY_PARTITION },
    sk: { S: 'k' },
    status: { S: status },
    expiresAt: { N: String(Math.floor(Date.now() / 1000) + 60) },
  });
  const existing = (status: string) => new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: item(status) });

  it('claims a key with a conditional put of an in-progress record locked until the deadline, in the static partition', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});
    const lockUntil = Date.now() + 90_000;
    // Act
    const claim = await store().claim('c-1:abc', lockUntil);
    // Assess
    expect(claim).toBe('acquired');
    const input = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.TableName).toBe('platform');
    expect(input.Item!.pk).toEqual({ S: IDEMPOTENCY_PARTITION });
    expect(input.Item!.sk!.S).toMatch(/^queue-request#/);
    expect(input.Item!.status).toEqual({ S: 'INPROGRESS' });
    expect(Number(input.Item!.in_progress_expiration!.N)).toBeGreaterThanOrEqual(lockUntil - 50);
    expect(Number(input.Item!.ttl!.N)).toBeCloseTo(Date.now() / 1000 + 3_600, -1);
    expect(input.ConditionExpression).toContain('attribute_not_exists(#id)');
    expect(input.ConditionExpression).toContain('#in_progress_expiry < :now_in_millis');
  });

  it('reports a completed key as completed and a locked one as in progress, from the record DynamoDB returns', async () => {
    dynamodb.on(PutItemCommand).rejectsOnce(existing('COMPLETED')).rejectsOnce(existing('INPROGRESS'));
    expect(await store().claim('k', Date.now() + 1_000)).toBe('completed');
    expect(await store().claim('k', Date.now() + 1_000)).toBe('in_progress');
  });

  it('reads the record when the failed condition did not return it (dynalite), and claims again if it was released meanwhile', async () => {
    const bare = new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });
    dynamodb.on(PutItemCommand).rejectsOnce(bare).rejectsOnce(bare).resolves({});
    dynamodb
      .on(GetItemCommand)
      .resolvesOnce({ Item: item('COMPLETED') })
      .resolvesOnce({});
    expect(await store().claim('k', Date.now() + 1_000)).toBe('completed');
    expect(await store().claim('k', Date.now() + 1_000)).toBe('acquired');
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });

  it('completes with an update to COMPLETED and releases with a delete of the same key', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});
    dynamodb.on(PutItemCommand).resolves({});
    const s = store();
    await s.claim('k', Date.now() + 1_000);
    await s.complete('k');
    await s.release('k');
    const key = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!.sk;
    const update = dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.Key).toEqual({ pk: { S: IDEMPOTENCY_PARTITION }, sk: key });
    expect(update.ExpressionAttributeValues![':status']).toEqual({ S: 'COMPLETED' });
    expect(dynamodb.commandCalls(DeleteItemCommand)[0]!.args[0].input.Key).toEqual({ pk: { S: IDEMPOTENCY_PARTITION }, sk: key });
  });

  it('lets other DynamoDB errors through', async () => {
    dynamodb.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(store().claim('k', Date.now() + 1_000)).rejects.toThrow('ProvisionedThroughput');
  });
});

describe('SqsAnswerSender', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());
  const answer = (id: string) => ({
    id,
    body: `{"id":"${id}"}`,
    attributes: {
      custom_id: { dataType: 'String', stringValue: id },
      blob: { dataType: 'Binary', binaryValue: Buffer.from('hi').toString('base64') },
    },
  });

  it('sends one SendMessageBatch with the answers and their attributes, binary values as bytes', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const failures = await new SqsAnswerSender(new SQSClient({})).sendBatch('http://127.0.0.1:1/000000000000/q', [
      answer('a'),
      answer('b'),
    ]);
    expect(failures).toEqual([]);
    const input = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input;
    expect(input.QueueUrl).toBe('http://127.0.0.1:1/000000000000/q');
    expect(input.Entries!.map((entry) => entry.MessageBody)).toEqual(['{"id":"a"}', '{"id":"b"}']);
    expect(input.Entries![0]!.MessageAttributes).toEqual({
      custom_id: { DataType: 'String', StringValue: 'a' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
    });
    expect(input.Entries![0]!.MessageGroupId).toBeUndefined();
  });

  it('gives a FIFO reply queue the answer id as group and deduplication id', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    await new SqsAnswerSender(new SQSClient({})).sendBatch('http://127.0.0.1:1/000000000000/q.fifo', [answer('qreq_1')]);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]).toMatchObject({
      MessageGroupId: 'qreq_1',
      MessageDeduplicationId: 'qreq_1',
    });
  });

  it('resends what SQS failed on its side, and reports what it refused or kept failing, by answer id', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: '0', Code: 'InternalError', SenderFault: false },
          { Id: '2', Code: 'InvalidParameterValue', SenderFault: true, Message: 'too big' },
        ],
      })
      .resolves({ Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    const failures = await new SqsAnswerSender(new SQSClient({}), { maxAttempts: 3, backoffMs: 1 }).sendBatch('http://q/000000000000/q', [
      answer('a'),
      answer('b'),
      answer('c'),
    ]);
    expect(failures).toEqual([
      { id: 'c', code: 'InvalidParameterValue', message: 'too big' },
      { id: 'a', code: 'InternalError', message: '' },
    ]);
    expect(sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries!.map((e) => e.Id))).toEqual([
      ['0', '1', '2'],
      ['0'],
      ['0'],
    ]);
  });

  it('throws when the call itself fails (no such queue): nothing was sent', async () => {
    sqs.on(SendMessageBatchCommand).rejects(Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' }));
    await expect(new SqsAnswerSender(new SQSClient({})).sendBatch('http://q/000000000000/q', [answer('a')])).rejects.toThrow(
      'does not exist',
    );
  });
});
