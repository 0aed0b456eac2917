import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stub received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Answers a recorded request; may leave the response open to simulate a hung server. */
export type StubHandler = (request: RecordedRequest, response: ServerResponse) => void;

/** A throwaway OpenAI-compatible server on 127.0.0.1 and an ephemeral port. */
export interface StubHttpServer {
  baseUrl: string;
  requests: RecordedRequest[];
  handle(handler: StubHandler): void;
  close(): Promise<void>;
}

/** Sends `body` as JSON with `status` and extra headers. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Starts a stub that records every request and answers with the current handler. */
export async function startStubHttpServer(): Promise<StubHttpServer> {
  const requests: RecordedRequest[] = [];
  let handler: StubHandler = (_request, response) => sendJson(response, 404, { error: { message: 'no handler' } });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    handle: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Hung responses keep sockets open; drop them so close() can finish.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
