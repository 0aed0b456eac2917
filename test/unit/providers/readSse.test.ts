import { readSseData } from '../../../shared/providers/openai/readSse';

function bodyOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

async function all(body: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readSseData(body)) out.push(data);
  return out;
}

describe('readSseData', () => {
  it('joins multi-line data, skips comments and other fields, and keeps a last unterminated event', async () => {
    // Act
    const data = await all(bodyOf(['event: message\ndata: a\ndata:b\n', '\n: ping\n\nid: 3\n\ndata: last']));

    // Assess
    expect(data).toEqual(['a\nb', 'last']);
  });

  it('reassembles a multi-byte character split across reads', async () => {
    // Prepare
    const bytes = new TextEncoder().encode('data: é\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 7));
        controller.enqueue(bytes.subarray(7));
        controller.close();
      },
    });

    // Act
    const data = await all(body);

    // Assess
    expect(data).toEqual(['é']);
  });

  it('cancels the body when the reader stops early', async () => {
    // Prepare
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });

    // Act
    for await (const data of readSseData(body)) {
      expect(data).toBe('x');
      break;
    }

    // Assess
    expect(cancelled).toBe(true);
  });
});
