import { startLocalPlatformProcess, type LocalPlatformProcess } from '../../helpers/localPlatform';

describe('npm start (shared/local/start.ts) in a child process', () => {
  let platform: LocalPlatformProcess | undefined;

  afterAll(async () => {
    await platform?.stop();
  });

  it('comes up on free ports and prints where everything is', async () => {
    // Act
    platform = await startLocalPlatformProcess({ INFER_API_KEY_2: 'sk-second', INFER_QUIET: '0' });

    // Assess
    expect(platform.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.simulator).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.apiKey).toBe('sk-local');
    expect(platform.tableName).toBe('inference-platform-local');
    expect(platform.output()).toContain('(tenant local-2)');
  });

  it('serves GET /health through the health handler', async () => {
    // Act
    const response = await fetch(`${platform!.api}/health`);

    // Assess
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ status: 'ok' });
  });

  it('answers 404 for an unknown route and logs the request', async () => {
    // Act
    const response = await fetch(`${platform!.api}/nowhere`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(response.status).toBe(404);
    await expect(response.json()).resolves.toEqual({ message: 'Not Found' });
    expect(platform!.output()).toMatch(/\[http\] GET \/nowhere 404 \d+ms/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    // Act
    const code = await platform!.stop();

    // Assess
    expect(code).toBe(0);
    await expect(fetch(`${platform!.api}/health`)).rejects.toThrow();
  });

  it('explains a port in use and exits 1', async () => {
    // Prepare
    const { createServer } = await import('node:http');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };

    try {
      // Act
      const act = startLocalPlatformProcess({ INFER_PORT: String(port) });

      // Assess
      await expect(act).rejects.toThrow(/exited with code 1[\s\S]*HTTP API cannot listen on 127\.0\.0\.1:\d+: the port is already in use\. Set INFER_PORT/);
    } finally {
      blocker.close();
    }
  });
});
