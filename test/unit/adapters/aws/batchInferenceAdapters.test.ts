import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ServiceQuotaExceededException,
  StopModelInvocationJobCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { BedrockBatchInference } from '../../../../shared/adapters/aws/BedrockBatchInference';
import { DynamoDbBatchInferenceStore } from '../../../../shared/adapters/aws/DynamoDbBatchInferenceStore';
import { createDocumentClient } from '../../../../shared/adapters/aws/clients';
import { BackendThrottledError } from '../../../../shared/errors/backendErrors';

const ROLE = 'arn:aws:iam::123456789012:role/platform-dev-bedrock-batch';
const ARN = 'arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc123';

describe('BedrockBatchInference', () => {
  const bedrock = mockClient(BedrockClient);
  const service = new BedrockBatchInference({ client: new BedrockClient({ region: 'us-east-1' }), roleArn: ROLE });
  beforeEach(() => bedrock.reset());
  const request = {
    jobName: 'batch-0a1b-c3',
    clientRequestToken: 'f'.repeat(64),
    bedrockModel: 'openai.gpt-oss-120b-1:0',
    inputUri: 's3://bucket/bedrock-batch/input/batch_0a1b/000003.jsonl',
    outputUri: 's3://bucket/bedrock-batch/output/batch_0a1b/000003/',
    timeoutHours: 24,
  };

  it('creates a job with its role, one JSONL input, the output prefix and the idempotency token', async () => {
    bedrock.on(CreateModelInvocationJobCommand).resolves({ jobArn: ARN });
    expect(await service.create(request)).toEqual({ jobArn: ARN });
    expect(bedrock.commandCalls(CreateModelInvocationJobCommand)[0]!.args[0].input).toEqual({
      jobName: 'batch-0a1b-c3',
      roleArn: ROLE,
      clientRequestToken: 'f'.repeat(64),
      modelId: 'openai.gpt-oss-120b-1:0',
      inputDataConfig: { s3InputDataConfig: { s3Uri: request.inputUri, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: request.outputUri } },
      timeoutDurationInHours: 24,
    });
  });

  it('says "not now" (BackendThrottledError) when Bedrock refuses for a quota, and lets other errors through', async () => {
    bedrock.on(CreateModelInvocationJobCommand).rejects(new ServiceQuotaExceededException({ message: 'too many jobs', $metadata: {} }));
    await expect(service.create(request)).rejects.toBeInstanceOf(BackendThrottledError);
    bedrock.reset();
    bedrock.on(CreateModelInvocationJobCommand).rejects(new ValidationException({ message: 'bad model', $metadata: {} }));
    await expect(service.create(request)).rejects.toBeInstanceOf(ValidationException);
  });

  it('gets a job’s status and name, and stops a job, ignoring one that has already ended', async () => {
    bedrock
      .on(GetModelInvocationJobCommand)
      .resolves({ jobArn: ARN, jobName: 'batch-0a1b-c3', status: 'PartiallyCompleted', message: 'some failed' } as never);
    expect(await service.get(ARN)).toEqual({ jobArn: ARN, jobName: 'batch-0a1b-c3', status: 'PartiallyCompleted', message: 'some failed' });
    bedrock.on(StopModelInvocationJobCommand).rejects(new ValidationException({ message: 'job is Completed', $metadata: {} }));
    await expect(service.stop(ARN)).resolves.toBeUndefined();
    expect(bedrock.commandCalls(StopModelInvocationJobCommand)[0]!.args[0].input).toEqual({ jobIdentifier: ARN });
  });
});

describe('DynamoDbBatchInferenceStore', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new DynamoDbBatchInferenceStore(createDocumentClient(), 'platform');
  beforeEach(() => ddb.reset());
  const conditionFailed = () => new ConditionalCheckFailedException({ message: 'no', $metadata: {} });
  const record = {
    jobId: 'batch_0a1b',
    tenantId: 't',
    chunkIndex: 3,
    jobName: 'batch-0a1b-c3',
    model: 'gpt-oss-120b',
    backendId: 'bedrock:openai.gpt-oss-120b-1:0',
    bedrockModel: 'openai.gpt-oss-120b-1:0',
    records: 120,
    bucket: 'bucket',
    inputKey: 'bedrock-batch/input/batch_0a1b/000003.jsonl',
    outputPrefix: 'bedrock-batch/output/batch_0a1b/000003/',
    state: 'waiting' as const,
    createdAt: 1,
  };

  it('records a chunk beside its job once', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store.create(record)).toBe(true);
    expect(await store.create(record)).toBe(false);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'JOB#batch_0a1b', sk: 'BEDROCK#000003', state: 'waiting' },
    });
  });

  it('moves waiting → submitted once, and settles once with the usage', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).resolvesOnce({});
    expect(await store.markSubmitted('batch_0a1b', 3, ARN, new Date(5000))).toBe(true);
    expect(await store.markSubmitted('batch_0a1b', 3, ARN, new Date(5000))).toBe(false);
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({ ConditionExpression: '#state = :waiting' });
    const usage = { inputTokens: 10, outputTokens: 4 };
    expect(await store.settle('batch_0a1b', 3, { state: 'done', bedrockStatus: 'Completed', usage }, new Date(6000))).toBe(true);
    const settle = ddb.commandCalls(UpdateCommand)[2]!.args[0].input;
    expect(settle.ConditionExpression).toBe('#state IN (:waiting, :submitted)');
    expect(settle.ExpressionAttributeValues).toMatchObject({ ':to': 'done', ':usage': usage, ':status': 'Completed' });
  });

  it('gives a model at most `max` slots, finds the one a job holds, and frees it', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'BEDROCK_SLOTS#m', sk: 'SLOT#0000', holder: 'other' }] });
    ddb.on(PutCommand).resolves({});
    expect(await store.acquireSlot('m', 'mine', 2)).toBe(true);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      Item: { pk: 'BEDROCK_SLOTS#m', sk: 'SLOT#0001', holder: 'mine' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(await store.acquireSlot('m', 'mine', 1)).toBe(false);
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'BEDROCK_SLOTS#m', sk: 'SLOT#0001', holder: 'mine' }] });
    expect(await store.acquireSlot('m', 'mine', 1)).toBe(true);
    ddb.on(DeleteCommand).resolves({});
    await store.releaseSlot('m', 'mine');
    expect(ddb.commandCalls(DeleteCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: 'BEDROCK_SLOTS#m', sk: 'SLOT#0001' },
      ConditionExpression: 'holder = :holder',
    });
  });
});
