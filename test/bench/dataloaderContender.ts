/**
 * `dataloader` is the batcher a Node developer reaches for without this platform. It is
 * loaded at run time so the suite still runs (and says so) where it is not installed;
 * only the part of its API the suite uses is typed here.
 */

/** The `DataLoader` constructor, as far as the suite uses it. */
export type DataLoaderClass = new <K, V>(
  batchLoadFn: (keys: readonly K[]) => Promise<ArrayLike<V | Error>>,
  options?: { maxBatchSize?: number; cache?: boolean },
) => { load(key: K): Promise<V> };

/** The installed `dataloader`, with its version, or why it could not be loaded. */
export function loadDataLoader(): { DataLoader: DataLoaderClass; version: string } | { missing: string } {
  try {
    const loaded = require('dataloader') as DataLoaderClass | { default: DataLoaderClass };
    const DataLoader = typeof loaded === 'function' ? loaded : loaded.default;
    const { version } = require('dataloader/package.json') as { version: string };
    return { DataLoader, version };
  } catch (error) {
    return {
      missing: `dataloader is not installed (${(error as Error).message.split('\n')[0]}); install it with: npm i -D -E dataloader@2.2.3`,
    };
  }
}
