import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import OpenAI from 'openai';
import { batchRequestId } from '../../shared/batchJobs/lines/lineFormats';
import { INGEST_FAILURE_CODES, LINE_ERROR_CODES } from '../../shared/batchJobs/lines/constants';
import type { BatchOutputLine } from '../../shared/domain/outputLines';
import { localS3Client, parseJsonl, readObject } from '../helpers/batchFiles';
import { waitFor } from '../helpers/waitFor';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { includes, jsonlInput, loadJsonlCases, readmeErrorsSection, type JsonlCase, type JsonlExpectation } from './corpusFixtures';
import { makePipeline, PIPELINE_TENANT, type PipelineOutcome } from './jsonlPipeline';
import { failureOfLine } from '../../shared/domain/outputLines';

/**
 * The JSONL half of the bad-input corpus: every case under `test/corpus/jsonl/` is
 * dropped as a file and run through ingest, the worker (a real batching core) and
 * finalize. Each bad line must end in the errors file naming its line and code, every
 * good line of the same file in the results, every line in exactly one of the two; a
 * file refused whole fails its job with a reason. A good file dropped after it must
 * still complete. Cases marked `local` are also dropped into the running local platform.
 */
const cases = loadJsonlCases();

const FOLLOW_UP = ['f1', 'f2']
  .map((id) =>
    JSON.stringify({
      custom_id: id,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-oss-20b', messages: [{ role: 'user', content: `Follow-up ${id}` }] },
    }),
  )
  .join('\n');

const INGEST_CODES: readonly string[] = LINE_ERROR_CODES;

/** The job's outcome against the fixture's expectation. */
function assessOutcome(
  jobId: string,
  outcome: {
    status: string;
    counts?: unknown;
    failure?: { code: string; line?: number | null; message: string };
    results: BatchOutputLine[];
    errors: BatchOutputLine[];
  },
  expected: JsonlExpectation,
): void {
  expect(outcome.status).toBe(expected.status);
  if (expected.counts) expect(outcome.counts).toEqual(expected.counts);
  if (expected.failure) {
    expect({ code: outcome.failure?.code, line: outcome.failure?.line ?? undefined }).toEqual({
      code: expected.failure.code,
      line: expected.failure.line,
    });
    for (const part of includes(expected.failure.messageIncludes)) expect(outcome.failure!.message).toContain(part);
  }
  if (expected.results) {
    expect(outcome.results.map((line) => line.custom_id)).toEqual(expected.results);
    expect(outcome.results.every((line) => line.error === null && line.response?.status_code === 200)).toBe(true);
  }
  if (expected.errors) {
    // Each refused line is named three ways: its batch_req id (derived from the line number), its message and its code.
    expect(outcome.errors.map((line) => ({ id: line.id, code: failureOfLine(line)?.code }))).toEqual(
      expected.errors.map((error) => ({ id: batchRequestId(jobId, error.line), code: error.code })),
    );
    for (const [index, error] of expected.errors.entries()) {
      const line = outcome.errors[index]!;
      // A line that is no request has only `error`; a request the API refuses is a 4xx response.
      const failure = failureOfLine(line)!;
      if (line.response) expect(line.response.status_code).toBeGreaterThanOrEqual(400);
      else expect(line.error).toEqual(failure);
      if (INGEST_CODES.includes(error.code)) expect(failure.message).toMatch(new RegExp(`^Line ${error.line}: `));
      if (error.customId !== undefined) expect(line.custom_id).toBe(error.customId);
      for (const part of includes(error.messageIncludes)) expect(failure.message).toContain(part);
    }
  }
}

