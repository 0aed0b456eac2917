import { escapeForSqs, isSqsText, toSqsJson } from '../../../shared/sqsEvents/sqsText';

describe('toSqsJson', () => {
  it('escapes U+FFFE and U+FFFF, keeps emoji and other text as they are, and JSON.parse gives the value back', () => {
    // Prepare
    const value = { prompt: 'a\uFFFEb\uFFFFc \u{1F600} é 漢', key: 'inbox/acme/\uFFFF.jsonl', lone: 'x\uD800y', control: '\u0001\u000B' };

    // Act
    const body = toSqsJson(value);

    // Assess
    expect(isSqsText(body)).toBe(true);
    expect(body).toContain('a\\uFFFEb\\uFFFFc \u{1F600} é 漢');
    expect(JSON.parse(body)).toEqual(value);
  });

  it('leaves a body SQS can carry exactly as JSON.stringify wrote it', () => {
    // Prepare
    const value = { text: 'plain \t\n \u{1F600} \uFFFD' };

    // Act
    const body = toSqsJson(value);

    // Assess
    expect(body).toBe(JSON.stringify(value));
  });
});

describe('isSqsText', () => {
  it.each([
    ['\t\n\r', true],
    [' ~', true],
    ['\uD7FF', true],
    ['\uE000', true],
    ['\uFFFD', true],
    ['\u{10000}', true],
    ['\u{1F600}', true],
    ['\u{10FFFF}', true],
    ['\u0000', false],
    ['\u001F', false],
    ['\uFFFE', false],
    ['\uFFFF', false],
    ['\uD800', false],
    ['\uDC00', false],
  ])('%j → %s', (text, expected) => {
    expect(isSqsText(text)).toBe(expected);
  });
});

describe('escapeForSqs', () => {
  it('is idempotent: an escaped body is left as it is', () => {
    // Prepare
    const once = escapeForSqs(JSON.stringify({ a: '\uFFFF' }));

    // Act
    const twice = escapeForSqs(once);

    // Assess
    expect(twice).toBe(once);
  });
});
