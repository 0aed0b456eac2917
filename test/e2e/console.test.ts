import { copyFileSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropFile, localS3Client, openAiBatchFile } from '../helpers/batchFiles';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';

/**
 * The status page in headless Chromium (Debian's `chromium`, driven by playwright-core,
 * which downloads no browser): the page of the local platform, a key entered, a running
 * job's progress bar advancing and then complete. `npm test` installs Chromium first
 * where it is missing (scripts/ensure-chromium.sh); without it this test fails.
 *
 * `CONSOLE_SCREENSHOT=<path>` also writes the final screenshot there
 * (`npm run screenshot:console` refreshes docs/console.png).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LINES = 2_000;
/** A key with markup in it: the page must show it as text. */
const KEY = 'inbox/local/demo-<img>-<script>.jsonl';

/** What the test reads of an element in the page (this project's types have no DOM). */
interface CardElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): CardElement | null;
}

describe('the status page in headless Chromium', () => {
  let platform: LocalPlatformProcess;
  let s3: S3Client;
  let browser: Browser;
  let page: Page;
  const outDir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: run scripts/ensure-chromium.sh (apt-get install -y chromium) or set CHROMIUM_PATH.`);
    }
    // Chunks of 100 lines, one at a time, each call slowed: the job runs for several seconds.
    platform = await startLocalPlatformProcess({ CHUNK_MAX_LINES: '100', LOCAL_SQS_CONCURRENCY: '1' });
    s3 = localS3Client(platform.s3);
    await simulator({ addedLatencyMs: 250 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    // Any CSP violation or script error is a failure of the page.
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  const simulator = (patch: unknown) =>
    fetch(`${platform.simulator}/_sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${platform.api}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json', ...init.headers },
    });

  /** The job card's progress bar and state, as the page shows them now (read in one go, in the page). */
  const jobCard = (batchId: string) =>
    page.locator(`article.job[data-batch-id="${batchId}"]`).evaluateAll((cards: CardElement[]) => {
      const bar = cards[0]?.querySelector('progress');
      return bar
        ? { status: cards[0]!.getAttribute('data-status'), value: Number(bar.getAttribute('value')), max: Number(bar.getAttribute('max')) }
        : null;
    });

  it('refuses a wrong key, then with the right one shows a job advancing to completed, its errors by code, requests and backends', async () => {
    // Prepare: two async requests, and the page open before the job starts.
    for (const content of ['Say hello.', 'Say goodbye.']) {
      const created = await api('/v1/requests', {
        method: 'POST',
        body: JSON.stringify({ url: '/v1/chat/completions', body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content }] } }),
      });
      expect(created.status).toBe(202);
    }
    await page.goto(`${platform.api}/console?interval=400`);
    await page.fill('#api-key', 'sk-wrong');
    await page.click('button[type=submit]');
    // (Playwright's string predicates are eval, which the page's CSP refuses: selectors instead.)
    await page.waitForSelector('#status-line:has-text("refused")');
    expect(await page.isVisible('#api-key')).toBe(true);
    await page.fill('#api-key', platform.apiKey);
    await page.click('button[type=submit]');
    await page.waitForSelector('#jobs .empty');

    // Act: a job of 2,000 lines with 6 broken ones (two codes).
    const broken = new Map<number, string>([
      ...[5, 500, 1500].map((n): [number, string] => [n, '{"custom_id": "broken-json"']),
      ...[50, 900, 1999].map((n): [number, string] => [
        n,
        JSON.stringify({
          custom_id: `bad-model-${n}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] },
        }),
      ]),
    ]);
    await dropFile(s3, platform.bucket, KEY, openAiBatchFile(LINES, broken).text);
    const card = await page.waitForSelector('article.job', { timeout: 60_000 });
    const batchId = (await card.getAttribute('data-batch-id'))!;
    const seen: number[] = [];
    const deadline = Date.now() + 180_000;
    let last = await jobCard(batchId);
    while (last?.status !== 'completed') {
      if (Date.now() > deadline) throw new Error(`The page never showed ${batchId} completed; last: ${JSON.stringify(last)}`);
      if (last && last.value > 0 && last.value !== seen.at(-1)) seen.push(last.value);
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await jobCard(batchId);
    }
    await page.screenshot({ path: join(outDir, 'console-running.png'), fullPage: true }).catch(() => undefined);

    // Assess: the bar moved through at least two distinct values below the total, only upwards, then full.
    const partial = seen.filter((value) => value < LINES);
    expect(partial.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(last).toEqual({ status: 'completed', value: LINES, max: LINES });
    // Its counts, throughput chart and errors by code.
    const jobText = await page.textContent(`article.job[data-batch-id="${batchId}"]`);
    expect(jobText).toContain(`${LINES.toLocaleString('en-US')} of ${LINES.toLocaleString('en-US')} lines`);
    expect(await page.getAttribute(`article.job[data-batch-id="${batchId}"] svg polyline`, 'points')).toMatch(
      /^[\d.]+,[\d.]+( [\d.]+,[\d.]+)+$/,
    );
    expect(await page.textContent(`article.job[data-batch-id="${batchId}"] li[data-code="invalid_json"]`)).toContain('× 3');
    expect(await page.textContent(`article.job[data-batch-id="${batchId}"] li[data-code="model_not_found"]`)).toContain('× 3');
    // The object key's markup is shown as text, never parsed.
    expect(await page.textContent(`article.job[data-batch-id="${batchId}"] .source`)).toBe(KEY);
    expect(await page.$$(`article.job[data-batch-id="${batchId}"] .source img, article.job .source script`)).toHaveLength(0);
    // The async requests and the backends of each model, by name.
    await page.waitForSelector('#requests tr[data-request-id] >> nth=1');
    expect(await page.locator('#requests tr[data-request-id]').count()).toBe(2);
    expect(await page.textContent('#models tr[data-model="gpt-oss-20b"] [data-backend="gpu-pool"]')).toBe('gpu-pool: up');
    expect(await page.textContent('#models tr[data-model="gpt-oss-20b"] [data-backend="bedrock"]')).toBe('bedrock: unprobed');
    expect(problems).toEqual([]);

    // The screenshot, in this test's temp folder (and where CONSOLE_SCREENSHOT names).
    const shot = join(outDir, 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    if (process.env.CONSOLE_SCREENSHOT) copyFileSync(shot, process.env.CONSOLE_SCREENSHOT);
  }, 300_000);
});
