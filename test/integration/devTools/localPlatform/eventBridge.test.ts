import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startLocalEventBridge, type LocalEventBridge, type RecordedEvent } from '../../../../shared/devTools/localPlatform/eventBridge';
import { LOCAL_CREDENTIALS } from './standIns';

describe('EventBridge stand-in', () => {
  let events: LocalEventBridge;
  let client: EventBridgeClient;
  const printed: RecordedEvent[] = [];

  beforeAll(async () => {
    events = await startLocalEventBridge({ port: 0, eventBuses: ['inference-platform-local'], onEvent: (event) => printed.push(event) });
    client = new EventBridgeClient({ endpoint: events.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  });

  beforeEach(async () => {
    await fetch(`${events.url}/_events`, { method: 'DELETE' });
    printed.length = 0;
  });

  afterAll(async () => {
    client.destroy();
    await events.close();
  });

  it('accepts PutEvents from the real SDK client and lists the events at GET /_events', async () => {
    // Act
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'inference-platform-local',
            Source: 'inference-platform.jobs',
            DetailType: 'Job Completed',
            Detail: JSON.stringify({ jobId: 'job_1', status: 'completed' }),
            Resources: ['arn:x'],
          },
          { Source: 'inference-platform.jobs', DetailType: 'Other', Detail: '{}' },
        ],
      }),
    );
    const listed = (await (await fetch(`${events.url}/_events`)).json()) as RecordedEvent[];

    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([{ EventId: expect.any(String) }, { EventId: expect.any(String) }]);
    expect(listed).toHaveLength(2);
    expect(listed[0]).toEqual({
      version: '0',
      id: result.Entries![0]!.EventId,
      'detail-type': 'Job Completed',
      source: 'inference-platform.jobs',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: ['arn:x'],
      detail: { jobId: 'job_1', status: 'completed' },
      eventBusName: 'inference-platform-local',
    });
    expect(listed[1]).toMatchObject({ eventBusName: 'default', detail: {} });
    expect(printed.map((event) => event.id)).toEqual(listed.map((event) => event.id));
  });

  it('accepts a bus ARN and keeps the Time the caller gave', async () => {
    // Act
    await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/inference-platform-local',
            Source: 's',
            DetailType: 'd',
            Detail: '{}',
            Time: new Date('2026-01-02T03:04:05Z'),
          },
        ],
      }),
    );

    // Assess
    expect(events.events()).toEqual([expect.objectContaining({ eventBusName: 'inference-platform-local', time: '2026-01-02T03:04:05Z' })]);
  });

  it('fails the entries EventBridge would fail, and only those', async () => {
    // Act
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'nope', Source: 's', DetailType: 'd', Detail: '{}' },
          { Source: 's', DetailType: 'd', Detail: 'not json' },
          { Source: 's', Detail: '{}' },
          { Source: 's', DetailType: 'd', Detail: '{"ok":true}' },
        ],
      }),
    );

    // Assess
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
      'ResourceNotFoundException',
      'MalformedDetail',
      'InvalidArgument',
      'ok',
    ]);
    expect(events.events().map((event) => event.detail)).toEqual([{ ok: true }]);
  });

  it('refuses more than 10 entries, as PutEvents does', async () => {
    // Act
    const act = client.send(
      new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'd', Detail: '{}' })) }),
    );

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('says so for an operation it does not emulate', async () => {
    // Act
    const act = client.send(new ListRulesCommand({}));

    // Assess
    await expect(act).rejects.toThrow(/ListRules is not emulated locally/);
  });

  it('says which port is taken when it cannot listen', async () => {
    // Act
    const act = startLocalEventBridge({ port: events.port });

    // Assess
    await expect(act).rejects.toThrow(`EventBridge cannot listen on 127.0.0.1:${events.port}: the port is already in use. Set EVENTS_PORT`);
  });

  it('clears the recorded events with DELETE /_events', async () => {
    // Prepare
    await client.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }));

    // Act
    const response = await fetch(`${events.url}/_events`, { method: 'DELETE' });

    // Assess
    expect(response.status).toBe(204);
    await expect((await fetch(`${events.url}/_events`)).json()).resolves.toEqual([]);
  });
});
