import type { BedrockClient } from '@aws-sdk/client-bedrock';
import { BackendThrottledError } from '../../errors/backendErrors';
import type {
  BatchInferenceJobInfo,
  BatchInferenceService,
  BedrockJobStatus,
  CreateBatchInferenceJob,
} from '../../batchJobs/batchInference/ports';
import { type ClientSource, clientOnFirstUse } from './lazyClient';

/** Errors by which Bedrock says "not now": a quota (too many jobs) or throttling. */
const BUSY = new Set(['ServiceQuotaExceededException', 'ThrottlingException', 'TooManyRequestsException']);
/** Errors of a stop asked of a job that has already ended. */
const ALREADY_ENDED = new Set(['ValidationException', 'ConflictException']);

/** Options of {@link BedrockBatchInference}. */
export interface BedrockBatchInferenceOptions {
  /** The client, or a loader that builds it at the first call (see {@link ClientSource}). */
  client: ClientSource<BedrockClient>;
  /** The service role Bedrock assumes to read the input prefix and write the output prefix. */
  roleArn: string;
}

/**
 * Bedrock's batch-inference control plane through `@aws-sdk/client-bedrock`:
 * `CreateModelInvocationJob` (one JSONL input file, `clientRequestToken` for idempotency),
 * `GetModelInvocationJob`, `StopModelInvocationJob`. Few invocations of the functions that
 * hold it call Bedrock's control plane, so its SDK package is imported at the first call.
 */
export class BedrockBatchInference implements BatchInferenceService {
  readonly #client: () => Promise<BedrockClient>;
  readonly #roleArn: string;

  constructor(options: BedrockBatchInferenceOptions) {
    this.#client = clientOnFirstUse(options.client);
    this.#roleArn = options.roleArn;
  }

  /** The client and the SDK package's commands. */
  async #sdk() {
    const [client, commands] = await Promise.all([this.#client(), import('@aws-sdk/client-bedrock')]);
    return { client, ...commands };
  }

  async create(request: CreateBatchInferenceJob): Promise<{ jobArn: string }> {
    const { client, CreateModelInvocationJobCommand } = await this.#sdk();
    try {
      const { jobArn } = await client.send(
        new CreateModelInvocationJobCommand({
          jobName: request.jobName,
          roleArn: this.#roleArn,
          clientRequestToken: request.clientRequestToken,
          modelId: request.bedrockModel,
          inputDataConfig: { s3InputDataConfig: { s3Uri: request.inputUri, s3InputFormat: 'JSONL' } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: request.outputUri } },
          timeoutDurationInHours: request.timeoutHours,
        }),
      );
      if (!jobArn) throw new Error(`CreateModelInvocationJob answered without a jobArn for ${request.jobName}`);
      return { jobArn };
    } catch (error) {
      if (BUSY.has((error as Error).name)) {
        throw new BackendThrottledError(`Bedrock refused batch job ${request.jobName} for now: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async get(jobArn: string): Promise<BatchInferenceJobInfo> {
    const { client, GetModelInvocationJobCommand } = await this.#sdk();
    const job = await client.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    return {
      jobArn: job.jobArn ?? jobArn,
      ...(job.jobName ? { jobName: job.jobName } : {}),
      status: job.status as BedrockJobStatus,
      ...(job.message ? { message: job.message } : {}),
    };
  }

  async stop(jobArn: string): Promise<void> {
    const { client, StopModelInvocationJobCommand } = await this.#sdk();
    try {
      await client.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    } catch (error) {
      if (!ALREADY_ENDED.has((error as Error).name)) throw error;
    }
  }
}
