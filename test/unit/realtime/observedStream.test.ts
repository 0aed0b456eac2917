import type { ChatDelta } from '../../../shared/domain/inference';
import { observedStream } from '../../../shared/realtime/observedStream';

async function* pieces(list: ChatDelta[], failAtEnd = false): AsyncGenerator<ChatDelta> {
  yield* list;
  if (failAtEnd) throw new Error('backend gone');
}

async function readAll(rest: AsyncIterator<ChatDelta>): Promise<ChatDelta[]> {
  const read: ChatDelta[] = [];
  for (let next = await rest.next(); !next.done; next = await rest.next()) read.push(next.value);
  return read;
}

describe('observedStream', () => {
  it('passes every piece unchanged and reports the usage once, at the end', async () => {
    // Prepare
    const ends: unknown[] = [];
    const stream = observedStream(
      {
        first: [{ content: 'a' }],
        rest: pieces([{ content: 'b' }, { finishReason: 'stop', usage: { promptTokens: 5, completionTokens: 2 } }]),
      },
      (usage) => ends.push(usage),
    );
    // Act
    const read = await readAll(stream.rest);
    await stream.rest.return?.();
    // Assess
    expect(stream.first).toEqual([{ content: 'a' }]);
    expect(read).toEqual([{ content: 'b' }, { finishReason: 'stop', usage: { promptTokens: 5, completionTokens: 2 } }]);
    expect(ends).toEqual([{ promptTokens: 5, completionTokens: 2 }]);
  });

  it('reports when the reader stops early, and when the stream fails', async () => {
    // Prepare
    const ends: unknown[] = [];
    const stopped = observedStream(
      { first: [{ content: 'a', usage: { promptTokens: 1, completionTokens: 1 } }], rest: pieces([{ content: 'b' }]) },
      (usage) => ends.push(usage),
    );
    const failing = observedStream({ first: [{ content: 'a' }], rest: pieces([], true) }, (usage) => ends.push(usage ?? 'none'));
    // Act
    await stopped.rest.return?.();
    await expect(readAll(failing.rest)).rejects.toThrow('backend gone');
    // Assess
    expect(ends).toEqual([{ promptTokens: 1, completionTokens: 1 }, 'none']);
  });
});
