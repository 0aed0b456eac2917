import type { ChatDelta, OpenedChatStream, Usage } from '../domain/inference';

/**
 * The same stream, calling `onEnd` once with the usage the backend reported (if any) when
 * it ends: read to its end, stopped by its reader, or failed. Pieces pass unchanged.
 */
export function observedStream(stream: OpenedChatStream, onEnd: (usage: Usage | undefined) => void): OpenedChatStream {
  let usage: Usage | undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd(usage);
  };
  const seen = (piece: ChatDelta) => {
    if (piece.usage) usage = piece.usage;
  };
  stream.first.forEach(seen);
  const rest = stream.rest;
  return {
    first: stream.first,
    rest: {
      async next() {
        try {
          const next = await rest.next();
          if (next.done) end();
          else seen(next.value);
          return next;
        } catch (error) {
          end();
          throw error;
        }
      },
      async return(value?: unknown) {
        end();
        return rest.return ? rest.return(value) : { done: true as const, value: undefined };
      },
    },
  };
}
