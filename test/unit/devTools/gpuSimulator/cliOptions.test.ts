import { parseSimulatorArgs } from '../../../../shared/devTools/gpuSimulator/cliOptions';
import { DEFAULT_SIMULATOR_CONFIG, applyConfigPatch } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

describe('parseSimulatorArgs', () => {
  it('defaults the port to 8100 and reads SIM_PORT', () => {
    // Prepare / Act
    const plain = parseSimulatorArgs([]);
    const fromEnv = parseSimulatorArgs([], { SIM_PORT: '9000' });

    // Assess
    expect(plain.port).toBe(8100);
    expect(fromEnv.port).toBe(9000);
  });

  it('maps latency flags, face-wide and per-face fault flags, and lets a flag beat the environment', () => {
    // Prepare
    const argv = ['--pass-ms', '20', '--slots', '2', '--error-rate', '0.1', '--bedrock-error-rate', '1', '--models', 'a, b', '--seed', '5'];

    // Act
    const options = parseSimulatorArgs(argv, { SIM_PASS_MS: '99', SIM_THROTTLE_RATE: '0.5' });

    // Assess
    expect(options).toMatchObject({
      passMs: 20,
      slots: 2,
      seed: 5,
      models: ['a', 'b'],
      openai: { errorRate: 0.1, throttleRate: 0.5 },
      bedrock: { errorRate: 1, throttleRate: 0.5 },
    });
  });

  it('maps the Bedrock batch flags under bedrockBatch, and the S3 and EventBridge endpoints, from flags or SIM_*', () => {
    // Prepare
    const argv = ['--s3-endpoint', 'http://127.0.0.1:4569', '--batch-min-records', '10', '--batch-job-outcome', 'failed'];
    const env = {
      SIM_EVENTS_ENDPOINT: 'http://127.0.0.1:4010',
      SIM_BATCH_DROP_EVENTS: 'Completed, Failed',
      SIM_BATCH_FAILED_RECORD_RATE: '0.25',
    };

    // Act
    const { help, port, ...options } = parseSimulatorArgs(argv, env);
    const { s3Endpoint, eventsEndpoint, region, ...patch } = options;

    // Assess
    expect(options).toMatchObject({
      s3Endpoint: 'http://127.0.0.1:4569',
      eventsEndpoint: 'http://127.0.0.1:4010',
      bedrockBatch: { minRecordsPerJob: 10, jobOutcome: 'failed', dropEvents: ['Completed', 'Failed'], failedRecordRate: 0.25 },
    });
    expect(region).toBeUndefined();
    expect(applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, patch).bedrockBatch).toMatchObject({
      minRecordsPerJob: 10,
      maxRecordsPerJob: 50_000,
    });
  });

  it('rejects an unknown flag, and leaves a bad number to the schema', () => {
    // Prepare / Act
    const unknown = (): unknown => parseSimulatorArgs(['--nope', '1']);
    const { help, port, ...patch } = parseSimulatorArgs(['--slots', 'many']);

    // Assess
    expect(unknown).toThrow(/nope/);
    expect(help).toBe(false);
    expect(port).toBe(8100);
    expect(() => applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, patch)).toThrow(/slots/);
  });

  it('maps --tokens-per-second and the per-face --mid-stream-error-rate and --mid-stream-error-kind', () => {
    // Act
    const options = parseSimulatorArgs(
      ['--tokens-per-second', '40', '--openai-mid-stream-error-rate', '0.2', '--bedrock-mid-stream-error-kind', 'throttled'],
      {
        SIM_MID_STREAM_ERROR_RATE: '0.1',
      },
    );

    // Assess
    expect(options).toMatchObject({
      tokensPerSecond: 40,
      openai: { midStreamErrorRate: 0.2 },
      bedrock: { midStreamErrorRate: 0.1, midStreamErrorKind: 'throttled' },
    });
    expect(() => applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, { openai: { midStreamErrorKind: 'boom' } })).toThrow(/midStreamErrorKind/);
    expect(() => applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, { tokensPerSecond: -1 })).toThrow(/tokensPerSecond/);
  });
});
