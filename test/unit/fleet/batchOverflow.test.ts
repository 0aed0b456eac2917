import { decideBatchOverflow, DEFAULT_OVERFLOW_MARGIN_SECONDS, type PoolState } from '../../../shared/fleet/batchOverflow';

const NOW = Date.UTC(2026, 0, 1, 12);
const HOUR = 3_600_000;

describe('decideBatchOverflow', () => {
  it('sends a line to its pool while the pool serves, whatever its deadline', () => {
    // Act & Assess
    expect(decideBatchOverflow({ nowMs: NOW, deadlineMs: NOW + 1_000, pool: 'healthy', timeToCapacitySeconds: 600 })).toBe('gpu');
  });

  it.each<PoolState>(['down', 'saturated'])('keeps a line waiting for a %s pool when its deadline is hours away', (pool) => {
    // Act & Assess: 24 h window, 10 min start-up
    expect(decideBatchOverflow({ nowMs: NOW, deadlineMs: NOW + 24 * HOUR, pool, timeToCapacitySeconds: 600 })).toBe('wait');
  });

  it.each<PoolState>(['down', 'saturated'])('sends a line to Bedrock now when a %s pool could not start in time', (pool) => {
    // Act & Assess: 20 minutes left, less than the start-up plus the margin
    expect(decideBatchOverflow({ nowMs: NOW, deadlineMs: NOW + 20 * 60_000, pool, timeToCapacitySeconds: 600 })).toBe('bedrock');
  });

  it('waits exactly while the start-up plus the margin ends before the deadline', () => {
    // Prepare
    const needed = (600 + DEFAULT_OVERFLOW_MARGIN_SECONDS) * 1000;
    // Act & Assess
    expect(decideBatchOverflow({ nowMs: NOW, deadlineMs: NOW + needed, pool: 'down', timeToCapacitySeconds: 600 })).toBe('wait');
    expect(decideBatchOverflow({ nowMs: NOW, deadlineMs: NOW + needed - 1, pool: 'down', timeToCapacitySeconds: 600 })).toBe('bedrock');
  });

  it('weighs a slower start-up and a margin of its own', () => {
    // Act & Assess: an UltraServer taking 40 minutes to start, one hour left
    const input = { nowMs: NOW, deadlineMs: NOW + HOUR, pool: 'down' as const, timeToCapacitySeconds: 2_400 };
    expect(decideBatchOverflow(input)).toBe('bedrock');
    expect(decideBatchOverflow({ ...input, marginSeconds: 600 })).toBe('wait');
  });

  it('goes to Bedrock for a deadline already passed or not a number', () => {
    // Act & Assess
    expect(decideBatchOverflow({ nowMs: NOW, deadlineMs: NOW - 1, pool: 'down', timeToCapacitySeconds: 0 })).toBe('bedrock');
    expect(decideBatchOverflow({ nowMs: NOW, deadlineMs: Number.NaN, pool: 'down', timeToCapacitySeconds: 0 })).toBe('bedrock');
  });
});
