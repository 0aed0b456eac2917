import { formatDuration, ProgressMeter, renderProgress } from '../../../shared/cli/ProgressMeter';
import { normaliseBaseUrl, resolveSettings } from '../../../shared/cli/settings';
import { exitCodeOf } from '../../../shared/cli/CliError';

describe('the CLI progress line', () => {
  it('computes lines per second over the window and an ETA from it', () => {
    // Prepare
    const meter = new ProgressMeter(10_000);
    // Act
    meter.add({ done: 0, total: 1_000, errors: 0, status: 'in_progress', at: 0 });
    const view = meter.add({ done: 200, total: 1_000, errors: 2, status: 'in_progress', at: 2_000 });
    // Assess
    expect(view.rate).toBe(100);
    expect(view.etaSeconds).toBe(8);
    expect(renderProgress(view, 10)).toBe('[##--------] 200/1,000 lines  100 lines/s  2 errors  ETA 8s  in_progress');
  });

  it('never shows progress going back (an advisory count that dips), nor past the total', () => {
    const meter = new ProgressMeter();
    meter.add({ done: 500, total: 1_000, errors: 0, status: 'in_progress', at: 0 });
    expect(meter.add({ done: 450, total: 1_000, errors: 0, status: 'in_progress', at: 1_000 }).done).toBe(500);
    expect(meter.add({ done: 1_200, total: 1_000, errors: 0, status: 'in_progress', at: 2_000 }).done).toBe(1_000);
  });

  it('shows an unknown total and rate before the batch is validated, and no ETA once it has ended', () => {
    const meter = new ProgressMeter();
    expect(renderProgress(meter.add({ done: 0, total: 0, errors: 0, status: 'validating', at: 0 }), 4)).toBe(
      '[----] 0/? lines  - lines/s  0 errors  validating',
    );
    expect(renderProgress(meter.add({ done: 10, total: 10, errors: 1, status: 'completed', at: 1_000 }), 4)).toBe(
      '[####] 10/10 lines  10 lines/s  1 error  completed',
    );
  });

  it('formats durations', () => {
    expect(formatDuration(7.2)).toBe('8s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3_720)).toBe('1h02m');
  });
});

describe('CLI settings and exit codes', () => {
  it('takes the flags first, then the environment; the base URL always ends in /v1', () => {
    const env = { INFER_BASE_URL: 'http://env:3000', INFER_API_KEY: 'sk-env', INFER_CONFIG: '/nonexistent/infer.json' };
    expect(() => resolveSettings({}, env)).toThrow('Cannot read the config file');
    const noFile = { ...env, INFER_CONFIG: '', XDG_CONFIG_HOME: '/nonexistent' };
    expect(resolveSettings({}, noFile)).toEqual({ baseUrl: 'http://env:3000/v1', apiKey: 'sk-env' });
    expect(resolveSettings({ 'base-url': 'https://api.example.com/v1/', 'api-key': 'sk-flag' }, noFile)).toEqual({
      baseUrl: 'https://api.example.com/v1',
      apiKey: 'sk-flag',
    });
    expect(() => resolveSettings({}, { XDG_CONFIG_HOME: '/nonexistent' })).toThrow('No API key');
    expect(normaliseBaseUrl('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000/v1');
    expect(() => normaliseBaseUrl('not a url')).toThrow('is not a URL');
  });

  it('maps HTTP statuses to exit codes', () => {
    expect([401, 403, 404, 400, 413, 429, 500, 503].map(exitCodeOf)).toEqual([3, 3, 4, 5, 5, 6, 6, 6]);
  });
});
