import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { parseJsonl } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';
import { keyPrefix } from '../../shared/auth/ApiKeyStore';

const ROOT = join(__dirname, '..', '..');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

/** What one run of the CLI printed, and its exit code. */
interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The `infer` CLI end to end, as a user runs it (a child process, `shared/cli/infer.ts`
 * under tsx) against the local platform: keys, batches with the progress bar, quick
 * checks, usage, exit codes and `--json`.
 */
describe('the infer CLI against the local platform', () => {
  let platform: LocalPlatformProcess;
  let dir: string;

  const infer = (args: string[], key = platform.adminKey, env: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', TSX, 'shared/cli/infer.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, INFER_BASE_URL: platform.api, INFER_API_KEY: key, INFER_CONFIG: '', XDG_CONFIG_HOME: dir, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  const json = <T>(run: CliRun): T => {
    if (run.code !== 0) throw new Error(`infer exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };
  const setSimulator = (patch: unknown) =>
    fetch(`${platform.simulator}/_sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });

  beforeAll(async () => {
    // Usage written after every request, and a revoked key refused at once: exact counts, no waiting.
    platform = await startLocalPlatformProcess({
      AUTH_CACHE_TTL_MS: '0',
      USAGE_FLUSH_INTERVAL_MS: '0',
      CHUNK_MAX_LINES: '250',
      LOCAL_SQS_CONCURRENCY: '3',
    });
    dir = await mkdtemp(join(tmpdir(), 'infer-cli-'));
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a key (printed once), lists it without the key, revokes it by id; the revoked key then gets 401', async () => {
    // Act
    const created = await infer(['keys', 'create', '--tenant', 'cli-keys', '--name', 'ci key']);
    const key = created.stdout.trim();
    const usedBefore = await infer(['models', '--json'], key);
    const listed = json<{
      data: { id: string; name: string; prefix: string; tenant: string; role: string; last_used_at: number | null }[];
    }>(await infer(['keys', 'list', '--tenant', 'cli-keys', '--json']));
    const table = await infer(['keys', 'list']);
    const [entry] = listed.data;
    const revoked = await infer(['keys', 'revoke', entry!.id]);
    const usedAfter = await infer(['models'], key);
    // Assess
    expect(created.code).toBe(0);
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(usedBefore.code).toBe(0);
    expect(listed.data).toHaveLength(1);
    expect(entry).toMatchObject({ name: 'ci key', tenant: 'cli-keys', role: 'member', prefix: key.slice(0, 8) });
    expect(entry!.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(entry!.last_used_at).toEqual(expect.any(Number));
    expect(table.stdout).toContain(entry!.id);
    // A prefix shows at most a quarter of its key: the local keys are short, their prefixes too.
    expect(table.stdout).toContain(`${keyPrefix('sk-local-admin')}…`);
    expect(`${table.stdout}${JSON.stringify(listed)}`).not.toContain(key);
    expect(revoked.code).toBe(0);
    expect(usedAfter.code).toBe(3);
    expect(usedAfter.stderr).toContain('401');
  }, 60_000);

  it('refuses admin commands to an ordinary key with exit code 3 (403), and a bad command line with 2', async () => {
    const listed = await infer(['keys', 'list'], platform.apiKey);
    const usage = await infer(['usage'], platform.apiKey);
    const unknownFlag = await infer(['batch', 'list', '--bogus']);
    const noKey = await infer(['models'], '');
    expect(listed.code).toBe(3);
    expect(listed.stderr).toContain('403 (insufficient_permissions)');
    expect(usage.code).toBe(3);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("Unknown option '--bogus'");
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('No API key');
  }, 60_000);

  it('batch submit --wait on a 20,000-line file: the progress moves through several values to 20000/20000, results land next to the file', async () => {
    // Prepare: small vectors keep the 20,000 results a few MB (still more than one response carries).
    await setSimulator({ dimensions: 8 });
    const file = join(dir, 'embed-20k.jsonl');
    const lines = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ custom_id: `e-${i}`, method: 'POST', url: '/v1/embeddings', body: { model: 'bge-m3', input: `text ${i}` } }),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
    // Act
    const run = await infer(['batch', 'submit', file, '--wait', '--interval', '250', '--json'], platform.apiKey);
    // Assess
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout) as { batch: OpenAI.Batches.Batch; files: { results?: string; errors?: string } };
    expect(answer.batch.status).toBe('completed');
    expect(answer.batch.request_counts).toEqual({ total: 20_000, completed: 20_000, failed: 0 });
    const progress = [...run.stderr.matchAll(/([\d,]+)\/20,000 lines/g)].map((match) => Number(match[1]!.replaceAll(',', '')));
    expect(new Set(progress).size).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(20_000);
    expect(run.stderr).toMatch(/\[#{24}\] 20,000\/20,000 lines {2}[\d,]+ lines\/s {2}0 errors {2}completed/);
    expect(answer.files.results).toBe(join(dir, 'embed-20k.results.jsonl'));
    const results = parseJsonl(await readFile(answer.files.results!, 'utf8'));
    expect(results).toHaveLength(20_000);
    expect(new Set(results.map((line) => line.custom_id)).size).toBe(20_000);
  }, 300_000);

  it('batch cancel stops a running batch; batch get and list show it, --json parses', async () => {
    // Prepare: a slow backend and 16 chunks, so most are still queued when the cancel lands.
    await setSimulator({ addedLatencyMs: 300 });
    try {
      const file = join(dir, 'to-cancel.jsonl');
      const lines = Array.from({ length: 4_000 }, (_, i) =>
        JSON.stringify({
          custom_id: `c-${i}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: `q ${i}` }] },
        }),
      );
      await writeFile(file, `${lines.join('\n')}\n`);
      const submitted = json<OpenAI.Batches.Batch>(await infer(['batch', 'submit', file, '--json'], platform.apiKey));
      const client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
      await waitFor(
        () => client.batches.retrieve(submitted.id),
        (batch) => (batch.request_counts?.completed ?? 0) > 0,
      );
      // Act
      const cancelled = json<OpenAI.Batches.Batch>(await infer(['batch', 'cancel', submitted.id, '--json'], platform.apiKey));
      const followed = await infer(['batch', 'get', submitted.id, '--wait', '--interval', '250', '--json'], platform.apiKey);
      const listed = json<{ data: OpenAI.Batches.Batch[] }>(await infer(['batch', 'list', '--json'], platform.apiKey));
      const results = await infer(['batch', 'results', submitted.id, '--out', dir], platform.apiKey);
      // Assess
      expect(submitted.id).toMatch(/^batch_/);
      expect(['cancelling', 'cancelled']).toContain(cancelled.status);
      const final = json<OpenAI.Batches.Batch>(followed);
      expect(final.status).toBe('cancelled');
      expect(final.request_counts!.completed + final.request_counts!.failed).toBe(4_000);
      expect(final.request_counts!.failed).toBeGreaterThan(0);
      expect(listed.data.find((batch) => batch.id === submitted.id)?.status).toBe('cancelled');
      expect(results.code).toBe(0);
      const errors = parseJsonl(await readFile(join(dir, `${submitted.id}.errors.jsonl`), 'utf8'));
      expect(errors.length).toBe(final.request_counts!.failed);
      expect(errors.some((line) => line.error?.code === 'batch_cancelled' || line.response?.body?.error?.code === 'batch_cancelled')).toBe(
        true,
      );
    } finally {
      await setSimulator({ addedLatencyMs: 0 });
    }
  }, 180_000);

  it('usage after some traffic: requests and tokens per tenant and model, exact', async () => {
    // Prepare: a tenant of its own, so no other test's traffic counts.
    const key = (await infer(['keys', 'create', '--tenant', 'cli-usage'])).stdout.trim();
    const chats = await Promise.all([1, 2, 3].map((i) => infer(['chat', `count me ${i}`, '--json'], key)));
    const embedded = json<OpenAI.Embeddings.CreateEmbeddingResponse>(
      await infer(['embed', 'count me too', '--model', 'bge-m3', '--json'], key),
    );
    const file = join(dir, 'usage.jsonl');
    const lines = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({
        custom_id: `u-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-oss-120b', messages: [{ role: 'user', content: `u ${i}` }] },
      }),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
    const batch = json<{ batch: OpenAI.Batches.Batch }>(await infer(['batch', 'submit', file, '--wait', '--json', '--quiet'], key)).batch;
    // An asynchronous request: answered through the requests queue.
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const queued = (await (
      await fetch(`${platform.api}/v1/requests`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: '/v1/embeddings', body: { model: 'titan-embed-text-v2', input: 'queued text' } }),
      })
    ).json()) as { id: string };
    const answered = await waitFor(
      async () =>
        (await (await fetch(`${platform.api}/v1/requests/${queued.id}`, { headers })).json()) as {
          status: string;
          result?: { usage: { prompt_tokens: number } };
        },
      (request) => request.status === 'completed' || request.status === 'failed',
    );
    // Act
    const report = json<{
      data: { tenant: string; model: string; requests: number; input_tokens: number; output_tokens: number }[];
      totals: { requests: number };
    }>(await infer(['usage', '--tenant', 'cli-usage', '--json']));
    const table = await infer(['usage', '--tenant', 'cli-usage']);
    // Assess
    const completions = chats.map((run) => json<OpenAI.Chat.Completions.ChatCompletion>(run));
    const rows = Object.fromEntries(report.data.map((row) => [row.model, row]));
    expect(rows['gpt-oss-20b']).toMatchObject({
      tenant: 'cli-usage',
      requests: 3,
      input_tokens: completions.reduce((sum, c) => sum + c.usage!.prompt_tokens, 0),
      output_tokens: completions.reduce((sum, c) => sum + c.usage!.completion_tokens, 0),
    });
    expect(rows['bge-m3']).toMatchObject({ requests: 1, input_tokens: embedded.usage.prompt_tokens, output_tokens: 0 });
    expect(rows['gpt-oss-120b']).toMatchObject({
      requests: 10,
      input_tokens: batch.usage!.input_tokens,
      output_tokens: batch.usage!.output_tokens,
    });
    expect(answered.status).toBe('completed');
    expect(rows['titan-embed-text-v2']).toMatchObject({
      requests: 1,
      input_tokens: answered.result!.usage.prompt_tokens,
      output_tokens: 0,
    });
    expect(report.totals.requests).toBe(15);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/total\s+15\s/);
  }, 180_000);
});
