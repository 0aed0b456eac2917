import { CustomIdSet } from '../../../../shared/batchJobs/ingest/CustomIdSet';

describe('CustomIdSet', () => {
  it('answers the first line of an id seen before, and nothing for a new one, across growth', () => {
    // Prepare
    const set = new CustomIdSet();
    // Act
    const firsts = Array.from({ length: 50_000 }, (_, n) => set.firstLineOf(`request-${n}`, n + 1));
    const again = [
      set.firstLineOf('request-0', 60_001),
      set.firstLineOf('request-49999', 60_002),
      set.firstLineOf('request-50000', 60_003),
    ];
    // Assess
    expect(firsts.every((first) => first === undefined)).toBe(true);
    expect(again).toEqual([1, 50_000, undefined]);
    expect(set.size).toBe(50_001);
  });

  it('tells apart 200,000 distinct ids (no 64-bit hash shared) in 12 bytes each at its load', () => {
    // Prepare
    const set = new CustomIdSet();
    set.reserve(200_000);
    const bytes = set.bytes;
    // Act
    let matches = 0;
    for (let n = 0; n < 200_000; n += 1) if (set.firstLineOf(`${n % 7}-${n}-${'x'.repeat(n % 13)}`, n + 1) !== undefined) matches += 1;
    // Assess
    expect(matches).toBe(0);
    expect(set.bytes).toBe(bytes);
    expect(bytes).toBeLessThan(200_000 * 12 * 1.3);
  });

  it('reports ids of the same hash as one: the caller checks them exactly', () => {
    // Prepare
    const set = new CustomIdSet({ hash: () => [7, 9] });
    // Act
    const answers = [set.firstLineOf('a', 1), set.firstLineOf('b', 2)];
    // Assess
    expect(answers).toEqual([undefined, 1]);
  });
});
