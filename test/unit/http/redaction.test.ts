import { logger } from '../../../shared/observability/logger';
import { REDACTED, redactSecrets, redactText } from '../../../shared/observability/redaction';

/** What the logger writes while `act` runs, at INFO and above. */
function captureLogs(act: () => void): string {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  try {
    act();
  } finally {
    logger.setLogLevel(level);
    spy.mockRestore();
  }
  return written.join('');
}

describe('secrets never reach a log line', () => {
  it('redacts a bearer key and an api_key query parameter in any text, keeping the rest', () => {
    expect(redactText('GET /v1/models?api_key=sk-abc123&limit=2')).toBe(`GET /v1/models?api_key=${REDACTED}&limit=2`);
    expect(redactText('Authorization: Bearer sk-abc123')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText('/v1/files?after=file_1')).toBe('/v1/files?after=file_1');
  });

  it('the one logger replaces secret-named attributes whole and redacts keys inside messages and nested values', () => {
    // Act
    const output = captureLogs(() => {
      logger.info('request with GET /v1/models?api_key=sk-in-message', {
        headers: { Authorization: 'Bearer sk-in-header', 'content-type': 'application/json' },
        api_key: 'sk-in-attribute',
        url: '/v1/models?limit=1&API_KEY=sk-in-url',
        error: new Error('upstream refused Bearer sk-in-error'),
      });
    });

    // Assess
    expect(output).toContain('"content-type":"application/json"');
    expect(output).toContain(REDACTED);
    expect(output).not.toMatch(/sk-in-/);
  });

  it('is a JSON replacer that leaves other values alone', () => {
    expect(JSON.parse(JSON.stringify({ model: 'gpt-oss-20b', n: 3, authorization: 'Basic dXNlcjpwYXNz' }, redactSecrets))).toEqual({
      model: 'gpt-oss-20b',
      n: 3,
      authorization: REDACTED,
    });
  });
});
