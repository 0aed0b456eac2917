import { halve, packBatches, splitToFit } from '../../../shared/batchingCore/BatchPacker';

const item = (id: string, route: string, tokens = 10) => ({ id, route, estimatedTokens: tokens });
const ids = (batches: Array<Array<{ id: string }>>) => batches.map((batch) => batch.map((entry) => entry.id));

describe('packBatches', () => {
  it('groups items by route, in order of first appearance, keeping item order', () => {
    // Prepare
    const items = [item('a1', 'a'), item('b1', 'b'), item('a2', 'a'), item('b2', 'b'), item('a3', 'a')];

    // Act
    const batches = packBatches(items, () => ({ maxBatchItems: 10, maxBatchTokens: 1_000 }));

    // Assess
    expect(ids(batches)).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2'],
    ]);
  });

  it('cuts a route into batches of at most maxBatchItems', () => {
    // Prepare
    const items = Array.from({ length: 7 }, (_, i) => item(`x${i}`, 'x'));

    // Act
    const batches = packBatches(items, () => ({ maxBatchItems: 3, maxBatchTokens: 1_000 }));

    // Assess
    expect(ids(batches)).toEqual([['x0', 'x1', 'x2'], ['x3', 'x4', 'x5'], ['x6']]);
  });

  it('keeps each batch under maxBatchTokens', () => {
    // Prepare
    const items = [item('a', 'r', 40), item('b', 'r', 40), item('c', 'r', 30), item('d', 'r', 60)];

    // Act
    const batches = packBatches(items, () => ({ maxBatchItems: 10, maxBatchTokens: 100 }));

    // Assess
    expect(ids(batches)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    for (const batch of batches) expect(batch.reduce((sum, entry) => sum + entry.estimatedTokens, 0)).toBeLessThanOrEqual(100);
  });

  it('uses each route’s own limits', () => {
    // Prepare
    const items = [item('a1', 'a'), item('a2', 'a'), item('b1', 'b'), item('b2', 'b')];

    // Act
    const batches = packBatches(items, (route) => ({ maxBatchItems: route === 'a' ? 1 : 2, maxBatchTokens: 1_000 }));

    // Assess
    expect(ids(batches)).toEqual([['a1'], ['a2'], ['b1', 'b2']]);
  });
});

describe('splitToFit', () => {
  it('sends an item larger than the token budget alone, between its neighbours', () => {
    // Prepare
    const items = [item('small1', 'r', 10), item('huge', 'r', 500), item('small2', 'r', 10), item('small3', 'r', 10)];

    // Act
    const batches = splitToFit(items, { maxBatchItems: 10, maxBatchTokens: 100 });

    // Assess
    expect(ids(batches)).toEqual([['small1'], ['huge'], ['small2', 'small3']]);
  });

  it('returns no batch for no items', () => {
    // Act
    const batches = splitToFit([], { maxBatchItems: 2, maxBatchTokens: 100 });

    // Assess
    expect(batches).toEqual([]);
  });
});

describe('halve', () => {
  it('cuts in two, the first half larger when odd', () => {
    // Act
    const [first, second] = halve([1, 2, 3, 4, 5]);

    // Assess
    expect(first).toEqual([1, 2, 3]);
    expect(second).toEqual([4, 5]);
  });
});
