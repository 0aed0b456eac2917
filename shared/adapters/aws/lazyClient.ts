/**
 * A client given ready, or a loader that imports its SDK package and builds it on first use.
 *
 * Functions that only sometimes call a service (a budget alert on EventBridge, a Bedrock
 * batch job) take the loader, so their cold start neither loads that SDK package nor
 * builds its client; the first call that needs it pays once, and the container keeps it.
 */
export type ClientSource<T> = T | (() => Promise<T>);

/** The client of `source`, loaded at most once (a failed load is tried again on the next call). */
export function clientOnFirstUse<T extends object>(source: ClientSource<T>): () => Promise<T> {
  if (typeof source !== 'function') return () => Promise.resolve(source);
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= (source as () => Promise<T>)().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
