import { FLEET_DAY, runFleetDay } from '../../bench/items/fleetDay';

describe('the day of traffic through a GPU pool (benchmark item 8)', () => {
  it('compares the rule, a fixed fleet for the peak and a fixed fleet for the average', () => {
    // Act
    const { fleets } = runFleetDay();
    const [rule, peak, average] = fleets;

    // Assess
    expect(fleets.map((fleet) => fleet.fleet)).toEqual([
      'the rule (Auto Scaling on backlog)',
      'fixed for the peak (3)',
      'fixed for the average (1)',
    ]);
    expect(peak!.gpuHours).toBe(72);
    expect(average!.gpuHours).toBe(24);
    // The rule pays for fewer GPU hours than the peak fleet and finishes the batch sooner than either fixed fleet.
    expect(rule!.gpuHours).toBeLessThan(peak!.gpuHours);
    expect(rule!.batchDoneAfterHours!).toBeLessThan(peak!.batchDoneAfterHours!);
    expect(rule!.batchDoneAfterHours!).toBeLessThan(average!.batchDoneAfterHours!);
    for (const fleet of fleets) expect(fleet.totalUsd).toBeCloseTo(fleet.gpuUsd + fleet.bedrockUsd, 1);
  });

  it('scales to zero on a day with no work and no warm minimum', () => {
    // Prepare: no real time, no batch, no minimum.
    const quiet = {
      ...FLEET_DAY,
      realTimeBasePerSecond: 0,
      bursts: [],
      batch: { atHour: 1, lines: 0, windowHours: 24 },
      pool: { ...FLEET_DAY.pool, min: 0 },
    };

    // Act
    const [rule] = runFleetDay(quiet).fleets;

    // Assess
    expect(rule!.gpuHours).toBe(0);
    expect(rule!.peakInstances).toBe(0);
  });

  it('sends batch lines to Bedrock only when the pool at its ceiling could not meet their deadline', () => {
    // Prepare: a batch bigger than the fleet at its ceiling can finish within its 2-hour window
    const rushed = { ...FLEET_DAY, batch: { atHour: 1, lines: 2_000_000, windowHours: 2 } };

    // Act
    const [rule] = runFleetDay(rushed).fleets;
    const [relaxed] = runFleetDay().fleets;

    // Assess
    expect(rule!.overflowShare).toBeGreaterThan(relaxed!.overflowShare);
    expect(rule!.batchDoneAfterHours!).toBeLessThanOrEqual(2);
  });
});
