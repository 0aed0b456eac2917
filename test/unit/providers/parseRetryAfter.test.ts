import { parseRetryAfter } from '../../../shared/providers/parseRetryAfter';

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    // Act
    const ms = parseRetryAfter('5');

    // Assess
    expect(ms).toBe(5_000);
  });

  it('reads an HTTP date relative to now', () => {
    // Prepare
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

    // Act
    const ms = parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now);

    // Assess
    expect(ms).toBe(30_000);
  });

  it('never asks for a negative wait for a date in the past', () => {
    // Act
    const ms = parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'));

    // Assess
    expect(ms).toBe(0);
  });

  it.each([undefined, null, '', 'soon'])('gives undefined for %p', (value) => {
    // Act
    const ms = parseRetryAfter(value);

    // Assess
    expect(ms).toBeUndefined();
  });
});
