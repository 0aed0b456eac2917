/**
 * The `data` of each server-sent event in a body, as it arrives. Events are separated by
 * a blank line (LF, CRLF or CR line ends); an event's `data:` lines are joined by line
 * feeds, one optional space after the colon is dropped; comments (`:` lines), other
 * fields and events without data are skipped. A last event not closed by a blank line
 * is still delivered when the body ends.
 *
 * Stopping the iteration early ends the body's own iteration, which cancels a web stream
 * or destroys a Node stream: the connection is dropped and the server sees the client go
 * away.
 */
export async function* readSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  const take = function* (done: boolean): Generator<string> {
    // The last part may be an event still arriving: keep it until its blank line (or the end).
    const parts = buffer.split(/\r\n\r\n|\n\n|\r\r|\r\n\n|\n\r\n/);
    buffer = done ? '' : parts.pop()!;
    for (const part of parts) {
      const data = eventData(part);
      if (data !== undefined) yield data;
    }
  };
  for await (const value of body) {
    buffer += decoder.decode(value, { stream: true });
    yield* take(false);
  }
  buffer += decoder.decode();
  yield* take(true);
}

/** The joined `data:` lines of one event's text, or undefined when it has none. */
function eventData(event: string): string | undefined {
  const lines: string[] = [];
  for (const line of event.split(/\r\n|\n|\r/)) {
    if (line === 'data' || line.startsWith('data:')) {
      const value = line.slice(5);
      lines.push(value.startsWith(' ') ? value.slice(1) : value);
    }
  }
  return lines.length === 0 ? undefined : lines.join('\n');
}
