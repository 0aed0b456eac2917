import { z } from 'zod';
import { errorLine } from '../../../shared/batchJobs/lines/lineFormats';
import type { Outcome } from '../../../shared/batchingCore/types';
import type { InferenceOutput } from '../../../shared/domain/inference';
import type { ModelEntry } from '../../../shared/domain/catalogue';
import { BackendRejectedError, BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { mapBedrockError } from '../../../shared/providers/bedrock/mapBedrockError';
import { mapTransportFailure } from '../../../shared/providers/openai/mapHttpFailure';
import { failureLine, failureOfLine, isResultLine, resultLine } from '../../../shared/domain/outputLines';
import { lineOutput, refused, type RunnableLine } from '../../../shared/batchJobs/run/lineRequests';

/**
 * OpenAI's `BatchRequestOutput` (the per-line object of the batch output and error files,
 * openapi.yaml): `id`, `custom_id`, `response` (nullable: `status_code` integer,
 * `request_id` string, `body` object) and `error` (nullable: `code`, `message`). Written
 * from the reference; each shape below narrows it to what that shape must be.
 */
const BatchRequestOutput = z.strictObject({
  id: z.string(),
  custom_id: z.string(),
  response: z.strictObject({ status_code: z.number().int(), request_id: z.string(), body: z.record(z.string(), z.unknown()) }).nullable(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
});

/** A success: a 200 response with the route's body, no error. */
const Success = BatchRequestOutput.extend({
  response: z.strictObject({ status_code: z.literal(200), request_id: z.string().min(1), body: z.record(z.string(), z.unknown()) }),
  error: z.null(),
});

/** An HTTP failure: the status and OpenAI's error body as the route answers it, no top-level error. */
const HttpFailure = BatchRequestOutput.extend({
  response: z.strictObject({
    status_code: z.number().int().min(400).max(599),
    request_id: z.string().min(1),
    body: z.strictObject({
      error: z.strictObject({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
    }),
  }),
  error: z.null(),
});

/** A failure that got no HTTP answer: no response, the top-level error. */
const NoAnswer = BatchRequestOutput.extend({ response: z.null(), error: z.strictObject({ code: z.string(), message: z.string() }) });

const model = { id: 'gpt-oss-20b', kind: 'chat' } as unknown as ModelEntry;
const plan: RunnableLine = {
  kind: 'runnable',
  lineNumber: 3,
  customId: 'r3',
  model,
  request: { url: '/v1/embeddings', body: { model: 'bge-m3', input: 'hi' } },
  items: [],
};
const options = { jobId: 'batch_1', newId: () => 'fixedid', created: 1 };

function failedWith(error: Error & { code: string; status: number; retryable: boolean; unanswered?: boolean }): Outcome<InferenceOutput> {
  return {
    status: 'failed',
    id: '3#0',
    attempts: 4,
    error: {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      httpStatus: error.status,
      ...(error.unanswered ? { unanswered: true } : {}),
    },
  };
}

describe('batch output lines: the three shapes of OpenAI BatchRequestOutput', () => {
  it('a success is a 200 response with the body and error null', () => {
    // Act
    const line = resultLine('batch_req_1', 'r1', { object: 'chat.completion', choices: [] }, 'req1');

    // Assess
    expect(Success.parse(line)).toEqual(line);
    expect(isResultLine(line)).toBe(true);
    expect(failureOfLine(line)).toBeUndefined();
  });

  it.each([
    [
      'a backend that refused the request (4xx)',
      new BackendRejectedError('The model endpoint rejected it.'),
      400,
      'backend_rejected_request',
    ],
    ['a backend that kept throttling (429)', new BackendThrottledError('slow down'), 429, 'rate_limit_exceeded'],
    ['a backend that answered 5xx', new BackendUnavailableError('HTTP 500 from the server'), 503, 'backend_unavailable'],
    [
      'a backend whose answer breaks the request',
      new BackendUnavailableError('bad', { code: 'bad_backend_response' }),
      503,
      'bad_backend_response',
    ],
  ])('%s is a response with its status and the OpenAI error body', (_what, error, status, code) => {
    // Act
    const { line, ok } = lineOutput(plan, [failedWith(error)], options);

    // Assess
    expect(ok).toBe(false);
    const parsed = HttpFailure.parse(line);
    expect(parsed.response.status_code).toBe(status);
    expect(parsed.response.body.error).toMatchObject({ code, param: null });
    expect(parsed.response.body.error.type).toBe(
      status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error',
    );
    expect(failureOfLine(line)).toMatchObject({ code, status });
  });

  it('a line the HTTP API would refuse (invalid body, unknown model) is a 400 / 404 response', () => {
    // Act
    const invalid = errorLine({
      ok: false,
      lineNumber: 2,
      customId: 'r2',
      code: 'invalid_body',
      message: "Line 2: Invalid value for 'body.messages'.",
    });
    const unknownModel = lineOutput(refused(4, 'r4', 'model_not_found', "The model 'gpt-9' does not exist."), [], options).line;

    // Assess
    expect(HttpFailure.parse(invalid).response).toMatchObject({ status_code: 400, body: { error: { code: 'invalid_body' } } });
    expect(HttpFailure.parse(unknownModel).response).toMatchObject({ status_code: 404, body: { error: { code: 'model_not_found' } } });
  });

  it.each([
    [
      'a connection failure',
      mapTransportFailure(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), false, {
        url: 'http://gpu',
        backendId: 'gpu',
      }),
      'backend_unavailable',
    ],
    ['a timeout', mapTransportFailure(new Error('timeout'), true, { url: 'http://gpu', backendId: 'gpu' }), 'backend_timeout'],
    [
      'Bedrock unreachable (no HTTP status)',
      mapBedrockError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { name: 'Error' }), {
        backendId: 'b',
        modelId: 'm',
        timedOut: false,
      }),
      'backend_unavailable',
    ],
    [
      'the deadline',
      Object.assign(new Error('deadline'), { code: 'deadline_exceeded', status: 504, retryable: true }),
      'deadline_exceeded',
    ],
  ])('%s is error {code, message} with response null', (_what, error, code) => {
    // Act
    const { line } = lineOutput(plan, [failedWith(error)], options);

    // Assess
    expect(NoAnswer.parse(line).error.code).toBe(code);
    expect(failureOfLine(line)).toMatchObject({ code });
  });

  it.each(['batch_cancelled', 'batch_expired', 'file_changed', 'file_not_found', 'invalid_json', 'duplicate_custom_id'])(
    '%s (nothing was sent, or the line is no request) is error {code, message}',
    (code) => {
      // Act
      const { line } = lineOutput(refused(5, undefined, code, 'not run'), [], options);

      // Assess
      expect(NoAnswer.parse(line)).toMatchObject({ custom_id: 'line-5', error: { code, message: 'Line 5: not run' } });
    },
  );

  it('a Bedrock 5xx answer and a 500 from a GPU server stay responses: they were answered', () => {
    // Act
    const bedrock = mapBedrockError(
      Object.assign(new Error('boom'), { name: 'InternalServerException', $metadata: { httpStatusCode: 500 } }),
      {
        backendId: 'b',
        modelId: 'm',
        timedOut: false,
      },
    );

    // Assess
    expect(HttpFailure.parse(lineOutput(plan, [failedWith(bedrock)], options).line).response.status_code).toBe(503);
    expect(HttpFailure.parse(failureLine('i', 'c', { code: 'backend_unavailable', message: 'down' }, 'r')).response.status_code).toBe(503);
  });
});
