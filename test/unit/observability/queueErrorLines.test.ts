import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { logger } from '../../../shared/observability/logger';
import { RetryLaterError, sqsBatchHandler } from '../../../shared/sqsEvents/sqsBatch';
import { sqsBatchAll } from '../../../shared/sqsEvents/sqsBatchAll';
import { sqsEvent as event, sqsRecord } from '../../helpers/events';

const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1_000 } as unknown as Context;
const record = (messageId: string, body: string) => sqsRecord(messageId, body, { receiveCount: 2 });

describe('ERROR lines for messages that go back to the queue', () => {
  let error: jest.SpyInstance;
  beforeEach(() => {
    error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => error.mockRestore());

  it('names the message of a malformed body and of a failed handler, but not a RetryLaterError (its thrower logged it)', async () => {
    // Prepare
    const handler = sqsBatchHandler(z.object({ n: z.number() }), async ({ n }) => {
      if (n === 1) throw new Error('boom');
      if (n === 2) throw new RetryLaterError('later');
    });

    // Act
    const response = await handler(
      event(record('m0', 'not json'), record('m1', '{"n":1}'), record('m2', '{"n":2}'), record('m3', '{"n":3}')),
      context,
    );

    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m0', 'm1', 'm2']);
    const logged = error.mock.calls.map(([message, fields]) => [message, fields.messageId]);
    expect(logged).toEqual([
      [expect.stringContaining('malformed message'), 'm0'],
      [expect.stringContaining('message failed'), 'm1'],
    ]);
  });

  it('names every message the whole-batch consumer hands back', async () => {
    // Prepare
    const handler = sqsBatchAll(async () => ['m1', 'm2']);

    // Act
    await handler(event(record('m1', '{}'), record('m2', '{}'), record('m3', '{}')), context);

    // Assess
    expect(error).toHaveBeenCalledWith(
      expect.stringContaining('go back to the queue'),
      expect.objectContaining({ messageIds: ['m1', 'm2'] }),
    );
  });
});
