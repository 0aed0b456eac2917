import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Where and how to reach the Bedrock Runtime API. */
export interface BedrockClientOptions {
  /** AWS region; the SDK's own resolution (AWS_REGION, profile) applies when absent. */
  region?: string;
  /** Only for local runs and tests: a Bedrock Runtime API stand-in. */
  endpoint?: string;
}

/**
 * Builds the Bedrock Runtime client the platform uses.
 *
 * - HTTP/1.1 through `NodeHttpHandler`: the SDK may otherwise pick its HTTP/2 handler,
 *   which fails against HTTP/1.1 servers such as the local simulator; Converse and
 *   InvokeModel do not need HTTP/2 (only bidirectional streaming does).
 * - One attempt only: the batching core owns retries, backoff with jitter and the retry
 *   budget. SDK retries underneath would multiply attempts, hide throttling from the
 *   adaptive concurrency limit and eat into the Lambda deadline unseen.
 *
 * Build it once per backend at module scope: a client holds its connection pool.
 */
export function createBedrockClient(options: BedrockClientOptions = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}
