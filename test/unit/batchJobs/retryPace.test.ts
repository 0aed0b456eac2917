import { retryDelaySeconds, type RetryCause } from '../../../shared/batchJobs/run/retryPace';
import { sendChunkBack } from '../../../shared/batchJobs/run/sendChunkBack';
import { logger } from '../../../shared/observability/logger';
import { chunkMessage, putInput, makeWorld, chatLine } from './jobWorld';

const WORK_VISIBILITY_TIMEOUT_S = 1_800;

describe('retryDelaySeconds', () => {
  it.each<[RetryCause, number, number]>([
    ['backend_unavailable', 1, 10],
    ['backend_unavailable', 2, 20],
    ['backend_unavailable', 4, 80],
    ['backend_unavailable', 9, 900],
    ['rate_limited', 1, 15],
    ['rate_limited', 3, 60],
    ['rate_limited', 10, 900],
    ['deadline', 1, 2],
    ['deadline', 8, 30],
    ['job_validating', 1, 5],
    ['job_validating', 6, 60],
  ])('%s on delivery %i: at most %i s, at least half of it', (cause, receives, ceiling) => {
    // Act
    const highest = retryDelaySeconds(cause, receives, () => 1);
    const lowest = retryDelaySeconds(cause, receives, () => 0);

    // Assess
    expect(highest).toBe(ceiling);
    expect(lowest).toBe(Math.max(1, Math.round(ceiling / 2)));
  });

  it("always comes back in seconds to minutes, well before the work queue's visibility timeout", () => {
    // Act
    const delays = (['backend_unavailable', 'rate_limited', 'deadline', 'job_validating'] as const).flatMap((cause) =>
      Array.from({ length: 20 }, (_, i) => retryDelaySeconds(cause, i + 1)),
    );

    // Assess
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(900);
    expect(Math.max(...delays)).toBeLessThan(WORK_VISIBILITY_TIMEOUT_S);
  });

  it('spreads the chunks of one outage over time (jitter)', () => {
    // Act
    const delays = new Set(Array.from({ length: 50 }, () => retryDelaySeconds('backend_unavailable', 5)));

    // Assess
    expect(delays.size).toBeGreaterThan(5);
  });
});

describe('sendChunkBack', () => {
  it("sets the message's visibility to the delay of its cause and logs it at WARN with job, chunk and cause", async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x')]);
    const calls: [string, number][] = [];
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);

    // Act
    const delay = await sendChunkBack(
      {
        delivery: {
          returnAfter: async (handle, seconds) => {
            calls.push([handle, seconds]);
            return seconds;
          },
        },
        random: () => 1,
      },
      { message: chunkMessage(chunks[0]!, etag), receiptHandle: 'rh-1', receiveCount: 3, cause: 'rate_limited' },
    );

    // Assess
    expect(delay).toBe(60);
    expect(calls).toEqual([['rh-1', 60]]);
    expect(warn).toHaveBeenCalledWith('chunk sent back', {
      jobId: 'batch_0001',
      chunk: 0,
      cause: 'rate_limited',
      receiveCount: 3,
      delaySeconds: 60,
    });
    warn.mockRestore();
  });

  it('still sends the chunk back (after the visibility timeout) when the delay cannot be set, saying so at WARN', async () => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x')]);
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);

    // Act
    const delay = await sendChunkBack(
      {
        delivery: {
          returnAfter: async () => {
            throw new Error('ReceiptHandleIsInvalid');
          },
        },
      },
      { message: chunkMessage(chunks[0]!, etag), receiptHandle: 'rh-2', receiveCount: 1, cause: 'backend_unavailable' },
    );

    // Assess
    expect(delay).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('could not be set'),
      expect.objectContaining({ jobId: 'batch_0001', chunk: 0, cause: 'backend_unavailable' }),
    );
    warn.mockRestore();
  });
});
