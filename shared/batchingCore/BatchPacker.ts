/** The limits of one backend call that packing respects. */
export interface BatchLimits {
  maxBatchItems: number;
  maxBatchTokens: number;
}

/** What packing needs to know of an item. */
export interface Packable {
  route: string;
  estimatedTokens: number;
}

/** Item and token totals of a batch being filled. */
export interface BatchFill {
  items: number;
  tokens: number;
}

/**
 * Whether `item` may join a batch that already holds `fill`. An empty batch takes any
 * item, so an item larger than the token budget goes alone instead of never going:
 * the backend, not the packer, decides whether it is too large to serve.
 */
export function fitsInBatch(fill: BatchFill, item: Packable, limits: BatchLimits): boolean {
  if (fill.items === 0) return true;
  return fill.items + 1 <= limits.maxBatchItems && fill.tokens + item.estimatedTokens <= limits.maxBatchTokens;
}

/**
 * Cuts items of one route into consecutive batches under `limits`, keeping their order
 * (first fit in arrival order: a greedy look-ahead would reorder items and make
 * results harder to follow for little gain).
 */
export function splitToFit<T extends Packable>(items: readonly T[], limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  const fill: BatchFill = { items: 0, tokens: 0 };
  for (const item of items) {
    if (!fitsInBatch(fill, item, limits)) {
      batches.push(current);
      current = [];
      fill.items = 0;
      fill.tokens = 0;
    }
    current.push(item);
    fill.items += 1;
    fill.tokens += item.estimatedTokens;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Groups items by route (routes in order of first appearance) and packs each route's
 * items into batches under that route's limits, preserving the items' order.
 */
export function packBatches<T extends Packable>(items: readonly T[], limitsFor: (route: string) => BatchLimits): T[][] {
  const byRoute = new Map<string, T[]>();
  for (const item of items) {
    const group = byRoute.get(item.route);
    if (group) group.push(item);
    else byRoute.set(item.route, [item]);
  }
  return [...byRoute].flatMap(([route, group]) => splitToFit(group, limitsFor(route)));
}

/** Cuts a batch in two halves (the first one larger by one when odd), to find a poison item. */
export function halve<T>(items: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}
