import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeServer } from '../../../shared/providers/openai/probeServer';

/** A server answering GET /v1/models with `status` and `body` (or never, for `hang`), recording what it was asked. */
async function serverAnswering(
  status: number | 'hang',
  body = '{"object":"list","data":[{"id":"gpt-oss-20b","object":"model"}]}',
): Promise<{ url: string; asked: Array<{ path?: string; auth?: string }>; close(): Promise<void> }> {
  const asked: Array<{ path?: string; auth?: string }> = [];
  const server: Server = createServer((request, response) => {
    asked.push({ path: request.url, auth: request.headers.authorization });
    if (status === 'hang') return;
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('probeServer', () => {
  it('is true when GET /v1/models answers a model list, with the pool key, whether the base URL ends in /v1 or not', async () => {
    const server = await serverAnswering(200);
    try {
      expect(await probeServer(`${server.url}/v1/`, 'k-1', AbortSignal.timeout(2_000))).toBe(true);
      expect(await probeServer(server.url, undefined, AbortSignal.timeout(2_000))).toBe(true);
      expect(server.asked).toEqual([
        { path: '/v1/models', auth: 'Bearer k-1' },
        { path: '/v1/models', auth: undefined },
      ]);
    } finally {
      await server.close();
    }
  });

  it('is false on an error status, an answer that is not a model list (as the pool would not use the server), a refused connection and a server that does not answer in time', async () => {
    const failing = await serverAnswering(503);
    const nonsense = await serverAnswering(200, '<html>gateway</html>');
    const hanging = await serverAnswering('hang');
    const closed = await serverAnswering(200);
    await closed.close();
    try {
      expect(await probeServer(failing.url, undefined, AbortSignal.timeout(2_000))).toBe(false);
      expect(await probeServer(nonsense.url, undefined, AbortSignal.timeout(2_000))).toBe(false);
      expect(await probeServer(closed.url, undefined, AbortSignal.timeout(2_000))).toBe(false);
      expect(await probeServer(hanging.url, undefined, AbortSignal.timeout(200))).toBe(false);
    } finally {
      await Promise.all([failing.close(), nonsense.close(), hanging.close()]);
    }
  });
});
