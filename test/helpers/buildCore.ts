import { BatchingCore } from '../../shared/batchingCore/BatchingCore';
import type { BatchingOptions } from '../../shared/batchingCore/types';
import { FakeClock } from './FakeClock';
import { type FakeBackend, FakeResolver } from './fakeBackends';

/** A core over fake backends on a fake clock, with jitter fixed at one half. */
export function buildCore(
  backends: (clock: FakeClock) => Record<string, FakeBackend[]>,
  options: BatchingOptions = {},
): { clock: FakeClock; resolver: FakeResolver; core: BatchingCore<string, string>; routes: Record<string, FakeBackend[]> } {
  const clock = new FakeClock();
  const routes = backends(clock);
  const resolver = new FakeResolver(routes);
  const core = new BatchingCore<string, string>(resolver, { clock, random: () => 0.5, ...options });
  return { clock, resolver, core, routes };
}
