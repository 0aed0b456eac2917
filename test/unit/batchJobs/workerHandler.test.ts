import type { SQSEvent } from 'aws-lambda';
import { createHandler } from '../../../functions/sqs/worker';
import { BackendUnavailableError } from '../../../shared/errors/backendErrors';
import type { ChunkMessage } from '../../../shared/batchJobs/job/Job';
import { lambdaContext, sqsEvent, sqsRecord } from '../../helpers/events';
import { chatLine, chunkMessage, createJob, makeWorld, putInput } from './jobWorld';

const WORK_VISIBILITY_TIMEOUT_S = 1_800;

function eventOf(message: ChunkMessage, receiveCount: number): SQSEvent {
  return sqsEvent(sqsRecord('m-1', JSON.stringify(message), { receiveCount, receiptHandle: 'receipt-1' }));
}

describe('worker handler: a chunk sent back comes back at the pace of its cause', () => {
  it.each([1, 2, 4])(
    'a backend down on delivery %i: the message is reported failed with its visibility set to seconds–minutes, not the visibility timeout',
    async (receives) => {
      // Prepare
      const world = makeWorld();
      const { etag, chunks } = await putInput(world, [chatLine('c1', 'x'), chatLine('c2', 'y')]);
      await createJob(world, { chunksTotal: 1, total: 2, etag });
      world.providers.get('gpu')!.failWith = new BackendUnavailableError('down');
      const returned: [string, number][] = [];
      const handler = createHandler(world.worker, 5, {
        delivery: {
          returnAfter: async (handle, seconds) => {
            returned.push([handle, seconds]);
            return seconds;
          },
        },
      });

      // Act
      const response = await handler(eventOf(chunkMessage(chunks[0]!, etag), receives), lambdaContext(120_000));

      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
      expect(returned).toHaveLength(1);
      const [handle, seconds] = returned[0]!;
      expect(handle).toBe('receipt-1');
      const ceiling = 10 * 2 ** (receives - 1);
      expect(seconds).toBeGreaterThanOrEqual(ceiling / 2);
      expect(seconds).toBeLessThanOrEqual(ceiling);
      expect(seconds).toBeLessThan(WORK_VISIBILITY_TIMEOUT_S);
    },
  );

  it('a chunk that finishes is acknowledged and its visibility left alone', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x')]);
    await createJob(world, { chunksTotal: 1, total: 1, etag });
    const returned: unknown[] = [];
    const handler = createHandler(world.worker, 5, {
      delivery: {
        returnAfter: async (...args) => {
          returned.push(args);
          return args[1];
        },
      },
    });

    // Act
    const response = await handler(eventOf(chunkMessage(chunks[0]!, etag), 1), lambdaContext(120_000));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(returned).toEqual([]);
  });
});
