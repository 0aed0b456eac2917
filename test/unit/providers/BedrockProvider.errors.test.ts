import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type BackendError,
  BackendRejectedError,
  BackendThrottledError,
  BackendUnavailableError,
} from '../../../shared/errors/backendErrors';
import { BedrockProvider } from '../../../shared/providers/bedrock/BedrockProvider';
import type { ChatCall } from '../../../shared/domain/inference';

const bedrock = mockClient(BedrockRuntimeClient);
const call: ChatCall = { model: 'openai.gpt-oss-20b-1:0', messages: [{ role: 'user', content: 'Hi' }] };
const meta = (httpStatusCode?: number) => ({ $metadata: httpStatusCode === undefined ? {} : { httpStatusCode } });

function provider(timeoutMs?: number): BedrockProvider {
  return new BedrockProvider({ client: new BedrockRuntimeClient({ region: 'us-east-1' }), backendId: 'bedrock-1', timeoutMs });
}

/** The error the provider throws for one Converse failure. */
async function thrownFor(error: unknown): Promise<BackendError> {
  bedrock.on(ConverseCommand).rejects(error as Error);
  try {
    await provider().chat(call);
  } catch (thrown) {
    return thrown as BackendError;
  }
  throw new Error('expected chat to throw');
}

const unmodelled = (name: string, status?: number) => Object.assign(new Error(`${name} happened`), { name, ...meta(status) });

beforeEach(() => bedrock.reset());

describe('BedrockProvider error mapping', () => {
  it.each([
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', ...meta(429) }), BackendThrottledError],
    ['ServiceQuotaExceededException', new ServiceQuotaExceededException({ message: 'quota', ...meta(400) }), BackendThrottledError],
    ['unmodelled 429', unmodelled('TooManyRequests', 429), BackendThrottledError],
    ['ValidationException', new ValidationException({ message: 'bad input', ...meta(400) }), BackendRejectedError],
    ['AccessDeniedException', new AccessDeniedException({ message: 'no access', ...meta(403) }), BackendRejectedError],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'no model', ...meta(404) }), BackendRejectedError],
    ['unmodelled 413', unmodelled('PayloadTooLarge', 413), BackendRejectedError],
    ['InternalServerException', new InternalServerException({ message: 'oops', ...meta(500) }), BackendUnavailableError],
    ['ServiceUnavailableException', new ServiceUnavailableException({ message: 'down', ...meta(503) }), BackendUnavailableError],
    ['ModelNotReadyException', new ModelNotReadyException({ message: 'loading', ...meta(429) }), BackendUnavailableError],
    ['ModelTimeoutException', new ModelTimeoutException({ message: 'slow', ...meta(408) }), BackendUnavailableError],
    ['ModelErrorException', new ModelErrorException({ message: 'model broke', ...meta(424) }), BackendUnavailableError],
    ['unmodelled 502', unmodelled('BadGateway', 502), BackendUnavailableError],
    [
      'network error (no status)',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', $metadata: { attempts: 1 } }),
      BackendUnavailableError,
    ],
    ['AbortError', unmodelled('AbortError'), BackendUnavailableError],
  ])('maps %s to the right BackendError', async (_label, error, expected) => {
    // Prepare (in thrownFor)
    // Act
    const thrown = await thrownFor(error);

    // Assess
    expect(thrown).toBeInstanceOf(expected);
    expect(thrown.backendId).toBe('bedrock-1');
    expect(thrown.cause).toBe(error);
  });

  it('says model access must be enabled when access is denied', async () => {
    // Act
    const thrown = await thrownFor(new AccessDeniedException({ message: 'You do not have access', ...meta(403) }));

    // Assess
    expect(thrown.message).toMatch(/model access must be enabled in the Bedrock console/);
  });

  it('carries Retry-After of a throttling response', async () => {
    // Prepare
    const error = Object.assign(new ThrottlingException({ message: 'slow down', ...meta(429) }), {
      $response: { statusCode: 429, headers: { 'retry-after': '3' } },
    });

    // Act
    const thrown = await thrownFor(error);

    // Assess
    expect(thrown).toBeInstanceOf(BackendThrottledError);
    expect((thrown as BackendThrottledError).retryAfterMs).toBe(3_000);
  });
});

describe('BedrockProvider abort and timeout', () => {
  /** A send that only settles when its abort signal fires, as the SDK's does. */
  function hangUntilAborted(): AbortSignal[] {
    const seen: AbortSignal[] = [];
    (bedrock.send as unknown as { callsFake(fn: (...args: unknown[]) => unknown): void }).callsFake((...args: unknown[]) => {
      const signal = (args[1] as { abortSignal: AbortSignal }).abortSignal;
      seen.push(signal);
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
      });
    });
    return seen;
  }

  it('forwards the caller signal to client.send', async () => {
    // Prepare
    const seen = hangUntilAborted();
    const controller = new AbortController();

    // Act
    const pending = provider().chat(call, { signal: controller.signal });
    controller.abort();

    // Assess
    await expect(pending).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.aborted).toBe(true);
  });

  it('abandons a call that exceeds its timeout as unavailable', async () => {
    // Prepare
    hangUntilAborted();

    // Act
    const pending = provider(20).chat(call);

    // Assess
    await expect(pending).rejects.toMatchObject({ name: 'BackendUnavailableError', code: 'backend_timeout' });
  });
});
