import { answerQueueRequests } from '../../shared/queueRequests/answerQueueRequests';
import { planMessage } from '../../shared/queueRequests/planMessage';
import { failureOfLine } from '../../shared/domain/outputLines';
import type { MessageAttribute } from '../../shared/sqsEvents/sqsBatchAll';
import { chatMessage, embeddingMessage, makeQueueWorld, options, received, replyUrl, RESULTS_URL } from '../unit/queueRequests/queueWorld';
import { bodyBytes, includes, loadQueueCases, type QueueCase } from './corpusFixtures';

/**
 * The queue half of the bad-input corpus: every case under `test/corpus/queue/` is one
 * message in a batch with two good ones, run through the requests consumer (a real
 * batching core over fake backends; the queue entry's own memory ports). A message that
 * names where it may be answered gets exactly one answer there — the result or a clear
 * error — and one that does not (not JSON, a forbidden `reply_to`) is never answered
 * anywhere and goes back to the queue, on its way to the DLQ. The good ones are answered
 * either way.
 */
const cases = loadQueueCases();
const REPLY = replyUrl('corpus');

/** The fixture's message as the consumer receives it. */
function messageOf(testCase: QueueCase) {
  const body = bodyBytes(testCase.message).bytes!.toString('utf8').replaceAll('$REPLY', REPLY);
  const attributes: Record<string, MessageAttribute> = {};
  for (let i = 0; i < (testCase.attributes ?? 0); i += 1) attributes[`attr_${i}`] = { dataType: 'String', stringValue: `v${i}` };
  return received(body, { attributes });
}

describe('queue-message bad-input corpus, through the requests consumer', () => {
  it('holds at least 15 queue cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase: QueueCase) => {
    // Prepare
    const world = makeQueueWorld();
    const bad = messageOf(testCase);
    const goodToReply = received(chatMessage('good-chat', REPLY));
    const goodToResults = received(embeddingMessage('good-embeddings'));

    // Act
    const run = await answerQueueRequests(world.deps, [goodToReply, bad, goodToResults], options());

    // Assess: the good ones, answered with their results wherever the bad one is.
    const reply = world.answers.lines(REPLY);
    const results = world.answers.lines(RESULTS_URL);
    const answerOf = (lines: any[], customId: string) => lines.find((line) => line.custom_id === customId);
    expect(answerOf(reply, 'good-chat')).toMatchObject({ response: { status_code: 200 }, error: null });
    expect(answerOf(results, 'good-embeddings')).toMatchObject({ response: { status_code: 200 }, error: null });

    // Assess: the bad one.
    const expected = testCase.expect;
    const others = [...reply, ...results].filter((line) => !['good-chat', 'good-embeddings'].includes(line.custom_id));
    if (!expected.answered) {
      expect(planMessage(bad, 0, world.deps)).toMatchObject({ kind: 'undeliverable', code: expected.code });
      expect(others).toEqual([]);
      expect(world.answers.total).toBe(2);
      expect(run.retry).toEqual([bad.messageId]);
      return;
    }
    expect(run.retry).toEqual([]);
    expect(others).toHaveLength(1);
    const answer = others[0]!;
    expect((expected.to ?? 'reply') === 'reply' ? reply : results).toContainEqual(answer);
    if (expected.customId !== undefined) expect(answer.custom_id).toBe(expected.customId);
    if (expected.code === null) {
      expect(answer).toMatchObject({ response: { status_code: 200 }, error: null });
    } else {
      // Either shape of OpenAI's batch output: an HTTP refusal as a response, a failure without one as error.
      const failure = failureOfLine(answer)!;
      expect(failure.code).toBe(expected.code);
      for (const part of includes(expected.messageIncludes)) expect(failure.message).toContain(part);
    }
  });
});
