import {
  BatchInputError,
  eventCreationTime,
  failedRecordPicker,
  generatedRecordId,
  manifestKeyFor,
  manifestOf,
  outputKeyFor,
  outputLine,
  parseBatchInput,
  parseS3Uri,
  type RecordResult,
  tokensOf,
} from '../../../../shared/devTools/gpuSimulator/bedrockBatchRecords';
import { DEFAULT_SIMULATOR_CONFIG, SimulatorConfigError, applyConfigPatch } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

describe('Bedrock batch records', () => {
  it('reads JSONL records, skips blank lines and gives a record without recordId a stable 11-character id', () => {
    // Prepare
    const text = '{"recordId":"a1","modelInput":{"inputText":"x"}}\n\n{"modelInput":{"inputText":"y"}}\n';

    // Act
    const records = parseBatchInput('in/file.jsonl', text);

    // Assess
    expect(records[0]).toEqual({ recordId: 'a1', modelInput: { inputText: 'x' } });
    expect(records[1]?.recordId).toMatch(/^[0-9A-Z]{11}$/);
    expect(records[1]?.recordId).toBe(generatedRecordId('in/file.jsonl', 3));
    expect(records).toHaveLength(2);
  });

  it.each([
    ['not JSON', 'nope', /line 1 is not valid JSON/],
    ['no modelInput', '{"recordId":"a"}', /line 1 has no modelInput object/],
    ['an array modelInput', '{"modelInput":[1]}', /no modelInput object/],
    ['a numeric recordId', '{"recordId":5,"modelInput":{}}', /recordId must be a string/],
  ])('refuses a line with %s', (_case, line, message) => {
    // Prepare / Act
    const read = () => parseBatchInput('f.jsonl', line);

    // Assess
    expect(read).toThrow(BatchInputError);
    expect(read).toThrow(message);
  });

  it('counts tokens from OpenAI chat usage, Converse usage and Titan embeddings', () => {
    // Prepare / Act / Assess
    expect(tokensOf({ usage: { prompt_tokens: 12, completion_tokens: 7 } })).toEqual({ inputTokens: 12, outputTokens: 7 });
    expect(tokensOf({ usage: { inputTokens: 3, outputTokens: 4 } })).toEqual({ inputTokens: 3, outputTokens: 4 });
    expect(tokensOf({ embedding: [0.1], inputTextTokenCount: 9 })).toEqual({ inputTokens: 9, outputTokens: 0 });
    expect(tokensOf(undefined)).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('writes an output line with modelOutput, or with error in its place, and a manifest of the six documented fields', () => {
    // Prepare
    const ok: RecordResult = { recordId: 'r1', modelInput: { a: 1 }, modelOutput: { b: 2 }, inputTokens: 10, outputTokens: 5 };
    const failed: RecordResult = { recordId: 'r2', modelInput: { a: 2 }, error: { errorCode: 429, errorMessage: 'slow down' } };

    // Act
    const lines = [ok, failed].map((result) => JSON.parse(outputLine(result)) as unknown);
    const manifest = manifestOf(5, [ok, failed]);

    // Assess
    expect(lines).toEqual([
      { recordId: 'r1', modelInput: { a: 1 }, modelOutput: { b: 2 } },
      { recordId: 'r2', modelInput: { a: 2 }, error: { errorCode: 429, errorMessage: 'slow down' } },
    ]);
    expect(manifest).toEqual({
      totalRecordCount: 5,
      processedRecordCount: 2,
      successRecordCount: 1,
      errorRecordCount: 1,
      inputTokenCount: 10,
      outputTokenCount: 5,
    });
  });

  it('places the output under <prefix>/<jobId>/, with or without a trailing slash or a prefix at all', () => {
    // Prepare / Act / Assess
    expect(outputKeyFor('batch/out/', 'abc123def456', 'batch/in/part-1.jsonl')).toBe('batch/out/abc123def456/part-1.jsonl.out');
    expect(outputKeyFor('batch/out', 'abc123def456', 'x.jsonl')).toBe('batch/out/abc123def456/x.jsonl.out');
    expect(manifestKeyFor('', 'abc123def456')).toBe('abc123def456/manifest.json.out');
    expect(parseS3Uri('s3://bucket/a/b.jsonl')).toEqual({ bucket: 'bucket', key: 'a/b.jsonl' });
    expect(parseS3Uri('s3://bucket')).toEqual({ bucket: 'bucket', key: '' });
    expect(parseS3Uri('https://bucket/a')).toBeNull();
  });

  it('picks failed records reproducibly from the seed and the job id, at about the rate', () => {
    // Prepare
    const draws = (seed: number, job: string, rate: number) => {
      const pick = failedRecordPicker(seed, job, rate);
      return Array.from({ length: 1000 }, () => pick());
    };

    // Act
    const first = draws(42, 'job1', 0.2);
    const again = draws(42, 'job1', 0.2);
    const other = draws(42, 'job2', 0.2);

    // Assess
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(150);
    expect(first.filter(Boolean).length).toBeLessThan(250);
    expect(draws(1, 'j', 0).some(Boolean)).toBe(false);
    expect(draws(1, 'j', 1).every(Boolean)).toBe(true);
  });

  it('writes the event creationTime as Bedrock does, in UTC', () => {
    // Prepare / Act / Assess
    expect(eventCreationTime(new Date('2024-08-28T22:47:53Z'))).toBe('Aug 28, 2024, 10:47:53 PM');
    expect(eventCreationTime(new Date('2024-01-05T09:03:00Z'))).toBe('Jan 5, 2024, 9:03:00 AM');
  });

  it('merges bedrockBatch knobs key by key and refuses a bad one by name', () => {
    // Prepare / Act
    const patched = applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, { bedrockBatch: { failedRecordRate: 0.5 } });
    const bad = () => applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, { bedrockBatch: { jobOutcome: 'exploded' } });

    // Assess
    expect(patched.bedrockBatch).toMatchObject({ failedRecordRate: 0.5, minRecordsPerJob: 100, dropEvents: [] });
    expect(DEFAULT_SIMULATOR_CONFIG.bedrockBatch.failedRecordRate).toBe(0);
    expect(bad).toThrow(SimulatorConfigError);
    expect(bad).toThrow(/bedrockBatch\.jobOutcome/);
  });
});
