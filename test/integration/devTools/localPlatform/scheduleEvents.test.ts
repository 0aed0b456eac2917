import type { ScheduledEvent } from 'aws-lambda';
import type { LambdaHandler, LocalFunction } from '../../../../shared/devTools/localPlatform/localFunction';
import { rateIntervalMs, startSchedules, type Schedules } from '../../../../shared/devTools/localPlatform/scheduleEvents';
import { parseServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';
import { serviceConfig } from './standIns';
import { waitUntil } from '../../../helpers/waitFor';

function fakeFunction(handler: (event: unknown) => unknown = () => undefined) {
  const events: unknown[] = [];
  const fn: LocalFunction = {
    functionName: 'svc-test-tick',
    timeoutSeconds: 5,
    memorySize: 128,
    loadHandler: async () =>
      (async (event: unknown) => {
        events.push(event);
        return handler(event);
      }) as LambdaHandler,
  };
  return { fn, events };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('schedule events', () => {
  const logged: string[] = [];
  const logger = { info: (line: string) => logged.push(line), error: (line: string) => logged.push(line) };
  let schedules: Schedules | undefined;

  afterEach(async () => {
    await schedules?.stop();
    schedules = undefined;
    logged.length = 0;
  });

  it.each([
    ['rate(5 minutes)', 300_000],
    ['rate(1 minute)', 60_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
    ['cron(0 12 * * ? *)', undefined],
  ])('reads %s', (expression, expected) => {
    // Act & Assess
    expect(rateIntervalMs(expression)).toBe(expected);
  });

  it('refuses a rate it cannot read', () => {
    // Act & Assess
    expect(() => rateIntervalMs('rate(5 fortnights)')).toThrow(/rate\(5 fortnights\) is not a valid rate expression/);
    expect(() => rateIntervalMs('rate(0 minutes)')).toThrow(/not a valid rate expression/);
  });

  it('reads the schedule of expireJobs from serverless.yml', () => {
    // Act
    const expireJobs = serviceConfig().functions.find((fn) => fn.name === 'expireJobs');

    // Assess
    expect(expireJobs?.events).toEqual([{ type: 'schedule', expressions: ['rate(5 minutes)'], enabled: true, transforms: [] }]);
  });

  it('invokes the function on every period with a scheduled event, and keeps going after a failure', async () => {
    // Prepare
    const config = serviceConfig();
    const tick = fakeFunction(() => {
      throw new Error('expiry failed');
    });

    // Act
    const sweep = fakeFunction(() => ({}));
    schedules = startSchedules({ config, functionFor: (key) => (key === 'expireJobs' ? tick.fn : sweep.fn), intervalMs: 50, logger });
    await waitUntil('two runs', () => tick.events.length >= 2);

    // Assess
    expect(schedules.schedules).toEqual([
      {
        functionKey: 'expireJobs',
        expression: 'rate(5 minutes)',
        intervalMs: 50,
        ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/inference-platform-local-ExpireJobsEventsRuleSchedule1',
      },
      {
        functionKey: 'poolBacklog',
        expression: 'rate(1 minute)',
        intervalMs: 50,
        ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/inference-platform-local-PoolBacklogEventsRuleSchedule1',
      },
      {
        functionKey: 'batchInference',
        expression: 'rate(2 minutes)',
        intervalMs: 50,
        ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/inference-platform-local-BatchInferenceEventsRuleSchedule1',
      },
    ]);
    const event = tick.events[0] as ScheduledEvent;
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/inference-platform-local-ExpireJobsEventsRuleSchedule1'],
      detail: {},
    });
    expect((tick.events[1] as ScheduledEvent).id).not.toBe(event.id);
    await waitUntil('the failure logged', () =>
      logged.some((line) => line.includes('[schedule expireJobs rate(5 minutes)] svc-test-tick failed')),
    );
  });

  it('waits one period before the first run, and stops on stop()', async () => {
    // Prepare
    const tick = fakeFunction();
    schedules = startSchedules({ config: serviceConfig(), functionFor: () => tick.fn, intervalMs: 200, logger });

    // Act
    await sleep(100);
    const beforeFirstPeriod = tick.events.length;
    await schedules.stop();
    await sleep(300);

    // Assess
    expect(beforeFirstPeriod).toBe(0);
    expect(tick.events).toHaveLength(0);
  });

  it('sends a rule input as is, skips disabled rules and says cron rules do not run', async () => {
    // Prepare
    const config = parseServerlessConfig(`
service: svc
provider: { name: aws }
functions:
  withInput:
    handler: h.handler
    events:
      - schedule: { rate: [rate(1 minute), cron(0 * * * ? *)], input: { mode: sweep } }
  disabled:
    handler: h.handler
    events:
      - schedule: { rate: rate(1 minute), enabled: false }
`);
    const functions = { withInput: fakeFunction(), disabled: fakeFunction() };

    // Act
    schedules = startSchedules({ config, functionFor: (key) => functions[key as keyof typeof functions].fn, intervalMs: 30, logger });
    await waitUntil('a run', () => functions.withInput.events.length >= 1);

    // Assess
    expect(functions.withInput.events[0]).toEqual({ mode: 'sweep' });
    expect(functions.disabled.events).toEqual([]);
    expect(schedules.schedules.map((schedule) => `${schedule.functionKey} ${schedule.expression}`)).toEqual(['withInput rate(1 minute)']);
    expect(logged).toContain('[schedule withInput cron(0 * * * ? *)] cron expressions are not run locally; invoke the function by hand');
  });
});