describe('JSONL bad-input corpus, through ingest, the worker and finalize', () => {
  it('holds at least 20 JSONL cases, each with an expected status', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(cases.every((testCase) => ['completed', 'failed'].includes(testCase.expect.status) && testCase.description.length > 0)).toBe(
      true,
    );
  });

  it("lists every line code, every whole-file failure code and every code the corpus expects in README's Errors section", () => {
    // Prepare
    const section = readmeErrorsSection();
    const expected = cases.flatMap((testCase) => [
      ...(testCase.expect.errors ?? []).map((error) => error.code),
      ...(testCase.expect.failure ? [testCase.expect.failure.code] : []),
    ]);
    // Act
    const missing = [...new Set([...LINE_ERROR_CODES, ...INGEST_FAILURE_CODES, 'batch_cancelled', 'batch_expired', ...expected])].filter(
      (code) => !section.includes(`\`${code}\``),
    );
    // Assess
    expect(missing).toEqual([]);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (name, testCase: JsonlCase) => {
    // Prepare
    const pipeline = makePipeline(testCase.limits);
    const body = jsonlInput(testCase);
    const key = testCase.key ?? `inbox/${PIPELINE_TENANT}/${name}.jsonl`;

    // Act
    const outcome: PipelineOutcome = await pipeline.run(key, body, { metadata: testCase.metadata, contentType: testCase.contentType });
    const followUp = await pipeline.run(`inbox/${PIPELINE_TENANT}/follow-up-${name}.jsonl`, Buffer.from(FOLLOW_UP));

    // Assess: the clear outcome, line by line.
    const { job } = outcome;
    assessOutcome(
      job.id,
      { status: job.status, counts: job.requestCounts, failure: job.failure, results: outcome.results, errors: outcome.errors },
      testCase.expect,
    );
    if (job.status === 'completed') {
      // Nothing lost, nothing twice: every non-blank line is in exactly one of the two files.
      const ids = [...outcome.results, ...outcome.errors].map((line) => line.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(job.requestCounts.total);
      expect(outcome.results.length).toBe(job.requestCounts.completed);
      expect(outcome.errors.length).toBe(job.requestCounts.failed);
    }
    // Assess: the pipeline still runs the next file.
    expect({ status: followUp.job.status, results: followUp.results.map((line) => line.custom_id) }).toEqual({
      status: 'completed',
      results: ['f1', 'f2'],
    });
  });
});

describe('JSONL bad-input corpus, dropped into the local platform', () => {
  const localCases = cases.filter((testCase) => testCase.local);
  let platform: LocalPlatformProcess;
  let client: OpenAI;
  let s3: S3Client;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    s3 = localS3Client(platform.s3);
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('marks at least 4 cases to run here', () => {
    expect(localCases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(localCases.map((testCase) => [testCase.name, testCase] as const))(
    '%s',
    async (name, testCase: JsonlCase) => {
      // Prepare
      const key = `inbox/local/${name}${testCase.key?.endsWith('.gz') ? '.jsonl.gz' : '.jsonl'}`;

      // Act
      await s3.send(
        new PutObjectCommand({
          Bucket: platform.bucket,
          Key: key,
          Body: jsonlInput(testCase),
          ContentType: testCase.contentType ?? 'application/jsonl',
          Metadata: testCase.metadata,
        }),
      );
      const created = await waitFor(
        async () => (await client.batches.list({ limit: 100 })).data.find((batch) => batch.metadata?.source_key === key),
        (batch) => batch !== undefined,
      );
      const batch = await waitFor(
        () => client.batches.retrieve(created!.id),
        (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status),
      );

      // Assess
      const read = async (file: string) =>
        batch.status === 'completed'
          ? parseJsonl<BatchOutputLine>(await readObject(s3, platform.bucket, `outputs/${batch.id}/${file}`))
          : [];
      const failure = batch.errors?.data?.[0];
      assessOutcome(
        batch.id,
        {
          status: batch.status,
          counts: batch.status === 'completed' ? batch.request_counts : undefined,
          failure: failure ? { code: failure.code!, line: failure.line, message: failure.message! } : undefined,
          results: await read('results.jsonl'),
          errors: await read('errors.jsonl'),
        },
        { ...testCase.expect, ...(batch.status === 'completed' ? {} : { counts: undefined }) },
      );
    },
    120_000,
  );
});
