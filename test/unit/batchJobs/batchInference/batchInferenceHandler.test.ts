import type { EventBridgeEvent } from 'aws-lambda';
import { BATCH_STATE_CHANGE, createHandler } from '../../../../functions/schedule/batchInference';
import type { BatchInferenceDeps } from '../../../../shared/batchJobs/batchInference/types';
import { FakeBatchInference, MemoryBatchInferenceStore } from '../../../helpers/fakeBatchInference';
import { fakeInferenceRuntime, FAKE_CATALOGUE } from '../../../helpers/fakeProviderWorld';
import { FakeProvider } from '../../../helpers/fakeProvider';
import { MemoryJobStore, MemoryObjectStore, MemorySender } from '../../../helpers/memoryPorts';

describe('functions/schedule/batchInference', () => {
  // Prepare: no platform job has a Bedrock job.
  const objects = new MemoryObjectStore();
  const bedrock = new FakeBatchInference(objects);
  const { router, core } = fakeInferenceRuntime(FAKE_CATALOGUE, (id) => new FakeProvider(id));
  const deps: BatchInferenceDeps = {
    jobs: new MemoryJobStore(),
    objects,
    finalize: new MemorySender(),
    core,
    router,
    maxLineBytes: 4096,
    newAttemptId: () => 'a1',
    now: Date.now,
    batchJobs: new MemoryBatchInferenceStore(),
    bedrock,
    chunks: new MemorySender(),
  };
  const context = { getRemainingTimeInMillis: () => 60_000 };
  const event = (detailType: string, detail: unknown) =>
    ({
      version: '0',
      id: 'e',
      'detail-type': detailType,
      source: 'aws.bedrock',
      account: '1',
      time: '',
      region: 'us-east-1',
      resources: [],
      detail,
    }) as EventBridgeEvent<string, unknown>;

  it('takes a state-change event of a Bedrock job the platform did not start, and ignores it', async () => {
    const { jobArn } = await bedrock.create({
      jobName: 'someone-elses-job',
      clientRequestToken: 't',
      bedrockModel: 'm',
      inputUri: 's3://b/k.jsonl',
      outputUri: 's3://b/out/',
      timeoutHours: 24,
    });
    expect(await createHandler(deps)(event(BATCH_STATE_CHANGE, { batchJobArn: jobArn, status: 'Completed' }), context)).toEqual({
      outcome: 'ignored',
    });
  });

  it('sweeps on a scheduled event', async () => {
    expect(await createHandler(deps)(event('Scheduled Event', {}), context)).toEqual({ submitted: [], stopped: [], settled: [] });
  });
});
