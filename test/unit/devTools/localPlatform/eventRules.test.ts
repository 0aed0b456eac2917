import { eventRouter, eventRulesFrom, matchesPattern } from '../../../../shared/devTools/localPlatform/eventRules';
import type { RecordedEvent } from '../../../../shared/devTools/localPlatform/eventBridge';
import type { ServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';

const stateChange: RecordedEvent = {
  version: '0',
  id: 'e1',
  'detail-type': 'Batch Inference Job State Change',
  source: 'aws.bedrock',
  account: '000000000000',
  time: '2026-12-03T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { batchJobName: 'batch-1-c0', status: 'Completed' },
  eventBusName: 'default',
};

describe('local EventBridge rules', () => {
  it('matches the exact values a pattern lists, nested objects included', () => {
    const pattern = { source: ['aws.bedrock'], 'detail-type': ['Batch Inference Job State Change'] };
    expect(matchesPattern(stateChange, pattern)).toBe(true);
    expect(matchesPattern(stateChange, { ...pattern, detail: { status: ['Completed', 'Failed'] } })).toBe(true);
    expect(matchesPattern(stateChange, { ...pattern, detail: { status: ['InProgress'] } })).toBe(false);
    expect(matchesPattern(stateChange, { source: ['aws.s3'] })).toBe(false);
    expect(matchesPattern(stateChange, { detail: { status: [{ prefix: 'Comp' }] } })).toBe(false);
  });

  it('reads the eventBridge events of serverless.yml’s functions and delivers a matching event to each, without its bus', async () => {
    // Prepare
    const config = {
      functions: [
        {
          name: 'watcher',
          events: [
            { type: 'other', name: 'eventBridge', definition: { pattern: { source: ['aws.bedrock'] } } },
            { type: 'schedule', expressions: ['rate(1 minute)'], enabled: true, transforms: [] },
          ],
        },
        {
          name: 'other',
          events: [{ type: 'other', name: 'eventBridge', definition: { eventBus: 'custom', pattern: { source: ['aws.bedrock'] } } }],
        },
      ],
    } as unknown as ServerlessConfig;
    const received: unknown[] = [];
    const fn = {
      functionName: 'svc-watcher',
      timeoutSeconds: 5,
      memorySize: 128,
      loadHandler: async () => async (event: unknown) => received.push(event),
    };
    // Act
    const rules = eventRulesFrom(config);
    eventRouter(rules, () => fn as never)(stateChange);
    await new Promise((resolve) => setImmediate(resolve));
    // Assess
    expect(rules).toEqual([
      { functionKey: 'watcher', eventBus: 'default', pattern: { source: ['aws.bedrock'] } },
      { functionKey: 'other', eventBus: 'custom', pattern: { source: ['aws.bedrock'] } },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(1);
    expect(received[0]).not.toHaveProperty('eventBusName');
    expect(received[0]).toMatchObject({ source: 'aws.bedrock', detail: { status: 'Completed' } });
  });
});
