import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/DynamoDbApiKeyStore';
import { hashApiKey, issueApiKey } from '../../shared/auth/ApiKeyStore';
import { waitFor } from '../helpers/waitFor';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';

/**
 * Tenant isolation and authentication through the running local platform, with two
 * tenants' keys: `local` (the platform's key) and `local-2` (`INFER_API_KEY_2`).
 *
 * The authorizer caches each verdict for AUTH_CACHE_TTL_MS (60 s by default), which is
 * the longest a revoked key keeps working; the platform here runs with 0 so a revocation
 * shows at once (the cache itself is tested in test/unit/auth/ApiKeyAuthenticator.test.ts).
 */
const KEY_B = `sk-tenant-two-${randomBytes(12).toString('hex')}`;

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: any;
}

describe('tenant isolation and authentication, through the local platform', () => {
  let platform: LocalPlatformProcess;
  let dynamodb: DynamoDBClient;
  let documents: DynamoDBDocumentClient;
  /** Everything every request of this file received, to search for keys and content. */
  const answers: Answer[] = [];

  /** A raw request with `key`; JSON bodies are sent as JSON, Buffers as they are. */
  async function call(
    key: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const json = body !== undefined && !Buffer.isBuffer(body) && !(body instanceof FormData);
    const response = await fetch(`${platform.api}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(json ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body === undefined ? {} : { body: json ? JSON.stringify(body) : (body as Buffer | FormData) }),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    const answer = { status: response.status, contentType, text, body: contentType.includes('json') ? JSON.parse(text) : text };
    answers.push(answer);
    return answer;
  }

  /** Uploads `lines` as a .jsonl batch input for `key`'s tenant. */
  async function upload(key: string, lines: unknown[]): Promise<any> {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new File([lines.map((line) => `${JSON.stringify(line)}\n`).join('')], 'input.jsonl'));
    const answer = await call(key, 'POST', '/v1/files', form);
    expect(answer.status).toBe(200);
    return answer.body;
  }

  const chatLine = (id: string, content: string) => ({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content }], max_tokens: 16 },
  });

  /** Runs a batch for `key`'s tenant to completion, one line refused so it has an error file too. */
  async function completedBatch(key: string, content: string): Promise<any> {
    const file = await upload(key, [chatLine('a', content), chatLine('b', content), { custom_id: 'c', method: 'GET' }]);
    const created = await call(key, 'POST', '/v1/batches', {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status).toBe(200);
    return waitFor(
      async () => (await call(key, 'GET', `/v1/batches/${created.body.id}`)).body,
      (batch) => ['completed', 'failed'].includes(batch.status),
      60_000,
    );
  }

  beforeAll(async () => {
    // INFO is what serverless.yml deploys; it is set here because the test process's own SILENT would be inherited.
    platform = await startLocalPlatformProcess({
      INFER_API_KEY_2: KEY_B,
      AUTH_CACHE_TTL_MS: '0',
      INFER_QUIET: '0',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    dynamodb = new DynamoDBClient({
      endpoint: platform.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    documents = DynamoDBDocumentClient.from(dynamodb);
  }, 90_000);

  afterAll(async () => {
    dynamodb?.destroy();
    await platform?.stop();
  });

  describe("one tenant's batches and files, seen from another", () => {
    let batchA: any;
    let batchB: any;

    beforeAll(async () => {
      [batchA, batchB] = await Promise.all([completedBatch(platform.apiKey, 'Tenant A asks.'), completedBatch(KEY_B, 'Tenant B asks.')]);
    }, 90_000);

    it('runs each tenant its own batch to completion, with outputs and errors', () => {
      expect(batchA).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });
      expect(batchB).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });
      expect([batchA.output_file_id, batchA.error_file_id, batchA.input_file_id].every((id) => typeof id === 'string')).toBe(true);
    });

    /** Every way tenant B can name one of A's ids, with an id of the same shape that exists nowhere. */
    const probes = (): Array<[string, string, string, (id: string) => [string, string, unknown?]]> => [
      ['retrieve the batch', batchA.id, 'batch_ffffffffffffffffffffffffffffffff', (id) => ['GET', `/v1/batches/${id}`]],
      ['cancel the batch', batchA.id, 'batch_ffffffffffffffffffffffffffffffff', (id) => ['POST', `/v1/batches/${id}/cancel`]],
      ['retrieve the input file', batchA.input_file_id, 'file-ffffffffffffffffffffffff', (id) => ['GET', `/v1/files/${id}`]],
      ['download the input file', batchA.input_file_id, 'file-ffffffffffffffffffffffff', (id) => ['GET', `/v1/files/${id}/content`]],
      ['retrieve the output file', batchA.output_file_id, 'file-ffffffffffffffffffffffff', (id) => ['GET', `/v1/files/${id}`]],
      ['download the output file', batchA.output_file_id, 'file-ffffffffffffffffffffffff', (id) => ['GET', `/v1/files/${id}/content`]],
      ['download the error file', batchA.error_file_id, 'file-ffffffffffffffffffffffff', (id) => ['GET', `/v1/files/${id}/content`]],
      [
        'start a batch over the input file',
        batchA.input_file_id,
        'file-ffffffffffffffffffffffff',
        (id) => ['POST', '/v1/batches', { input_file_id: id, endpoint: '/v1/chat/completions', completion_window: '24h' }],
      ],
      [
        'page the batch list after the batch',
        batchA.id,
        'batch_ffffffffffffffffffffffffffffffff',
        (id) => ['GET', `/v1/batches?after=${id}`],
      ],
      [
        'page the file list after the file',
        batchA.input_file_id,
        'file-ffffffffffffffffffffffff',
        (id) => ['GET', `/v1/files?after=${id}`],
      ],
    ];

    it("answers every probe of A's ids exactly as it answers an id that does not exist: 404 (never 403), same body", async () => {
      for (const [what, realId, unknownId, request] of probes()) {
        // Act
        const [method, path, body] = request(realId);
        const forA = await call(KEY_B, method, path, body);
        const [, unknownPath, unknownBody] = request(unknownId);
        const forNothing = await call(KEY_B, method, unknownPath, unknownBody);
        // Assess: same status and same body once the id itself is set aside, so A's ids cannot be told from made-up ones.
        const paging = path.includes('?after=');
        expect({ what, status: forA.status }).toEqual({ what, status: paging ? 400 : 404 });
        expect({ what, body: forA.text.replaceAll(realId, '<id>') }).toEqual({ what, body: forNothing.text.replaceAll(unknownId, '<id>') });
        expect(forA.body.error.code).toMatch(paging ? /^invalid_value$/ : /^(batch_not_found|file_not_found)$/);
      }
    });

    it('lists to each tenant only its own batches and files', async () => {
      // Act
      const batchesB = await call(KEY_B, 'GET', '/v1/batches?limit=100');
      const filesB = await call(KEY_B, 'GET', '/v1/files?limit=100');
      const batchesA = await call(platform.apiKey, 'GET', '/v1/batches?limit=100');
      // Assess
      const ids = (answer: Answer) => answer.body.data.map((item: { id: string }) => item.id);
      expect(ids(batchesB)).toEqual([batchB.id]);
      expect(ids(filesB).sort()).toEqual([batchB.input_file_id, batchB.output_file_id, batchB.error_file_id].sort());
      expect(ids(batchesA)).toContain(batchA.id);
      expect(ids(batchesA)).not.toContain(batchB.id);
    });

    it("leaves A's batch and files as they were after B's attempts, and still serves them to A", async () => {
      // Act
      const batch = await call(platform.apiKey, 'GET', `/v1/batches/${batchA.id}`);
      const output = await call(platform.apiKey, 'GET', `/v1/files/${batchA.output_file_id}/content`);
      // Assess
      expect(batch.body).toMatchObject({ id: batchA.id, status: 'completed', request_counts: batchA.request_counts });
      expect(output.status).toBe(200);
      expect(
        output.text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line).custom_id)
          .sort(),
      ).toEqual(['a', 'b']);
    });
  });

  describe('async requests (/v1/requests)', () => {
    it("answers another tenant's request id exactly as one that does not exist", async () => {
      // Prepare
      const created = await call(platform.apiKey, 'POST', '/v1/requests', {
        url: '/v1/chat/completions',
        body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'async' }], max_tokens: 8 },
      });
      expect(created.status).toBe(202);
      const unknownId = created.body.id.replace(/[0-9a-f]/g, 'f');
      // Act
      const forA = await call(KEY_B, 'GET', `/v1/requests/${created.body.id}`);
      const forNothing = await call(KEY_B, 'GET', `/v1/requests/${unknownId}`);
      const forOwner = await call(platform.apiKey, 'GET', `/v1/requests/${created.body.id}`);
      // Assess
      expect(forA.status).toBe(404);
      expect(forA.text.replaceAll(created.body.id, '<id>')).toBe(forNothing.text.replaceAll(unknownId, '<id>'));
      expect(forOwner.status).toBe(200);
    });
  });

  describe('API keys', () => {
    const store = () => new DynamoDbApiKeyStore({ client: documents, tableName: platform.tableName });

    it('stops accepting a key as soon as it is revoked (AUTH_CACHE_TTL_MS=0)', async () => {
      // Prepare
      const { key } = await issueApiKey(store(), { tenantId: 'local-2', name: 'to revoke' });
      const before = await call(key, 'GET', '/v1/models');
      // Act
      await store().revoke(hashApiKey(key), new Date());
      const after = await call(key, 'GET', '/v1/batches');
      const otherKey = await call(KEY_B, 'GET', '/v1/batches');
      // Assess
      expect(before.status).toBe(200);
      expect(after.status).toBe(401);
      expect(after.body.error).toMatchObject({ code: 'invalid_api_key', type: 'authentication_error' });
      expect(otherKey.status).toBe(200);
    });

    it('stores keys only as SHA-256 hashes: no attribute of any item holds a key', async () => {
      // Prepare
      const { key: issued } = await issueApiKey(store(), { tenantId: 'local', name: 'scan me' });
      const keys = [platform.apiKey, KEY_B, issued];
      // Act
      const items: Record<string, unknown>[] = [];
      let start: Record<string, any> | undefined;
      do {
        const page = await dynamodb.send(new ScanCommand({ TableName: platform.tableName, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      // Assess: the keys are there, by hash only.
      const stored = JSON.stringify(items);
      for (const key of keys) {
        expect(stored).toContain(`APIKEY#${hashApiKey(key)}`);
        expect(stored).not.toContain(key);
      }
      // Not even a prefix long enough to narrow a guess (the keys share only their `sk-` start).
      for (const key of keys) expect(stored).not.toContain(key.slice(0, 16));
    });
  });

  /**
   * Nothing in the platform logs a request's content or a key at any level: there is no
   * debug-level log of bodies (POWERTOOLS_LOG_LEVEL=DEBUG adds no line with content), so
   * only the first half of "not unless debug logging is on" can be shown, and is.
   */
  describe('what responses and logs say', () => {
    // The key is never printed by the platform (it is issued here, not at start-up), and the prompt is unique to this run.
    const CANARY = `canary-${randomBytes(8).toString('hex')}`;
    let canaryKey: string;

    beforeAll(async () => {
      ({ key: canaryKey } = await issueApiKey(new DynamoDbApiKeyStore({ client: documents, tableName: platform.tableName }), {
        tenantId: 'local-2',
        name: 'canary',
      }));
    });

    it("never echoes a key or a request's content at the default log level (INFO)", async () => {
      // Prepare: requests that succeed and requests refused at every stage, each carrying the canary.
      const prompt = `Tell me about ${CANARY}.`;
      const requests: Array<[string | undefined, string, string, unknown?, Record<string, string>?]> = [
        [
          canaryKey,
          'POST',
          '/v1/chat/completions',
          { model: 'gpt-oss-20b', messages: [{ role: 'user', content: prompt }], max_tokens: 16 },
        ],
        [canaryKey, 'POST', '/v1/embeddings', { model: 'bge-m3', input: [prompt, `${prompt} again`] }],
        [canaryKey, 'POST', '/v1/chat/completions', { model: 'gpt-oss-20b', messages: [{ role: 'robot', content: prompt }] }],
        [canaryKey, 'POST', '/v1/chat/completions', { model: 'gpt-oss-20b', messages: [{ role: 'user', content: prompt }], stray: prompt }],
        [
          canaryKey,
          'POST',
          '/v1/chat/completions',
          { model: 'gpt-oss-20b', messages: [{ role: 'user', content: `${prompt} ${'long '.repeat(120_000)}` }] },
        ],
        [
          canaryKey,
          'POST',
          '/v1/chat/completions',
          Buffer.from(`{"model": "gpt-oss-20b", "messages": [{"role": "user", "content": "${prompt}"}],}`),
          { 'content-type': 'application/json' },
        ],
        [canaryKey, 'POST', '/v1/chat/completions', Buffer.from(prompt), { 'content-type': 'text/plain' }],
        [`${canaryKey}x`, 'POST', '/v1/chat/completions', { model: 'gpt-oss-20b', messages: [{ role: 'user', content: prompt }] }],
        [
          undefined,
          'POST',
          '/v1/chat/completions',
          { model: 'gpt-oss-20b', messages: [{ role: 'user', content: prompt }] },
          { authorization: `Basic ${canaryKey}` },
        ],
      ];
      // Act
      const statuses: number[] = [];
      const seen: string[] = [];
      for (const [key, method, path, body, headers] of requests) {
        const answer = await call(key, method, path, body, headers);
        statuses.push(answer.status);
        seen.push(answer.text);
      }
      const batch = await completedBatch(canaryKey, prompt);
      seen.push(JSON.stringify(batch));
      // Give the functions' last log lines time to reach the output.
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Assess: the requests reached every stage they were meant to.
      expect(statuses).toEqual([200, 200, 400, 400, 400, 400, 415, 401, 401]);
      expect(batch.status).toBe('completed');
      // Assess: no answer to them, and no line the platform printed, holds the key or the prompt.
      for (const text of seen) {
        expect(text).not.toContain(CANARY);
        expect(text).not.toContain(canaryKey);
      }
      // The functions' own logs are in the output (so their silence about the canary means something).
      const output = platform.output();
      expect(output).toMatch(/\[http\] POST \/v1\/chat\/completions 200/);
      expect(output).toMatch(/"message":"request refused".*"code":"context_length_exceeded"/);
      expect(output).toMatch(/"message":"unauthenticated request"/);
      expect(output).toMatch(/"message":"job finalized"/);
      expect(output).not.toContain(CANARY);
      expect(output).not.toContain(canaryKey);
      // No key of either tenant in any answer of this whole file either.
      for (const answer of answers) for (const key of [KEY_B, canaryKey]) expect(answer.text).not.toContain(key);
    }, 90_000);
  });
});
