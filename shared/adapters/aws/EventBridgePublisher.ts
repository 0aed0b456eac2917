import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../../domain/ports';

/** The `source` of every event the platform publishes. */
export const EVENT_SOURCE = 'inference-platform';

/** Publishes domain events on the platform's event bus. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.find((e) => e.ErrorCode);
      throw new Error(`EventBridge refused the ${detailType} event: ${entry?.ErrorCode} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}
