import type { SQSEvent } from 'aws-lambda';
import { createHandler } from '../../../functions/sqs/worker';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import { BackendUnavailableError } from '../../../shared/errors/backendErrors';
import type { ChunkMessage } from '../../../shared/batchJobs/job/Job';
import { lambdaContext, sqsEvent, sqsRecord } from '../../helpers/events';
import { chatLine, chunkMessage, createJob, JOB_ID, makeWorld, putInput, type World } from '../../unit/batchJobs/jobWorld';

/**
 * "While a pool is scaling up from zero, or saturated, batch lines wait for the GPUs
 * unless their deadline needs Bedrock" (shared/fleet/batchOverflow.ts), through the
 * worker as Lambda runs it: a real batching core and router, the GPU pool answering as
 * an internal load balancer with no healthy target does (503), Bedrock behind it.
 */

const MAX_RECEIVES = 5;
const HOUR_S = 3_600;

const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'chat-a',
      kind: 'chat',
      contextTokens: 2_000,
      maxOutputTokens: 100,
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'chat-a', baseUrls: ['http://127.0.0.1:1'], startupSeconds: 600 },
        { provider: 'bedrock', id: 'bedrock', model: 'openai.gpt-oss-20b-1:0' },
      ],
    },
  ],
});

function eventOf(message: ChunkMessage, receiveCount: number): SQSEvent {
  return sqsEvent(sqsRecord('m-1', JSON.stringify(message), { receiveCount, receiptHandle: 'receipt-1' }));
}

/** A job of two chat lines whose completion window ends `secondsLeft` from now, its GPU pool down, and the worker. */
async function poolDown(secondsLeft: number) {
  const world: World = makeWorld(catalogue);
  const { etag, chunks } = await putInput(world, [chatLine('c1', 'x'), chatLine('c2', 'y')]);
  await createJob(world, { chunksTotal: 1, total: 2, etag, expiresAt: Math.floor(Date.now() / 1000) + secondsLeft });
  world.providers.get('gpu')!.failWith = new BackendUnavailableError('503 from the load balancer: no healthy target');
  const returned: number[] = [];
  const handler = createHandler(world.worker, MAX_RECEIVES, {
    delivery: {
      returnAfter: async (_handle, seconds) => {
        returned.push(seconds);
        return seconds;
      },
    },
  });
  const run = (receives: number) => handler(eventOf(chunkMessage(chunks[0]!, etag), receives), lambdaContext(120_000));
  return { world, returned, run };
}

describe('batch lines and a GPU pool without capacity', () => {
  it('wait for the GPUs while the deadline is far: the chunk goes back for minutes, no line fails, Bedrock is not called', async () => {
    // Prepare: 23 hours left in the window
    const { world, returned, run } = await poolDown(23 * HOUR_S);

    // Act
    const response = await run(1);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(returned).toHaveLength(1);
    expect(returned[0]).toBeGreaterThanOrEqual(60);
    expect(world.providers.get('bedrock')!.chatCalls).toHaveLength(0);
    const job = (await world.jobs.get(JOB_ID))!;
    expect(job.requestCounts).toEqual({ total: 2, completed: 0, failed: 0 });
    expect(job.chunksDone).toBe(0);
  });

  it('then run on the GPUs once the pool has started', async () => {
    // Prepare
    const { world, run } = await poolDown(23 * HOUR_S);
    await run(1);
    world.providers.get('gpu')!.failWith = undefined;

    // Act
    const response = await run(2);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(world.providers.get('gpu')!.chatCalls.length).toBeGreaterThanOrEqual(2);
    expect(world.providers.get('bedrock')!.chatCalls).toHaveLength(0);
    expect((await world.jobs.get(JOB_ID))!.requestCounts).toEqual({ total: 2, completed: 2, failed: 0 });
  });

  it('go to Bedrock now when the deadline is near: the chunk is recorded, every line answered', async () => {
    // Prepare: 20 minutes left, less than the pool's 10-minute start-up plus the margin
    const { world, returned, run } = await poolDown(20 * 60);

    // Act
    const response = await run(1);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(returned).toEqual([]);
    expect(world.providers.get('bedrock')!.chatCalls).toHaveLength(2);
    expect((await world.jobs.get(JOB_ID))!.requestCounts).toEqual({ total: 2, completed: 2, failed: 0 });
  });

  it("go to Bedrock on the chunk's last delivery, whatever the deadline: waiting never fails a line", async () => {
    // Prepare
    const { world, run } = await poolDown(23 * HOUR_S);

    // Act
    const response = await run(MAX_RECEIVES);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(world.providers.get('bedrock')!.chatCalls).toHaveLength(2);
    expect((await world.jobs.get(JOB_ID))!.requestCounts).toEqual({ total: 2, completed: 2, failed: 0 });
  });
});
