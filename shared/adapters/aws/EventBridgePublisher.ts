import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../../domain/ports';
import { type ClientSource, clientOnFirstUse } from './lazyClient';

/** The `source` of every event the platform publishes. */
export const EVENT_SOURCE = 'inference-platform';

/**
 * Publishes domain events on the platform's event bus. The SDK package is imported at the
 * first event (most invocations publish none), and the client too when given as a loader.
 */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: () => Promise<EventBridgeClient>;

  constructor(
    client: ClientSource<EventBridgeClient>,
    private readonly busName: string,
  ) {
    this.#client = clientOnFirstUse(client);
  }

  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    const [client, { PutEventsCommand }] = await Promise.all([this.#client(), import('@aws-sdk/client-eventbridge')]);
    const result = await client.send(
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
